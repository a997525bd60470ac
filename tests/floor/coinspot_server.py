"""A loopback CoinSpot private API (v2) for tests: strict about signatures and nonces.

Every request must carry ``key`` and ``sign`` headers; ``sign`` must be the hex HMAC-SHA512 of
the exact body bytes received under that key's secret, and the body's ``nonce`` must be larger
than any the key sent before (checked under a lock, in the order requests arrive). Answers use
CoinSpot's shapes. Faults are queued per path: ``server.fault("/my/buy/now", "hang")``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import itertools
import json
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FEE = Decimal("0.01")
STEP = Decimal("0.00000001")


def _num(value: Decimal) -> float:
    return float(value)


@dataclass
class Key:
    secret: str
    read_only: bool = False


@dataclass
class State:
    keys: dict[str, Key] = field(default_factory=dict)
    balances: dict[str, Decimal] = field(default_factory=lambda: {"AUD": Decimal("10000")})
    rates: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)  # coin -> (bid, ask)
    history: list[dict[str, Any]] = field(default_factory=list)
    last_nonce: dict[str, int] = field(default_factory=dict)
    nonce_violations: list[tuple[int, int]] = field(default_factory=list)
    signature_failures: int = 0
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    faults: dict[str, list[str]] = field(default_factory=dict)
    history_drops: tuple[str, ...] = ()  # fields the history leaves out (e.g. "solddate", "id")
    executed: list[dict[str, Any]] = field(default_factory=list)
    order_arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: Any = field(default_factory=lambda: itertools.count(1000))


class Handler(BaseHTTPRequestHandler):
    server_version = "LoopbackCoinSpot/1"
    state: State  # set on the subclass

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: Any, content_type: str = "application/json") -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str) -> None:
        self._send(status, {"status": "error", "message": message})

    def do_POST(self) -> None:
        state = self.state
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = self.path.split("?", 1)[0]
        prefix = "/api/v2"
        if not path.startswith(prefix):
            return self._error(404, "Not found")
        path = path[len(prefix) :]
        read_only = path.startswith("/ro/")
        route = path[3:] if read_only else path
        key = self.headers.get("key", "")
        known = state.keys.get(key)
        if known is None:
            return self._error(401, "Invalid API key")
        expected = hmac.new(known.secret.encode(), raw, hashlib.sha512).hexdigest()
        if not hmac.compare_digest(expected, self.headers.get("sign", "")):
            with state.lock:
                state.signature_failures += 1
            return self._error(401, "Invalid signature")
        try:
            params = json.loads(raw, parse_float=Decimal)
            nonce = int(params["nonce"])
        except (ValueError, KeyError, TypeError):
            return self._error(400, "Invalid request")
        with state.lock:
            last = state.last_nonce.get(key, 0)
            if nonce <= last:
                state.nonce_violations.append((last, nonce))
                return self._error(400, "Invalid nonce")
            state.last_nonce[key] = nonce
            state.requests.append((path, params))
            faults = state.faults.get(path) or []
            fault = faults.pop(0) if faults else None
        if known.read_only and not read_only:
            return self._error(401, "Read-only API key: full access endpoint refused")
        if fault == "429":
            return self._send(429, {"status": "error", "message": "Too many requests"})
        if fault == "500":
            return self._error(500, "Internal server error")
        if fault == "html":
            return self._send(502, b"<html><body>502 Bad Gateway</body></html>", "text/html")
        if fault == "html200":
            return self._send(200, b"<html><body>Maintenance</body></html>", "text/html")
        answer = self._route(route, read_only, params)
        if answer is None:
            return self._error(404, "Not found")
        status, body = answer
        if fault in ("hang", "hang_then_500") and status == 200:
            state.order_arrived.set()
            state.release.wait(30)
            if fault == "hang_then_500":
                return self._error(500, "Internal server error")
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._send(status, body)

    # Routes -----------------------------------------------------------------------------

    def _route(self, route: str, read_only: bool, params: dict[str, Any]) -> tuple[int, Any] | None:
        state = self.state
        if route == "/status":
            return 200, {"status": "ok", "message": "ok"}
        if read_only:
            if route == "/my/balances":
                with state.lock:
                    items = [
                        {coin: {"balance": _num(amount), "audbalance": 0, "rate": 0}}
                        for coin, amount in sorted(state.balances.items())
                    ]
                return 200, {"status": "ok", "message": "ok", "balances": items}
            if route == "/my/orders/completed":
                return 200, self._history(params)
            return None
        if route in ("/quote/buy/now", "/quote/sell/now"):
            coin = str(params.get("cointype", "")).upper()
            if coin not in state.rates:
                return 400, {"status": "error", "message": "Coin not found"}
            bid, ask = state.rates[coin]
            rate = ask if route.endswith("buy/now") else bid
            return 200, {"status": "ok", "message": "ok", "rate": _num(rate)}
        if route in ("/my/buy/now", "/my/sell/now"):
            return self._now(route.split("/")[2], params)
        return None

    def _now(self, side: str, params: dict[str, Any]) -> tuple[int, Any]:
        state = self.state
        coin = str(params.get("cointype", "")).upper()
        if coin not in state.rates:
            return 400, {"status": "error", "message": "Coin not found"}
        amount_type = params.get("amounttype")
        if amount_type not in ("coin", "aud"):
            return 400, {"status": "error", "message": "Invalid amounttype"}
        amount = Decimal(str(params["amount"]))
        bid, ask = state.rates[coin]
        rate = ask if side == "buy" else bid
        if "rate" in params and "threshold" in params:
            asked = Decimal(str(params["rate"]))
            threshold = Decimal(str(params["threshold"])) / 100
            moved = (rate - asked) / asked
            direction = params.get("direction", "UP" if side == "buy" else "DOWN")
            if (direction in ("UP", "BOTH") and moved > threshold) or (
                direction in ("DOWN", "BOTH") and -moved > threshold
            ):
                return 400, {"status": "error", "message": "Price moved beyond your threshold"}
        with state.lock:
            if side == "buy":
                if amount_type == "aud":
                    value = (amount / (1 + FEE)).quantize(STEP)
                    quantity = (value / rate).quantize(STEP)
                else:
                    quantity = amount
                value = quantity * rate
                fee = (value * FEE).quantize(STEP)
                if state.balances.get("AUD", Decimal(0)) < value + fee:
                    return 400, {"status": "error", "message": "Insufficient funds"}
                state.balances["AUD"] -= value + fee
                state.balances[coin] = state.balances.get(coin, Decimal(0)) + quantity
                total = value + fee
            else:
                quantity = amount if amount_type == "coin" else (amount / rate).quantize(STEP)
                if state.balances.get(coin, Decimal(0)) < quantity:
                    return 400, {"status": "error", "message": "Insufficient coins"}
                value = quantity * rate
                fee = (value * FEE).quantize(STEP)
                state.balances[coin] -= quantity
                state.balances["AUD"] = state.balances.get("AUD", Decimal(0)) + value - fee
                total = value - fee
            fee_ex = (fee / Decimal("1.1")).quantize(STEP)
            item = {
                "id": str(next(state.ids)),
                "coin": coin,
                "type": "instant",
                "market": f"{coin}/AUD",
                "rate": _num(rate),
                "amount": _num(quantity),
                "total": _num(value),
                "solddate": dt.datetime.now(dt.UTC)
                .isoformat(timespec="milliseconds")
                .replace("+00:00", "Z"),
                "audfeeExGst": _num(fee_ex),
                "audGst": _num(fee - fee_ex),
                "audtotal": _num(total),
                "side": side,
            }
            state.history.append(item)
            state.executed.append(item)
        return 200, {
            "status": "ok",
            "message": "ok",
            "coin": coin,
            "amount": _num(quantity),
            "market": f"{coin}/AUD",
            "total": _num(total),
        }

    def _history(self, params: dict[str, Any]) -> dict[str, Any]:
        state = self.state
        coin = str(params.get("cointype") or "").upper()
        start = params.get("startdate")
        end = params.get("enddate")
        buys, sells = [], []
        with state.lock:
            items = list(state.history)
        for item in items:
            day = item["solddate"][:10]
            if coin and item["coin"] != coin:
                continue
            if start and day < str(start):
                continue
            if end and day > str(end):
                continue
            hidden = {"side", *state.history_drops}
            shown = {k: v for k, v in item.items() if k not in hidden}
            (buys if item["side"] == "buy" else sells).append(shown)
        limit = int(params.get("limit") or 200)
        return {
            "status": "ok",
            "message": "ok",
            "buyorders": buys[:limit],
            "sellorders": sells[:limit],
        }


class LoopbackCoinSpot:
    """Start with ``with LoopbackCoinSpot() as server:``; ``server.url`` is the API base."""

    def __init__(self) -> None:
        self.state = State()
        handler = type("BoundHandler", (Handler,), {"state": self.state})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api/v2"

    def add_key(self, key: str, secret: str, *, read_only: bool = False) -> None:
        self.state.keys[key] = Key(secret, read_only)

    def set_rate(self, coin: str, bid: str, ask: str) -> None:
        self.state.rates[coin.upper()] = (Decimal(bid), Decimal(ask))

    def fault(self, path: str, *kinds: str) -> None:
        with self.state.lock:
            self.state.faults.setdefault(path, []).extend(kinds)

    def orders_at_server(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return list(self.state.executed)

    def __enter__(self) -> LoopbackCoinSpot:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.state.release.set()
        self._server.shutdown()
        self._server.server_close()


@contextlib.contextmanager
def serving(monkeypatch: Any, key: str, secret: str, coin: str, bid: str, ask: str):
    """A running loopback CoinSpot that knows ``key`` and quotes ``coin``, with omc's
    ``floor.coinspot_api_url`` (and a short timeout) pointed at it for the test."""
    with LoopbackCoinSpot() as server:
        server.add_key(key, secret)
        server.set_rate(coin, bid, ask)
        monkeypatch.setenv("OMC_FLOOR__COINSPOT_API_URL", server.url)
        monkeypatch.setenv("OMC_FLOOR__COINSPOT_TIMEOUT_SECONDS", "2")
        yield server
