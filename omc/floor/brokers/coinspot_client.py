"""The CoinSpot API v2 private client: signed POSTs with a persisted, monotonic nonce.

The body (the parameters plus ``nonce``) is serialised once; those exact bytes are signed (hex
HMAC-SHA512 with the secret, header ``sign``, the key in header ``key``) and sent. Read-only
calls go to ``{base}/ro{path}``. Failures are classified by what they mean for an order:

- :class:`NotSent`: the request surely never arrived (no connection);
- :class:`CoinSpotRejected`: CoinSpot answered and refused (``{"status":"error","message":…}``
  or another 4xx), so nothing happened;
- :class:`CoinSpotRateLimited`: HTTP 429, refused by the rate limit;
- :class:`NoAnswer`: it may have arrived and been carried out (a timeout, a dropped
  connection, a 5xx, a body that is not CoinSpot's JSON such as an HTML error page).

Only read-only calls are retried (with backoff, honouring ``Retry-After``); an order is never
re-sent. Neither the key nor the secret appears in any message.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import httpx

from omc.errors import EX_UNAVAILABLE, OmcError
from omc.floor.brokers.nonce import NonceSource
from omc.ledgers.http import RateLimiter

Sleep = Callable[[float], None]


class CoinSpotError(OmcError):
    """Calling CoinSpot failed; ``maybe_executed`` says whether the call may have taken effect."""

    exit_code = EX_UNAVAILABLE
    maybe_executed = False


class NotSent(CoinSpotError):
    """No connection: the request never left."""


class CoinSpotRejected(CoinSpotError):
    """CoinSpot answered and refused; ``http_status`` is its HTTP status."""

    def __init__(self, message: str, *, http_status: int) -> None:
        super().__init__(message)
        self.http_status = http_status


class CoinSpotRateLimited(CoinSpotError):
    def __init__(self, message: str, *, retry_after: float | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NoAnswer(CoinSpotError):
    """No usable answer: the request may have been carried out."""

    maybe_executed = True


def _number(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def encode_body(params: Mapping[str, Any]) -> bytes:
    """Compact JSON with Decimals as exact JSON numbers (``0.00123``, never floats)."""
    parts = []
    for name, value in params.items():
        if isinstance(value, Decimal):
            encoded = _number(value)
        elif isinstance(value, bool) or value is None or isinstance(value, int | float | str):
            encoded = json.dumps(value)
        else:
            encoded = json.dumps(str(value))
        parts.append(f"{json.dumps(name)}:{encoded}")
    return ("{" + ",".join(parts) + "}").encode()


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha512).hexdigest()


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _error_message(body: Any) -> str | None:
    if isinstance(body, dict) and str(body.get("status", "")).lower() == "error":
        message = body.get("message")
        return str(message) if message else "no reason given"
    return None


class CoinSpotClient:
    """Signed calls to one CoinSpot key's private API."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        api_secret: str,
        nonces: NonceSource,
        *,
        timeout_seconds: float = 15.0,
        requests_per_minute: int = 1000,
        read_attempts: int = 4,
        transport: httpx.BaseTransport | None = None,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._key = api_key
        self._secret = api_secret
        self.nonces = nonces
        self.timeout_seconds = timeout_seconds
        self.read_attempts = max(read_attempts, 1)
        self._sleep = sleep
        self._limiter = RateLimiter(requests_per_minute, sleep=sleep)
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout_seconds),
            transport=transport,
            headers={"User-Agent": "omc-floor (CoinSpot API v2 client)"},
        )

    def close(self) -> None:
        self._http.close()

    def __repr__(self) -> str:  # never the key or the secret
        return f"CoinSpotClient({self.base_url!r})"

    def url(self, path: str, *, read_only: bool) -> str:
        return f"{self.base_url}{'/ro' if read_only else ''}/{path.lstrip('/')}"

    def call(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """One full-access call, sent once (for orders and quotes)."""
        return self._send(path, params or {}, read_only=False)

    def read(
        self, path: str, params: Mapping[str, Any] | None = None, *, full_access: bool = False
    ) -> dict[str, Any]:
        """A call that changes nothing, retried on temporary failures (a new nonce each time)."""
        for attempt in range(1, self.read_attempts + 1):
            try:
                return self._send(path, params or {}, read_only=not full_access)
            except CoinSpotRejected:
                raise
            except CoinSpotError as error:
                if attempt >= self.read_attempts:
                    raise
                delay = min(2.0 ** (attempt - 1), 30.0)
                if isinstance(error, CoinSpotRateLimited) and error.retry_after is not None:
                    delay = min(max(error.retry_after, 0.0), 60.0)
                self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(self, path: str, params: Mapping[str, Any], *, read_only: bool) -> dict[str, Any]:
        url = self.url(path, read_only=read_only)
        where = f"CoinSpot {'/ro' if read_only else ''}/{path.lstrip('/')}"
        self._limiter.acquire()
        with self.nonces.next() as nonce:
            body = encode_body({**params, "nonce": nonce})
            headers = {
                "Content-Type": "application/json",
                "key": self._key,
                "sign": sign(self._secret, body),
            }
            try:
                response = self._http.post(url, content=body, headers=headers)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
                raise NotSent(f"{where}: could not connect ({type(error).__name__})") from None
            except httpx.TimeoutException:
                raise NoAnswer(f"{where}: no answer within {self.timeout_seconds:g} s") from None
            except httpx.TransportError as error:
                raise NoAnswer(f"{where}: the connection failed ({type(error).__name__})") from None
        return self._interpret(response, where)

    def _interpret(self, response: httpx.Response, where: str) -> dict[str, Any]:
        status = response.status_code
        if status == 429:
            raise CoinSpotRateLimited(
                f"{where}: rate limited by CoinSpot (HTTP 429)", retry_after=_retry_after(response)
            )
        try:
            body = response.json()
        except ValueError:
            body = None
        message = _error_message(body)
        if status >= 500:
            detail = f": {message}" if message else ""
            raise NoAnswer(f"{where}: CoinSpot server error (HTTP {status}){detail}")
        if message is not None:
            raise CoinSpotRejected(f"CoinSpot refused: {message}", http_status=status)
        if status != 200:
            raise CoinSpotRejected(f"{where}: CoinSpot refused (HTTP {status})", http_status=status)
        if not isinstance(body, dict) or str(body.get("status", "")).lower() != "ok":
            kind = response.headers.get("content-type", "unknown").split(";")[0]
            raise NoAnswer(f"{where}: not CoinSpot's JSON (HTTP 200, {kind})")
        return body
