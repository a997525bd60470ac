"""The hot cache: Redis when ``OMC_REDIS_URL`` is set, an in-process dictionary otherwise.

Values are JSON documents under string keys, with an optional time to live. The market-data
collector keeps each coin's latest snapshot here; readers show its age.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from typing import Any, Protocol

from omc.errors import ServiceUnavailable
from omc.settings import mask_url

DEFAULT_PREFIX = "omc:"


class Cache(Protocol):
    def get(self, key: str) -> Any | None: ...
    def set(self, key: str, value: Any, ttl_seconds: float | None = None) -> None: ...
    def get_many(self, keys: Iterable[str]) -> dict[str, Any]: ...
    def delete(self, key: str) -> None: ...
    def keys(self, pattern: str = "*") -> list[str]: ...


class InProcessCache:
    """A thread-safe dictionary with expiry; lives as long as the process."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self._items: dict[str, tuple[float | None, str]] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def _live(self, key: str) -> str | None:
        item = self._items.get(key)
        if item is None:
            return None
        expires, payload = item
        if expires is not None and self._clock() >= expires:
            del self._items[key]
            return None
        return payload

    def get(self, key: str) -> Any | None:
        with self._lock:
            payload = self._live(key)
        return None if payload is None else json.loads(payload)

    def set(self, key: str, value: Any, ttl_seconds: float | None = None) -> None:
        expires = None if ttl_seconds is None else self._clock() + ttl_seconds
        with self._lock:
            self._items[key] = (expires, json.dumps(value, default=str))

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        found = {}
        for key in keys:
            value = self.get(key)
            if value is not None:
                found[key] = value
        return found

    def delete(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)

    def keys(self, pattern: str = "*") -> list[str]:
        import fnmatch

        with self._lock:
            return sorted(
                key
                for key in list(self._items)
                if self._live(key) is not None and fnmatch.fnmatchcase(key, pattern)
            )


class RedisCache:
    """The same interface over Redis; every key is namespaced by ``prefix``."""

    def __init__(self, client: Any, prefix: str = DEFAULT_PREFIX) -> None:
        self._client = client
        self._prefix = prefix

    def get(self, key: str) -> Any | None:
        payload = self._client.get(self._prefix + key)
        return None if payload is None else json.loads(payload)

    def set(self, key: str, value: Any, ttl_seconds: float | None = None) -> None:
        payload = json.dumps(value, default=str)
        if ttl_seconds is None:
            self._client.set(self._prefix + key, payload)
        else:
            self._client.set(self._prefix + key, payload, px=max(1, int(ttl_seconds * 1000)))

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        names = list(keys)
        if not names:
            return {}
        payloads = self._client.mget([self._prefix + name for name in names])
        return {
            name: json.loads(payload)
            for name, payload in zip(names, payloads, strict=True)
            if payload is not None
        }

    def delete(self, key: str) -> None:
        self._client.delete(self._prefix + key)

    def keys(self, pattern: str = "*") -> list[str]:
        found = self._client.scan_iter(match=self._prefix + pattern, count=500)
        return sorted(
            (name.decode() if isinstance(name, bytes) else name)[len(self._prefix) :]
            for name in found
        )


def redis_client(url: str, *, timeout_seconds: float = 3.0) -> Any:
    import redis

    return redis.Redis.from_url(
        url, socket_timeout=timeout_seconds, socket_connect_timeout=timeout_seconds
    )


def ping_redis(url: str) -> None:
    """Raise :class:`ServiceUnavailable` unless Redis at ``url`` answers."""
    import redis

    client = redis_client(url)
    try:
        client.ping()
    except redis.RedisError as error:
        raise ServiceUnavailable(f"cannot reach Redis at {mask_url(url)}: {error}") from None
    finally:
        client.close()


def open_cache(redis_url: str | None, prefix: str = DEFAULT_PREFIX) -> Cache:
    """Redis when configured (checked with a ping), else an in-process cache."""
    if not redis_url:
        return InProcessCache()
    ping_redis(redis_url)
    return RedisCache(redis_client(redis_url), prefix=prefix)
