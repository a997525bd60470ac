"""Replay fills through the real paper broker: on a scratch SQLite database of its own (built by
the migrations), with the replay's clock and each next bar's open as its bid and ask.

The paper broker states coin amounts and AUD to 8 decimal places, as CoinSpot does, so its fills
differ from the backtest's exact arithmetic in the last places; the comparison says by how much.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

from omc.floor.brokers.base import AccountRef
from omc.floor.brokers.config import AMOUNT_STEP, BrokerConfig
from omc.floor.brokers.prices import PriceSnapshot
from omc.floor.trading.broker_gateway import aud_amount
from omc.floor.trading.replay import Fills

REPLAY_USER = "omc-replay"


class ReplayPrices:
    """The paper broker's price source during a replay: the price the loop sets, now."""

    def __init__(self) -> None:
        self.price: Decimal | None = None
        self.at: dt.datetime | None = None

    def latest(self, coin: str, quote: str = "AUD") -> PriceSnapshot | None:
        if self.price is None or self.at is None:
            return None
        return PriceSnapshot(coin, quote, self.price, self.price, self.price, self.at, "replay")


class PaperFills(Fills):
    """Orders of a replay through :class:`~omc.floor.brokers.paper.PaperBroker`."""

    def __init__(self, fee_rate: Decimal, capital: Decimal, coin: str, quote: str) -> None:
        from omc import schema
        from omc.core.users import get_or_create_user
        from omc.db import make_engine, session_scope
        from omc.floor.brokers.paper import PaperBroker

        super().__init__(fee_rate)
        self.directory = Path(tempfile.mkdtemp(prefix="omc-replay-"))
        self.engine = make_engine(f"sqlite:///{self.directory / 'replay.sqlite3'}")
        schema.upgrade(self.engine)
        with session_scope(self.engine) as session:
            user_id = get_or_create_user(session, REPLAY_USER).id
        self.prices = ReplayPrices()
        self.now = dt.datetime.now(dt.UTC)
        config = BrokerConfig(
            fee_rate=fee_rate,
            min_order_value=Decimal(0),
            max_price_age_seconds=1e9,  # the replay sets the price at each tick
            initial_cash=capital,
            unknown_after_seconds=86400.0,
        )
        self.broker = PaperBroker(
            self.engine,
            AccountRef(user_id, "paper", "replay"),
            self.prices,
            config=config,
            clock=lambda: self.now,
            quote_currency=quote,
        )
        self.coin = coin
        self.orders = 0

    def _at(self, now: dt.datetime, price: Decimal) -> str:
        self.now, self.prices.price, self.prices.at = now, price, now
        self.orders += 1
        return f"replay-{self.orders}"

    def buy(
        self, now: dt.datetime, value: Decimal, price: Decimal
    ) -> tuple[Decimal, Decimal, Decimal]:
        client = self._at(now, price)
        amount = aud_amount(value, self.fee_rate)
        result = self.broker.buy(self.coin, amount, amount_type="aud", client_order_id=client)
        fill = result.fills[0]
        return fill.quantity, fill.value, fill.fee

    def sell(
        self, now: dt.datetime, units: Decimal, price: Decimal
    ) -> tuple[Decimal, Decimal, Decimal]:
        client = self._at(now, price)
        amount = units.quantize(AMOUNT_STEP, rounding=ROUND_DOWN)
        result = self.broker.sell(self.coin, amount, amount_type="coin", client_order_id=client)
        fill = result.fills[0]
        return fill.quantity, fill.value, fill.fee

    def close(self) -> None:
        self.engine.dispose()
        shutil.rmtree(self.directory, ignore_errors=True)
