"""Helpers for the trading floor's tests: a user, price rows, a deployment, and a test exchange
that follows the loop's Gateway protocol (fills at its quote, fee on top)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import sqlalchemy as sa

from omc.db import session_scope
from omc.floor.trading.gateway import FILLED, OrderOutcome, Quote
from omc.ledgers.exchange.models import PriceBar

T0 = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)


def make_user(engine, name: str = "tester") -> uuid.UUID:
    from omc.core.users import get_or_create_user

    with session_scope(engine) as session:
        return get_or_create_user(session, name).id


def insert_prices(
    engine,
    prices: list[float],
    *,
    start: dt.datetime = T0,
    step: dt.timedelta = dt.timedelta(hours=1),
    coin: str = "BTC",
    quote: str = "AUD",
    collected_lag: dt.timedelta = dt.timedelta(seconds=1),
) -> list[dt.datetime]:
    """Bars with open = close = the price, each collected just after it opened."""
    rows, times = [], []
    for position, price in enumerate(prices):
        when = start + position * step
        times.append(when)
        rows.append(
            {
                "timestamp": when,
                "coin_type": coin,
                "quote": quote,
                "last": Decimal(str(price)),
                "open": Decimal(str(price)),
                "high": Decimal(str(price)),
                "low": Decimal(str(price)),
                "bid": Decimal(str(price)),
                "ask": Decimal(str(price)),
                "source": "test",
                "collected_at": when + collected_lag,
            }
        )
    with engine.begin() as connection:
        connection.execute(sa.insert(PriceBar.__table__), rows)
    return times


class TestExchange:
    """Fills every market order at ``price`` with ``fee_rate`` on top; records what it got."""

    __test__ = False

    def __init__(self, price: str = "100", fee_rate: str = "0.01", at=None) -> None:
        self.price = Decimal(price)
        self.fee_rate = Decimal(fee_rate)
        self.at = at
        self.orders: list[tuple[str, Decimal, str]] = []
        self.unknown = 0
        self.fail_with: Exception | None = None
        self.cancelled = 0
        self.by_client: dict[str, OrderOutcome] = {}

    def quote(self, side: str) -> Quote | None:
        return Quote(self.price, self.at() if callable(self.at) else (self.at or T0))

    def _fill(self, side: str, units: Decimal, client_order_id: str) -> OrderOutcome:
        if self.fail_with is not None:
            self.orders.append((side, units, client_order_id))
            raise self.fail_with
        value = units * self.price
        outcome = OrderOutcome(
            FILLED, f"x{len(self.orders)}", units, self.price, value, value * self.fee_rate
        )
        self.orders.append((side, units, client_order_id))
        self.by_client[client_order_id] = outcome
        return outcome

    def buy(self, value: Decimal, client_order_id: str) -> OrderOutcome:
        return self._fill("buy", value / self.price, client_order_id)

    def sell(self, units: Decimal, client_order_id: str) -> OrderOutcome:
        return self._fill("sell", units, client_order_id)

    def outcome(self, client_order_id: str) -> OrderOutcome | None:
        return self.by_client.get(client_order_id)

    def unknown_orders(self) -> int:
        return self.unknown

    def cancel_open_orders(self) -> int:
        self.cancelled += 1
        return 0
