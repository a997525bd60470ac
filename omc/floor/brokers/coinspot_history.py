"""CoinSpot's read-only order history (``/ro/my/orders/completed``) and matching its items to
our orders: by coin, side, amount and time, never by guesswork.

Items look like ``{id, coin, type, market, rate, amount, total, solddate, audfeeExGst, audGst,
audtotal, otc?}`` in ``buyorders`` and ``sellorders``; numbers may be JSON numbers or strings,
and ``created`` sometimes stands in for ``solddate``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from omc.floor.brokers.base import Fill
from omc.ledgers.exchange.models import Order

HISTORY_PATH = "/my/orders/completed"
HISTORY_LIMIT = 500  # CoinSpot's maximum: a full page may have left older items out
AMOUNT_TOLERANCE = Decimal("0.00000001")
AUD_TOLERANCE = Decimal("0.01")
CLOCK_SKEW = dt.timedelta(seconds=60)


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _time(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        return dt.datetime.fromtimestamp(seconds, dt.UTC)
    try:
        parsed = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class HistoryItem:
    side: str
    coin: str
    market: str
    rate: Decimal | None
    amount: Decimal
    total: Decimal | None
    audtotal: Decimal | None
    fee_ex_gst: Decimal | None
    gst: Decimal | None
    at: dt.datetime | None  # None: CoinSpot gave no time (it matches any window)
    id: str | None
    # Items with no id that look the same (no time either) are told apart by their order.
    occurrence: int = 1

    @property
    def trade_key(self) -> str:
        if self.id:
            return f"coinspot:{self.id}"
        when = self.at.isoformat() if self.at else "-"
        digest = hashlib.sha256(
            f"{self.side}|{self.coin}|{self.market}|{when}|{self.amount}|"
            f"{self.total}|{self.rate}".encode()
        ).hexdigest()[:32]
        suffix = f":{self.occurrence}" if self.occurrence > 1 else ""
        return f"coinspot:h:{digest}{suffix}"

    @property
    def fee(self) -> Decimal | None:
        if self.fee_ex_gst is None and self.gst is None:
            return None
        return (self.fee_ex_gst or Decimal(0)) + (self.gst or Decimal(0))

    def to_fill(self, fallback_fee_rate: Decimal) -> Fill:
        price = self.rate
        if price is None or price <= 0:
            total = self.total if self.total is not None else self.audtotal
            price = (total or Decimal(0)) / self.amount
        fee = self.fee
        source = "exchange"
        if fee is None:
            fee, source = self.amount * price * fallback_fee_rate, "estimate"
        return Fill(
            trade_key=self.trade_key,
            coin=self.coin,
            side=self.side,  # type: ignore[arg-type]
            quantity=self.amount,
            price=price,
            fee=fee,
            executed_at=self.at or dt.datetime.now(dt.UTC),
            fee_ex_gst=self.fee_ex_gst,
            gst=self.gst,
            fee_source=source,
        )


def parse_history(
    body: dict[str, Any], *, not_before: dt.datetime | None = None
) -> list[HistoryItem]:
    """The history's items; with ``not_before``, older ones are skipped before being parsed
    (a day's history can hold hundreds)."""
    items = []
    for side, key in (("buy", "buyorders"), ("sell", "sellorders")):
        for raw in body.get(key) or []:
            if not isinstance(raw, dict):
                continue
            at = _time(raw.get("solddate") or raw.get("created"))
            if at is not None and not_before is not None and at < not_before:
                continue
            amount = _decimal(raw.get("amount"))
            coin = str(raw.get("coin") or "").upper()
            if amount is None or amount <= 0 or not coin:
                continue
            items.append(
                HistoryItem(
                    side=side,
                    coin=coin,
                    market=str(raw.get("market") or f"{coin}/AUD").upper(),
                    rate=_decimal(raw.get("rate")),
                    amount=amount,
                    total=_decimal(raw.get("total")),
                    audtotal=_decimal(raw.get("audtotal")),
                    fee_ex_gst=_decimal(raw.get("audfeeExGst")),
                    gst=_decimal(raw.get("audGst")),
                    at=at,
                    id=str(raw["id"]) if raw.get("id") not in (None, "") else None,
                )
            )
    seen: dict[str, int] = {}
    numbered = []
    for item in items:
        if item.id:
            numbered.append(item)
            continue
        seen[item.trade_key] = seen.get(item.trade_key, 0) + 1
        numbered.append(dataclasses.replace(item, occurrence=seen[item.trade_key]))
    return numbered


def history_params(coin: str, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """Whole UTC days around the window (CoinSpot takes ``YYYY-MM-DD``); we filter finer."""
    return {
        "cointype": coin.upper(),
        "startdate": (start - dt.timedelta(days=1)).date().isoformat(),
        "enddate": (end + dt.timedelta(days=1)).date().isoformat(),
        "limit": HISTORY_LIMIT,
    }


def _amount_matches(order: Order, item: HistoryItem) -> bool:
    if order.amount_type == "aud" and order.aud_amount is not None:
        totals = [value for value in (item.audtotal, item.total) if value is not None]
        if order.side == "sell" and item.rate is not None:
            totals.append(item.amount * item.rate)
        return any(abs(total - order.aud_amount) <= AUD_TOLERANCE for total in totals)
    return abs(item.amount - order.quantity) <= AMOUNT_TOLERANCE


def matching_items(
    order: Order,
    items: list[HistoryItem],
    *,
    window_end: dt.datetime,
    claimed: set[str],
) -> list[HistoryItem]:
    """History items that could be ``order``: same coin, side and market, its amount, executed
    between its creation (less clock skew) and ``window_end`` (or at a time CoinSpot did not
    give), not already another order's."""
    # "BTC/AUD" as CoinSpot writes it; a bare "AUD" is read the same way.
    markets = {f"{order.coin_type}/{order.quote}".upper(), order.quote.upper()}
    start = order.created_at - CLOCK_SKEW
    return [
        item
        for item in items
        if item.coin == order.coin_type.upper()
        and item.side == order.side
        and item.market in markets
        and (item.at is None or start <= item.at <= window_end + CLOCK_SKEW)
        and item.trade_key not in claimed
        and _amount_matches(order, item)
    ]
