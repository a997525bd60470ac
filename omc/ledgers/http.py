"""One way to talk HTTP to a data source: timeouts, a descriptive User-Agent, one retry policy,
and a per-source rate limit.

Failures are classified once, here: timeouts, connection errors and 5xx are
:class:`TemporaryError`; 429 is :class:`RateLimited` (carrying ``Retry-After``); other 4xx are
:class:`PermanentError`; a body that is not the JSON we expect is :class:`MalformedResponse`.
:class:`RetryPolicy` retries the temporary ones with exponential backoff, sleeping through an
injected ``sleep`` so tests never wait.
"""

from __future__ import annotations

import email.utils
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

import omc
from omc.db import utcnow
from omc.errors import EX_DATAERR, EX_UNAVAILABLE, OmcError

# httpx logs every request URL at INFO; some sources carry a token in the query string.
logging.getLogger("httpx").setLevel(logging.WARNING)

T = TypeVar("T")
USER_AGENT = (
    f"omc/{omc.__version__} (Oh My Coins market-data collector; +https://github.com/omc/omc)"
)
Sleep = Callable[[float], None]


class SourceError(OmcError):
    """A data source failed; the message names the source's problem, never a key."""

    exit_code = EX_UNAVAILABLE


class TemporaryError(SourceError):
    """Worth retrying: a timeout, a dropped connection, a 5xx."""


class RateLimited(TemporaryError):
    """HTTP 429; ``retry_after`` is the server's requested wait in seconds, when it gave one."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(SourceError):
    """Not worth retrying: a 4xx other than 429 (bad symbol, bad key, unknown coin)."""


class MalformedResponse(SourceError):
    """The body is not what the source's schema says; the whole response is rejected."""

    exit_code = EX_DATAERR


@dataclass(frozen=True)
class RetryPolicy:
    """Retry temporary errors up to ``attempts`` times with capped exponential backoff."""

    attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 60.0

    def delay(self, attempt: int, error: TemporaryError) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        if isinstance(error, RateLimited) and error.retry_after is not None:
            return min(max(error.retry_after, 0.0), self.max_delay)
        return min(self.base_delay * 2 ** (attempt - 1), self.max_delay)

    def call(self, operation: Callable[[], T], *, sleep: Sleep = time.sleep) -> T:
        for attempt in range(1, max(self.attempts, 1) + 1):
            try:
                return operation()
            except TemporaryError as error:
                if attempt >= self.attempts:
                    raise
                sleep(self.delay(attempt, error))
        raise AssertionError("unreachable")  # pragma: no cover


class RateLimiter:
    """At most ``per_minute`` requests in any ``window``-second window (CoinSpot allows 1000 a
    minute; SEC EDGAR 10 a second, given as ``per_minute=10, window=1.0``). Thread-safe: sources
    running at once that share a host share its limiter (see :class:`SharedConnections`)."""

    def __init__(
        self,
        per_minute: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep,
        window: float = 60.0,
    ) -> None:
        self.per_minute = max(per_minute, 1)
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:  # a waiting caller holds its turn; the next waits behind it
            now = self._clock()
            while self._sent and now - self._sent[0] >= self.window:
                self._sent.popleft()
            if len(self._sent) >= self.per_minute:
                self._sleep(self.window - (now - self._sent[0]))
                self._sent.popleft()
                now = self._clock()
            self._sent.append(now)


class _KeptOpen(httpx.BaseTransport):
    """A shared transport that a client's ``close`` leaves open (its owner closes it)."""

    def __init__(self, transport: httpx.BaseTransport) -> None:
        self.transport = transport

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.transport.handle_request(request)

    def close(self) -> None:
        pass


