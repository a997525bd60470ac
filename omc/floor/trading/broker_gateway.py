"""The brokers of :mod:`omc.floor.brokers` as the trading loop's :class:`Gateway`.

A deployment's buy is a value before the fee (the backtest's convention); CoinSpot and the
paper broker count an AUD buy with the fee included, so the gateway asks for value x (1 + fee).
A refusal before anything was sent (:class:`OrderRefused`) is a rejected order: nothing to
settle. An order the broker never recorded was never placed. ``unknown`` orders of the account
are read from ``orders``, the brokers' own journal.
"""

from __future__ import annotations

import logging
import uuid
from decimal import ROUND_DOWN, Decimal
from typing import Any

import sqlalchemy as sa

from omc.errors import NotFound
from omc.floor.brokers.base import AccountRef, OrderRefused, OrderResult
from omc.floor.brokers.config import AMOUNT_STEP, BrokerConfig
from omc.floor.brokers.journal import UNSETTLED
from omc.floor.trading.gateway import OrderOutcome, Quote
from omc.floor.trading.venues import register_venue
from omc.ledgers.exchange.models import Order

log = logging.getLogger(__name__)
QUOTE_PROBE = Decimal("0.0001")


def aud_amount(value: Decimal, fee_rate: Decimal) -> Decimal:
    """The fee-inclusive AUD amount that buys ``value`` of coin, to CoinSpot's 8 places.

    Rounded down and one step less: the broker rounds the fee (amount less the coin's value)
    to 8 places too, which can add half a step, and a buy of all the cash must still fit.
    """
    return (value * (1 + fee_rate)).quantize(AMOUNT_STEP, rounding=ROUND_DOWN) - AMOUNT_STEP


def _outcome(result: OrderResult) -> OrderOutcome:
    value = sum((fill.value for fill in result.fills), Decimal(0))
    if not result.fills and result.average_price is not None:
        value = result.filled_quantity * result.average_price
    return OrderOutcome(
        status=result.status if result.status != "cancelled" else "rejected",
        order_id=str(result.order_id),
        units=result.filled_quantity,
        price=result.average_price,
        value=value,
        fee=result.fee or Decimal(0),
        reason=result.reason,
    )


class BrokerGateway:
    """One deployment's coin and account on a :class:`~omc.floor.brokers.Broker`."""

    def __init__(
        self, broker: Any, engine: Any, ref: AccountRef, coin: str, config: BrokerConfig
    ) -> None:
        self.broker = broker
        self.engine = engine
        self.ref = ref
        self.coin = coin
        self.config = config

    def quote(self, side: str) -> Quote | None:
        try:
            quoted = self.broker.quote(self.coin, side, QUOTE_PROBE, "coin")
        except OrderRefused as error:
            log.info("no %s quote for %s: %s", side, self.coin, error.message)
            return None
        return Quote(quoted.rate, quoted.at)

    def buy(self, value: Decimal, client_order_id: str) -> OrderOutcome:
        amount = aud_amount(value, self.config.fee_rate)
        try:
            result = self.broker.buy(
                self.coin, amount, amount_type="aud", client_order_id=client_order_id
            )
        except OrderRefused as error:
            return OrderOutcome("rejected", reason=error.message)
        return _outcome(result)

    def sell(self, units: Decimal, client_order_id: str) -> OrderOutcome:
        try:
            result = self.broker.sell(
                self.coin, units, amount_type="coin", client_order_id=client_order_id
            )
        except OrderRefused as error:
            return OrderOutcome("rejected", reason=error.message)
        return _outcome(result)

    def outcome(self, client_order_id: str) -> OrderOutcome | None:
        try:
            result = self.broker.order_status(client_order_id)
        except NotFound:
            # The broker writes its row before anything is sent: no row, never placed.
            return OrderOutcome("rejected", reason="the order was never placed")
        if result.status in UNSETTLED and hasattr(self.broker, "reconcile"):
            # The live broker settles unknown orders from CoinSpot's order history; a
            # `submitting` one whose sender died (kill -9) is made unknown by it first.
            try:
                self.broker.reconcile()
                result = self.broker.order_status(client_order_id)
            except Exception as error:
                log.warning("order %s not reconciled yet: %s", client_order_id, error)
        if result.status in ("filled", "rejected", "cancelled"):
            return _outcome(result)
        return None

    def _orders(self, status: str) -> list[Any]:
        with self.engine.connect() as connection:
            return list(
                connection.execute(
                    sa.select(Order.__table__.c.id).where(
                        Order.__table__.c.user_id == self.ref.user_id,
                        Order.__table__.c.mode == self.ref.mode,
                        Order.__table__.c.account == self.ref.name,
                        Order.__table__.c.status == status,
                    )
                ).scalars()
            )

    def unknown_orders(self) -> int:
        return len(self._orders("unknown"))

    def cancel_open_orders(self) -> int:
        cancelled = 0
        for order_id in self._orders("open"):
            try:
                self.broker.cancel(order_id if isinstance(order_id, uuid.UUID) else str(order_id))
                cancelled += 1
            except Exception as error:  # logged; the kill switch still stops new orders
                log.warning("kill: order %s not cancelled: %s", order_id, error)
        return cancelled


def paper_gateway(runtime: Any, deployment: Any) -> BrokerGateway:
    from omc.cache import open_cache
    from omc.floor.brokers.paper import PaperBroker
    from omc.floor.brokers.prices import LatestPrices

    engine = runtime.engine()
    config = BrokerConfig.from_settings(runtime.settings)
    ref = AccountRef(deployment.user_id, "paper", deployment.account)
    prices = LatestPrices(open_cache(runtime.settings.redis_url), engine)
    broker = PaperBroker(engine, ref, prices, config=config, quote_currency=deployment.quote)
    return BrokerGateway(broker, engine, ref, deployment.coin, config)


def live_gateway(runtime: Any, deployment: Any) -> BrokerGateway:
    from omc.floor.brokers.coinspot import open_coinspot_broker  # type: ignore[import-not-found]

    config = BrokerConfig.from_settings(runtime.settings)
    ref = AccountRef(deployment.user_id, "live", deployment.account)
    broker = open_coinspot_broker(runtime, ref, config=config)
    return BrokerGateway(broker, runtime.engine(), ref, deployment.coin, config)


register_venue("paper", paper_gateway)
register_venue("live", live_gateway)
