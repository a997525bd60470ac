"""A test exchange for the floor daemon's subprocess tests, registered as the ``paper`` venue
through ``floor.venue_modules``: it fills market orders at the newest collected bid/ask (what
the collector stored from the loopback CoinSpot), fee on top, and keeps every order it got in
an append-only file (``OMC_TEST_VENUE_FILE``), so a test can count orders across restarts.
``OMC_TEST_VENUE_HANG`` makes it record an order and then hang, as a dying request would;
``OMC_TEST_VENUE_DELAY`` (seconds) makes it answer slowly.
"""

from __future__ import annotations

import json
import os
import time
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from omc.db import utcnow
from omc.floor.trading.gateway import FILLED, OrderOutcome, Quote
from omc.floor.trading.venues import register_venue
from omc.ledgers.exchange.models import PriceBar

FEE = Decimal("0.01")


class FileExchange:
    def __init__(self, runtime, deployment) -> None:
        self.engine = runtime.engine()
        self.coin, self.quote_currency = deployment.coin, deployment.quote
        self.path = Path(os.environ["OMC_TEST_VENUE_FILE"])

    def _orders(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line]

    def _newest(self):
        table = PriceBar.__table__
        with self.engine.connect() as connection:
            return connection.execute(
                sa.select(table.c.bid, table.c.ask, table.c.collected_at)
                .where(table.c.coin_type == self.coin, table.c.quote == self.quote_currency)
                .order_by(table.c.timestamp.desc())
                .limit(1)
            ).first()

    def quote(self, side: str) -> Quote | None:
        row = self._newest()
        if row is None:
            return None
        return Quote(row.ask if side == "buy" else row.bid, row.collected_at)

    def _fill(self, side: str, units: Decimal, price: Decimal, client_order_id: str):
        value = units * price
        record = {
            "client_order_id": client_order_id,
            "side": side,
            "units": str(units),
            "price": str(price),
            "at": utcnow().isoformat(),
        }
        with self.path.open("a") as handle:
            handle.write(json.dumps(record) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        if os.environ.get("OMC_TEST_VENUE_HANG"):
            time.sleep(3600)
        time.sleep(float(os.environ.get("OMC_TEST_VENUE_DELAY", "0")))
        return OrderOutcome(FILLED, client_order_id, units, price, value, value * FEE)

    def buy(self, value: Decimal, client_order_id: str) -> OrderOutcome:
        price = self.quote("buy").price
        return self._fill("buy", value / price, price, client_order_id)

    def sell(self, units: Decimal, client_order_id: str) -> OrderOutcome:
        return self._fill("sell", units, self.quote("sell").price, client_order_id)

    def outcome(self, client_order_id: str) -> OrderOutcome | None:
        for order in self._orders():
            if order["client_order_id"] == client_order_id:
                units, price = Decimal(order["units"]), Decimal(order["price"])
                return OrderOutcome(
                    FILLED, client_order_id, units, price, units * price, units * price * FEE
                )
        return None

    def unknown_orders(self) -> int:
        return 0

    def cancel_open_orders(self) -> int:
        return 0


register_venue("paper", FileExchange)