class SharedConnections:
    """What outlives one client: a connection pool (keep-alive connections and one TLS setup
    instead of one per fetch) and one rate limiter per host and limit, so a limit holds across
    runs and across sources that call the same host (the SEC's two sources share its 10 a
    second). Headers, and so keys, stay with each short-lived :class:`HttpClient`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._transport: httpx.HTTPTransport | None = None
        self._limiters: dict[tuple[str, int, float], RateLimiter] = {}

    def transport(self) -> httpx.BaseTransport:
        with self._lock:
            if self._transport is None:
                self._transport = httpx.HTTPTransport()
            return _KeptOpen(self._transport)

    def limiter(self, base_url: str, per_minute: int, window: float, sleep: Sleep) -> RateLimiter:
        key = (urlsplit(base_url).netloc.lower(), per_minute, window)
        with self._lock:
            limiter = self._limiters.get(key)
            if limiter is None:
                limiter = self._limiters[key] = RateLimiter(per_minute, sleep=sleep, window=window)
            return limiter

    def close(self) -> None:
        with self._lock:
            transport, self._transport = self._transport, None
        if transport is not None:
            transport.close()


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds: either a number or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((when - utcnow()).total_seconds(), 0.0)


def split_url(url: str) -> tuple[str, str]:
    """``https://h/a/b?q`` → (``https://h``, ``/a/b?q``): for sources given whole URLs (feeds,
    RPC endpoints), whose exact path must be kept (a client's base URL gains a trailing slash)."""
    parts = urlsplit(url)
    path = parts.path or "/"
    return f"{parts.scheme}://{parts.netloc}", path + (f"?{parts.query}" if parts.query else "")


def _error_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase or "no message"
    if isinstance(body, Mapping):
        for name in ("message", "msg", "error", "status"):
            if isinstance(body.get(name), str):
                return body[name]
    return response.reason_phrase or "no message"


class HttpClient:
    """A JSON-over-HTTP client for one source, bound to a base URL."""

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        requests_per_minute: int | None = None,
        requests_per_second: int | None = None,
        headers: Mapping[str, str] | None = None,
        sleep: Sleep = time.sleep,
        shared: SharedConnections | None = None,
    ) -> None:
        self.name = name
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        requests, window = (
            (requests_per_second, 1.0) if requests_per_second else (requests_per_minute, 60.0)
        )
        self._limiter: RateLimiter | None = None
        if requests and shared is not None:
            self._limiter = shared.limiter(base_url, requests, window, sleep)
        elif requests:
            self._limiter = RateLimiter(requests, sleep=sleep, window=window)
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(timeout),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})},
            follow_redirects=True,
            transport=shared.transport() if shared is not None else None,
        )

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET ``path`` and return the decoded JSON body, retrying temporary failures."""
        return self.request("GET", path, params=params)

    def post_json(
        self,
        path: str,
        body: Any = None,
        *,
        data: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """POST a JSON ``body`` (or form ``data``) and return the decoded JSON answer."""
        return self.request("POST", path, json=body, data=data, auth=auth, headers=headers)

    def get_bytes(self, path: str, params: Mapping[str, Any] | None = None) -> bytes:
        """GET ``path`` and return the raw body (feeds: the parser reads the encoding)."""
        return self.request("GET", path, params=params, decode=False)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        decode: bool = True,
    ) -> Any:
        """One request with the retry policy; JSON decoded unless ``decode`` is false."""
        return self.retry.call(
            lambda: self._send_once(method, path, params, json, data, auth, headers, decode),
            sleep=self._sleep,
        )

    def _send_once(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json: Any,
        data: Mapping[str, str] | None,
        auth: tuple[str, str] | None,
        headers: Mapping[str, str] | None,
        decode: bool,
    ) -> Any:
        if self._limiter is not None:
            self._limiter.acquire()
        where = f"{self.name} {path.split('?', 1)[0]}"
        try:
            response = self._client.request(
                method, path, params=params, json=json, data=data, auth=auth, headers=headers
            )
        except httpx.TimeoutException:
            raise TemporaryError(f"{where}: timed out") from None
        except httpx.TransportError as error:
            raise TemporaryError(f"{where}: {type(error).__name__}") from None
        status = response.status_code
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise RateLimited(f"{where}: rate limited (HTTP 429)", retry_after=retry_after)
        if status >= 500:
            raise TemporaryError(f"{where}: HTTP {status}")
        if status >= 400:
            raise PermanentError(f"{where}: HTTP {status}: {_error_message(response)}")
        if not decode:
            return response.content
        try:
            return response.json()
        except ValueError:
            raise MalformedResponse(f"{where}: the response is not JSON") from None

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
