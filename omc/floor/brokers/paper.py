"""The paper broker: market orders filled at the real latest CoinSpot price (buy at the ask,
sell at the bid) with CoinSpot's fee, against a paper account kept in the database.

Each order is one transaction: the account row is locked, the checks run, and the order, its
fill, the position and the cash are written together, so a crash leaves either the whole order
or none of it and two processes never spend the same cash. A price older than
``max_price_age_seconds``, a short balance or an order under the minimum is refused with a
reason; nothing is written for a refusal.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from omc.db import session_scope, utcnow
from omc.errors import UsageProblem
from omc.floor.brokers import journal
from omc.floor.brokers.base import (
    AccountRef,
    AmountType,
    Balance,
    BrokerQuote,
    Fill,
    MarketOrders,
    OrderRefused,
    OrderResult,
    Side,
)
from omc.floor.brokers.config import AMOUNT_STEP, BrokerConfig
from omc.floor.brokers.owner import current_owner
from omc.floor.brokers.prices import PriceSnapshot, PriceSource
from omc.floor.brokers.statements import statements
from omc.ledgers.exchange.models import Position

Clock = Callable[[], dt.datetime]
ZERO = Decimal(0)


def check_amount(amount: Decimal, amount_type: str) -> Decimal:
    if amount_type not in ("coin", "aud"):
        raise OrderRefused("bad_amount", f"amount type must be coin or aud, not {amount_type!r}")
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    except ArithmeticError:
        raise OrderRefused("bad_amount", f"not an amount: {amount!r}") from None
    if not value.is_finite() or value <= 0:
        raise OrderRefused("bad_amount", f"the amount must be more than 0, not {amount}")
    return value


def _coin(value: Decimal) -> Decimal:
    return value.quantize(AMOUNT_STEP, rounding=ROUND_DOWN)


def _aud(value: Decimal) -> Decimal:
    return value.quantize(AMOUNT_STEP, rounding=ROUND_HALF_EVEN)


class PaperBroker(MarketOrders):
    """The :class:`~omc.floor.brokers.base.Broker` of one paper account."""

    def __init__(
        self,
        engine: Engine,
        account: AccountRef,
        prices: PriceSource,
        *,
        config: BrokerConfig | None = None,
        clock: Clock = utcnow,
        quote_currency: str = "AUD",
    ) -> None:
        if account.mode != "paper":
            raise UsageProblem("the paper broker trades paper accounts only")
        self.engine = engine
        self._account = account
        self.prices = prices
        self.config = config or BrokerConfig()
        self.clock = clock
        self.quote_currency = quote_currency

    @property
    def account(self) -> AccountRef:
        return self._account

    # Prices ---------------------------------------------------------------------------------

    def _snapshot(self, coin: str, now: dt.datetime) -> tuple[PriceSnapshot, float]:
        snapshot = self.prices.latest(coin, self.quote_currency)
        if snapshot is None:
            raise OrderRefused(
                "no_price", f"no CoinSpot price for {coin}/{self.quote_currency} has been collected"
            )
        age = (now - snapshot.at).total_seconds()
        if age > self.config.max_price_age_seconds:
            raise OrderRefused(
                "stale_price",
                f"the latest {coin} price is {age:.0f} s old, older than "
                f"floor.max_price_age_seconds ({self.config.max_price_age_seconds:g} s); "
                "is the collector running?",
            )
        return snapshot, age

    def quote(
        self, coin: str, side: Side, amount: Decimal, amount_type: AmountType = "coin"
    ) -> BrokerQuote:
        coin = coin.strip().upper()
        now = self.clock()
        snapshot, age = self._snapshot(coin, now)
        rate = snapshot.ask if side == "buy" else snapshot.bid
        if rate is None:
            which = "ask" if side == "buy" else "bid"
            raise OrderRefused("no_price", f"CoinSpot's latest {coin} price has no {which}")
        return BrokerQuote(
            coin=coin,
            side=side,
            rate=rate,
            amount=check_amount(amount, amount_type),
            amount_type=amount_type,
            at=snapshot.at,
            source=snapshot.source,
            age_seconds=age,
        )

    # Balances -------------------------------------------------------------------------------

    def balances(self) -> list[Balance]:
        now = self.clock()
        ref = self._account
        with session_scope(self.engine) as session:
            account = journal.find_account(session, ref)
            cash = account.cash if account is not None else self.config.initial_cash
            positions = session.execute(
                sa.select(Position).where(
                    Position.user_id == ref.user_id,
                    Position.mode == "paper",
                    Position.account == ref.name,
                    Position.quantity > 0,
                )
            ).scalars()
            held = [(row.coin_type, row.quantity) for row in positions]
        out = [Balance("AUD", cash, cash, cash, Decimal(1))]
        for coin, quantity in sorted(held):
            snapshot = self.prices.latest(coin, self.quote_currency)
            bid = snapshot.bid if snapshot is not None else None
            value = quantity * bid if bid is not None else None
            out.append(Balance(coin, quantity, quantity, value, bid))
        del now
        return out

    # Orders ---------------------------------------------------------------------------------

    def _fill_terms(
        self, side: Side, amount: Decimal, amount_type: str, rate: Decimal
    ) -> tuple[Decimal, Decimal, Decimal]:
        """(coin quantity, coin value in AUD, fee in AUD) of a fill at ``rate``."""
        fee_rate = self.config.fee_rate
        if side == "buy" and amount_type == "aud":
            # CoinSpot counts an AUD buy fee included: `amount` is what leaves the account.
            value = _aud(amount / (1 + fee_rate))
            quantity = _coin(value / rate)
            value = quantity * rate
            return quantity, value, _aud(amount - value) if quantity > 0 else ZERO
        quantity = _coin(amount if amount_type == "coin" else amount / rate)
        value = quantity * rate
        return quantity, value, _aud(value * fee_rate)

    def _place(
        self,
        side: Side,
        coin: str,
        amount: Decimal,
        amount_type: AmountType,
        max_slippage: Decimal,
        client_order_id: str | None,
        reference: str | None,
    ) -> OrderResult:
        amount = check_amount(amount, amount_type)
        coin = coin.strip().upper()
        quoted = self.quote(coin, side, amount, amount_type)
        now = self.clock()
        quantity, value, fee = self._fill_terms(side, amount, amount_type, quoted.rate)
        if quantity <= 0:
            raise OrderRefused(
                "bad_amount", f"{amount} {amount_type} buys no {coin} at {quoted.rate}"
            )
        if value < self.config.min_order_value:
            raise OrderRefused(
                "below_minimum",
                f"the order's value {value:.2f} {self.quote_currency} is under the minimum "
                f"order value {self.config.min_order_value} {self.quote_currency}",
            )
        ref = self._account
        order_id = uuid.uuid4()
        with self.engine.begin() as connection:
            account = journal.lock_account_row(
                connection, ref, initial_cash=self.config.initial_cash, now=now
            )
            journal.refuse_if_blocked_on(
                connection, ref, now=now, stale_after=self.config.unknown_after_seconds
            )
            cash = account[1]
            if side == "buy" and value + fee > cash:
                raise OrderRefused(
                    "insufficient_cash",
                    f"buying {quantity} {coin} costs {value + fee:.2f} {self.quote_currency} "
                    f"with the fee; paper account {ref.name!r} has {cash:.2f}",
                )
            if side == "sell":
                held = journal.held_quantity(connection, ref, coin, self.quote_currency)
                if quantity > held:
                    raise OrderRefused(
                        "insufficient_coin",
                        f"selling {quantity} {coin}: paper account {ref.name!r} holds {held}",
                    )
            fill = Fill(
                trade_key=f"paper:{order_id}",
                coin=coin,
                side=side,
                quantity=quantity,
                price=quoted.rate,
                fee=fee,
                executed_at=now,
                fee_source="paper",
            )
            values = {
                "id": order_id,
                "user_id": ref.user_id,
                "client_order_id": client_order_id or journal.new_client_order_id(),
                "exchange_order_id": None,
                "account": ref.name,
                "coin_type": coin,
                "quote": self.quote_currency,
                "side": side,
                "order_type": "market",
                "mode": "paper",
                "status_reason": None,
                "amount_type": amount_type,
                "quantity": quantity,
                "aud_amount": amount if amount_type == "aud" else None,
                "quoted_rate": quoted.rate,
                "max_slippage": max_slippage,
                "reference": reference,
                "owner": current_owner(),
                "created_at": now,
                "sent_at": now,
                "collected_at": now,
                **journal.fill_totals([fill], now),
            }
            connection.execute(statements().insert_order, values)
            journal.write_fills(
                connection,
                SimpleNamespace(**values),
                [fill],
                account=account,
                now=now,
                update_order=False,
            )
        return journal.result_from_values(values, [fill])

    def order_status(self, order: uuid.UUID | str) -> OrderResult:
        with session_scope(self.engine) as session:
            row = journal.find_order(session, self._account, order)
            return journal.to_result(row, journal.order_fills(session, row.id))

    def fills(self, order: uuid.UUID | str) -> list[Fill]:
        return list(self.order_status(order).fills)

    def cancel(self, order: uuid.UUID | str) -> OrderResult:
        result = self.order_status(order)
        raise UsageProblem(
            f"order {result.client_order_id} is {result.status}: paper market orders fill at "
            "once, so there is nothing to cancel"
        )
