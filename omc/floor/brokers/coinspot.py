"""The CoinSpot broker: live market orders through CoinSpot API v2 behind the Broker interface.

A market order is ``/quote/{side}/now`` for the rate, then ``/my/{side}/now`` with that ``rate``
and the slippage guard as ``threshold`` (percent) and ``direction`` (``UP`` for a buy, ``DOWN``
for a sell). The order row is committed as ``submitting`` before the request leaves. The answer
moves it to ``filled`` or ``rejected``; no answer (a timeout, a 5xx, an HTML page) leaves it
``unknown``, blocks the account and is settled from the order history, never re-sent.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Callable
from decimal import ROUND_DOWN, Decimal
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from omc.db import session_scope, utcnow
from omc.errors import UsageProblem
from omc.floor.brokers import coinspot_history, journal, reconcile
from omc.floor.brokers.base import (
    AccountRef,
    AmountType,
    Balance,
    BrokerQuote,
    BrokerUnavailable,
    Fill,
    MarketOrders,
    OrderRefused,
    OrderResult,
    Side,
)
from omc.floor.brokers.coinspot_client import (
    CoinSpotClient,
    CoinSpotError,
    CoinSpotRejected,
)
from omc.floor.brokers.coinspot_history import _decimal
from omc.floor.brokers.config import AMOUNT_STEP, BrokerConfig
from omc.floor.brokers.owner import current_owner
from omc.floor.brokers.paper import check_amount
from omc.floor.brokers.statements import statements

if TYPE_CHECKING:
    from omc.runtime import Runtime

Clock = Callable[[], dt.datetime]
ZERO = Decimal(0)


def parse_balances(body: dict[str, Any]) -> dict[str, Balance]:
    """``{"balances": [{"BTC": {"balance", "audbalance", "rate"}}, …]}`` (a list of one-key
    objects; a plain object is accepted too)."""
    raw = body.get("balances") or []
    entries: list[tuple[str, Any]] = []
    if isinstance(raw, dict):
        entries = list(raw.items())
    else:
        for item in raw:
            if isinstance(item, dict):
                entries.extend(item.items())
    out = {}
    for currency, values in entries:
        if not isinstance(values, dict):
            continue
        total = _decimal(values.get("balance")) or ZERO
        available = _decimal(values.get("available"))
        out[currency.upper()] = Balance(
            currency=currency.upper(),
            total=total,
            available=available if available is not None else total,
            aud_value=_decimal(values.get("audbalance")),
            rate=_decimal(values.get("rate")),
        )
    return out


class CoinSpotBroker(MarketOrders):
    """The :class:`~omc.floor.brokers.base.Broker` of a user's CoinSpot account."""

    def __init__(
        self,
        engine: Engine,
        account: AccountRef,
        client: CoinSpotClient,
        *,
        config: BrokerConfig | None = None,
        clock: Clock = utcnow,
        quote_currency: str = "AUD",
    ) -> None:
        if account.mode != "live":
            raise UsageProblem("the CoinSpot broker trades live accounts only")
        self.engine = engine
        self._account = account
        self.client = client
        self.config = config or BrokerConfig()
        self.clock = clock
        self.quote_currency = quote_currency
        self._account_ready = False

    @property
    def account(self) -> AccountRef:
        return self._account

    def close(self) -> None:
        self.client.close()

    def _read(self, path: str, params: dict[str, Any] | None = None, **options: Any) -> Any:
        try:
            return self.client.read(path, params, **options)
        except CoinSpotError as error:
            raise BrokerUnavailable(str(error)) from None

    def balances(self) -> list[Balance]:
        found = parse_balances(self._read("/my/balances"))
        cash = found.pop("AUD", Balance("AUD", ZERO, ZERO, ZERO, Decimal(1)))
        return [cash, *(found[coin] for coin in sorted(found) if found[coin].total > 0)]

    def quote(
        self, coin: str, side: Side, amount: Decimal, amount_type: AmountType = "coin"
    ) -> BrokerQuote:
        coin = coin.strip().upper()
        amount = check_amount(amount, amount_type)
        params = {"cointype": coin, "amount": amount, "amounttype": amount_type}
        try:
            body = self.client.read(f"/quote/{side}/now", params, full_access=True)
        except CoinSpotRejected as error:
            raise OrderRefused("exchange_refused", f"quoting {coin}: {error}") from None
        except CoinSpotError as error:
            raise BrokerUnavailable(str(error)) from None
        rate = _decimal(body.get("rate"))
        if rate is None or rate <= 0:
            raise OrderRefused("no_price", f"CoinSpot quoted no usable rate for {coin}")
        now = self.clock()
        return BrokerQuote(coin, side, rate, amount, amount_type, now, "coinspot quote", 0.0)

    def _ensure_account(self) -> None:
        """A live account starts from CoinSpot's AUD balance the first time omc trades it;
        coins already held then show up as balance differences, not as omc's own trades."""
        if self._account_ready:
            return
        with session_scope(self.engine) as session:
            exists = journal.find_account(session, self._account) is not None
        if not exists:
            found = parse_balances(self._read("/my/balances"))
            cash = found["AUD"].total if "AUD" in found else ZERO
            with session_scope(self.engine) as session:
                journal.lock_account(session, self._account, initial_cash=cash, now=self.clock())
        self._account_ready = True

    def _check_not_blocked(self) -> None:
        with self.engine.begin() as connection:
            journal.refuse_if_blocked_on(
                connection,
                self._account,
                now=self.clock(),
                stale_after=self.config.unknown_after_seconds,
            )

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
        if not max_slippage.is_finite() or not 0 <= max_slippage <= 10:
            raise OrderRefused("bad_amount", "the maximum slippage must be between 0 and 1000%")
        coin = coin.strip().upper()
        self._check_not_blocked()
        self._ensure_account()
        quoted = self.quote(coin, side, amount, amount_type)
        value = amount * quoted.rate if amount_type == "coin" else amount
        if value < self.config.min_order_value:
            raise OrderRefused(
                "below_minimum",
                f"the order's value {value:.2f} AUD is under the minimum order value "
                f"{self.config.min_order_value} AUD",
            )
        quantity = (
            amount
            if amount_type == "coin"
            else (amount / quoted.rate).quantize(AMOUNT_STEP, rounding=ROUND_DOWN)
        )
        now = self.clock()
        ref = self._account
        values: dict[str, Any] = {
            "id": uuid.uuid4(),
            "user_id": ref.user_id,
            "client_order_id": client_order_id or journal.new_client_order_id(),
            "exchange_order_id": None,
            "account": ref.name,
            "coin_type": coin,
            "quote": self.quote_currency,
            "side": side,
            "order_type": "market",
            "mode": "live",
            "status": "submitting",
            "status_reason": None,
            "amount_type": amount_type,
            "quantity": quantity,
            "aud_amount": amount if amount_type == "aud" else None,
            "quoted_rate": quoted.rate,
            "price": quoted.rate,
            "max_slippage": max_slippage,
            "filled_quantity": ZERO,
            "average_fill_price": None,
            "fee": None,
            "reference": reference,
            "owner": current_owner(),
            "created_at": now,
            "sent_at": now,
            "filled_at": None,
            "updated_at": now,
            "collected_at": now,
        }
        with self.engine.begin() as connection:
            connection.execute(statements().insert_order, values)
        # Committed: only now may the request leave.
        params = {
            "cointype": coin,
            "amounttype": amount_type,
            "amount": amount,
            "rate": quoted.rate,
            "threshold": (max_slippage * 100).normalize(),
            "direction": "UP" if side == "buy" else "DOWN",
        }
        try:
            body = self.client.call(f"/my/{side}/now", params)
        except CoinSpotError as error:
            return self._failed(values, error)
        return self._filled(values, body)

    def _failed(self, values: dict[str, Any], error: CoinSpotError) -> OrderResult:
        now = self.clock()
        if error.maybe_executed:
            status = "unknown"
            reason = (
                f"{error}; it may have been carried out, so it is never re-sent: "
                "`omc floor reconcile` settles it from CoinSpot's order history"
            )
        else:
            status, reason = "rejected", str(error)
        with self.engine.begin() as connection:
            connection.execute(
                sa.update(journal.ORDERS)
                .where(journal.ORDERS.c.id == values["id"])
                .values(status=status, status_reason=reason, updated_at=now)
            )
        if error.maybe_executed:
            # The answer was lost, but the history may already show the order.
            with contextlib.suppress(CoinSpotError):
                reconcile.settle_order(
                    self.engine, self.client, values["id"], config=self.config, now=self.clock()
                )
            return self.order_status(values["id"])
        return journal.result_from_values({**values, "status": status, "status_reason": reason})

    def _history_fill(self, order: Any, now: dt.datetime) -> tuple[Fill, str | None] | None:
        """The order's own fill from CoinSpot's history (its rate, audfeeExGst and audGst),
        if the history can be read now and shows exactly one match."""
        try:
            items = reconcile.fetch_history(self.client, order.coin_type, order.created_at, now)
        except CoinSpotError:
            return None
        end = reconcile.window_end(order, self.config, self.client.timeout_seconds)
        candidates = coinspot_history.matching_items(order, items, window_end=end, claimed=set())
        with self.engine.connect() as connection:
            claimed = reconcile.claimed_among(connection, [item.trade_key for item in candidates])
        candidates = [item for item in candidates if item.trade_key not in claimed]
        if len(candidates) != 1:
            return None
        return candidates[0].to_fill(self.config.fee_rate), candidates[0].id

    def _filled(self, values: dict[str, Any], body: dict[str, Any]) -> OrderResult:
        now = self.clock()
        order = SimpleNamespace(**values)
        found = self._history_fill(order, now)
        if found is not None:
            fill, exchange_id = found
        else:
            # The history did not show it yet: the answer's amount at the quoted rate, with the
            # fee estimated until `omc floor reconcile` reads CoinSpot's own.
            quantity = _decimal(body.get("amount"))
            if quantity is None or quantity <= 0:
                quantity = order.quantity
            rate = _decimal(body.get("rate")) or order.quoted_rate
            fill = Fill(
                trade_key=f"coinspot-now:{order.id}",
                coin=order.coin_type,
                side=order.side,
                quantity=quantity,
                price=rate,
                fee=(quantity * rate * self.config.fee_rate).quantize(AMOUNT_STEP),
                executed_at=now,
                fee_source="estimate",
            )
            exchange_id = None
        total = _decimal(body.get("total"))
        reason = None if total is None else f"CoinSpot total {total} AUD"
        with self.engine.begin() as connection:
            account = journal.lock_account_row(
                connection, self._account, initial_cash=ZERO, now=now
            )
            totals = journal.write_fills(connection, order, [fill], account=account, now=now)
            connection.execute(
                sa.update(journal.ORDERS)
                .where(journal.ORDERS.c.id == order.id)
                .values(exchange_order_id=exchange_id, status_reason=reason)
            )
        return journal.result_from_values(
            {**values, **totals, "exchange_order_id": exchange_id, "status_reason": reason},
            [fill],
        )

    def order_status(self, order: uuid.UUID | str) -> OrderResult:
        """The recorded state; an ``unknown`` order is first looked for in CoinSpot's history."""
        result = self._recorded(order)
        if result.status == "unknown":
            with contextlib.suppress(CoinSpotError):
                reconcile.settle_order(
                    self.engine, self.client, result.order_id, config=self.config, now=self.clock()
                )
            result = self._recorded(result.order_id)
        return result

    def _recorded(self, order: uuid.UUID | str) -> OrderResult:
        with session_scope(self.engine) as session:
            row = journal.find_order(session, self._account, order)
            return journal.to_result(row, journal.order_fills(session, row.id))

    def fills(self, order: uuid.UUID | str) -> list[Fill]:
        return list(self.order_status(order).fills)

    def cancel(self, order: uuid.UUID | str) -> OrderResult:
        result = self.order_status(order)
        if result.status != "open" or not result.exchange_order_id:
            raise UsageProblem(
                f"order {result.client_order_id} is {result.status}; only open orders cancel"
            )
        try:
            self.client.call(f"/my/{result.side}/cancel", {"id": result.exchange_order_id})
        except CoinSpotError as error:
            raise BrokerUnavailable(f"cancelling {result.client_order_id}: {error}") from None
        now = self.clock()
        with session_scope(self.engine) as session:
            row = journal.find_order(session, self._account, result.order_id)
            row.status, row.status_reason, row.updated_at = "cancelled", "cancelled", now
        return self.order_status(result.order_id)

    def reconcile(self) -> dict[str, Any]:
        """Settle unknown orders and estimated fees, then compare balances with CoinSpot's."""
        self._ensure_account()
        orders = reconcile.reconcile_orders(
            self.engine, self.client, self._account, config=self.config, clock=self.clock
        )
        reported = {
            b.currency: b.total for b in parse_balances(self._read("/my/balances")).values()
        }
        differences = reconcile.reconcile_balances(
            self.engine, self._account, reported, now=self.clock()
        )
        return {"orders": orders, "balances": differences}


def open_coinspot_broker(
    rt: Runtime, ref: AccountRef, *, config: BrokerConfig, **options: Any
) -> CoinSpotBroker:
    """The live broker with the user's keys from the vault (decrypted in memory, audited)."""
    from omc.floor.brokers.coinspot_client import CoinSpotClient
    from omc.floor.brokers.nonce import NonceSource, key_fingerprint
    from omc.floor.credentials import reveal_coinspot

    engine = rt.engine()
    with rt.session() as session:
        api_key, api_secret = reveal_coinspot(session, rt.vault, ref.user_id, purpose="trading")
    floor = rt.settings.floor
    client = CoinSpotClient(
        floor.coinspot_api_url,
        api_key,
        api_secret,
        NonceSource(engine, key_fingerprint(api_key)),
        timeout_seconds=floor.coinspot_timeout_seconds,
        requests_per_minute=floor.coinspot_requests_per_minute,
        transport=options.pop("transport", None),
    )
    return CoinSpotBroker(engine, ref, client, config=config, **options)
