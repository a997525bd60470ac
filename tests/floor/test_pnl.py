"""FIFO P&L against a sequence computed by hand, fees and cash included."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from omc.floor.brokers import AccountRef, BrokerConfig
from omc.floor.brokers.paper import PaperBroker
from omc.floor.brokers.prices import PriceSnapshot
from omc.floor.pnl import TradeRow, account_pnl, compute_pnl

T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
D = Decimal

# (side, quantity, price); the fee is 1% of quantity * price.
SEQUENCE = [("buy", "1", "100"), ("buy", "1", "120"), ("sell", "1.5", "130"),
            ("sell", "0.5", "90"), ("buy", "2", "50")]  # fmt: skip
# By hand: lots (1 @ 101), (1 @ 121.2) with fees in cost; selling 1.5 @ 130 brings
# 195 - 1.95 = 193.05 against 101 + 60.6 = 161.6: +31.45; selling 0.5 @ 90 brings
# 45 - 0.45 = 44.55 against 60.6: -16.05; realised 15.40. Then 2 @ 50.5 remain; at a bid of
# 60 they are worth 120 against 101: +19. Cash 1000 - 101 - 121.2 + 193.05 + 44.55 - 101.


def rows():
    return [
        TradeRow("BTC", side, D(q), D(p), D(q) * D(p) / 100, T0 + dt.timedelta(hours=i))
        for i, (side, q, p) in enumerate(SEQUENCE)
    ]


def test_fifo_realised_unrealised_fees_cash_and_equity():
    pnl = compute_pnl(rows(), cash=D("914.40"), initial_cash=D(1000), bids={"BTC": D(60)})
    assert pnl.realized == D("15.40")
    assert pnl.unrealized == D("19")
    assert pnl.fees == D("5.60")
    assert pnl.equity == D("1034.40")
    assert pnl.total == pnl.realized + pnl.unrealized == D("34.40")
    (coin,) = pnl.coins.values()
    assert (coin.quantity, coin.cost) == (D(2), D(101))


def test_since_counts_only_later_fills_but_keeps_earlier_lots():
    pnl = compute_pnl(
        rows(), cash=D("914.40"), initial_cash=D(1000), bids={"BTC": D(60)},
        since=T0 + dt.timedelta(hours=2),
    )  # fmt: skip
    assert (pnl.realized, pnl.fees) == (D("15.40"), D("3.40"))
    pnl = compute_pnl(
        rows(), cash=D(0), initial_cash=D(0), bids={}, since=T0 + dt.timedelta(hours=3)
    )
    assert pnl.realized == D("-16.05")
    assert pnl.unpriced == ["BTC"]


class Scripted:
    """Prices that move as the test says (bid = ask = the fill price)."""

    def __init__(self) -> None:
        self.price = D(0)
        self.at = T0

    def latest(self, coin, quote="AUD"):
        return PriceSnapshot(coin, quote, self.price, self.price, self.price, self.at, "test")


def test_paper_account_pnl_from_its_stored_trades(engine, user_id):
    prices = Scripted()
    clock = {"now": T0}
    broker = PaperBroker(
        engine,
        AccountRef(user_id, "paper", "fifo"),
        prices,
        config=BrokerConfig(fee_rate=D("0.01"), initial_cash=D(1000), max_price_age_seconds=60),
        clock=lambda: clock["now"],
    )
    for i, (side, quantity, price) in enumerate(SEQUENCE):
        clock["now"] = prices.at = T0 + dt.timedelta(hours=i)
        prices.price = D(price)
        getattr(broker, side)("BTC", D(quantity))
    pnl = account_pnl(engine, broker.account, bids=lambda coins: {c: D(60) for c in coins})
    assert (pnl.cash, pnl.realized, pnl.unrealized, pnl.fees) == (
        D("914.40"), D("15.40"), D("19"), D("5.60"),
    )  # fmt: skip
    assert pnl.total == D("34.40")
    later = account_pnl(engine, broker.account, bids={}, since=T0 + dt.timedelta(hours=3))
    assert (later.realized, later.fees, later.unpriced) == (D("-16.05"), D("1.45"), ["BTC"])
