"""What the trading loop needs from a broker, in the loop's own terms.

A :class:`Gateway` is one deployment's view of its broker account and market: a quote for a
side, a market buy of a quote-currency value (the fee charged on top, as the backtest counts
it), a market sell of coin units, the outcome of an order by its client id (to settle a tick
that died after sending), how many orders on the account are ``unknown``, and cancelling open
orders (the kill switch). :mod:`omc.floor.trading.brokers` adapts the brokers of
:mod:`omc.floor.brokers` to it; tests may pass their own exchange that follows it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

FILLED, REJECTED, UNKNOWN, OPEN = "filled", "rejected", "unknown", "open"


@dataclass(frozen=True)
class Quote:
    price: Decimal
    at: dt.datetime


@dataclass(frozen=True)
class OrderOutcome:
    """What became of one order: status, the broker's order id, and the fill if any."""

    status: str
    order_id: str | None = None
    units: Decimal = Decimal(0)
    price: Decimal | None = None
    value: Decimal = Decimal(0)  # units x price, before the fee
    fee: Decimal = Decimal(0)
    reason: str | None = None


class Gateway(Protocol):
    def quote(self, side: str) -> Quote | None: ...

    def buy(self, value: Decimal, client_order_id: str) -> OrderOutcome: ...

    def sell(self, units: Decimal, client_order_id: str) -> OrderOutcome: ...

    def outcome(self, client_order_id: str) -> OrderOutcome | None: ...

    def unknown_orders(self) -> int: ...

    def cancel_open_orders(self) -> int: ...
