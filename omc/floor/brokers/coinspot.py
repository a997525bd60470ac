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
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine

from omc.db import session_scope, utcnow
from omc.errors import UsageProblem
from omc.floor.brokers import journal, reconcile
from omc.floor.brokers.base import (
    AccountRef,
    AmountType,
    Balance,
    BrokerQuote,
    BrokerUnavailable,
    Fill,
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
from omc.ledgers.exchange.models import Order

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


class CoinSpotBroker:
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

    def buy(
        self,
        coin: str,
        amount: Decimal,
        *,
        amount_type: AmountType = "coin",
        max_slippage: Decimal = Decimal("0.01"),
        client_order_id: str | None = None,
        reference: str | None = None,
    ) -> OrderResult:
        return self._place(
            "buy", coin, amount, amount_type, max_slippage, client_order_id, reference
        )

    def sell(
        self,
        coin: str,
        amount: Decimal,
        *,
        amount_type: AmountType = "coin",
        max_slippage: Decimal = Decimal("0.01"),
        client_order_id: str | None = None,
        reference: str | None = None,
    ) -> OrderResult:
        return self._place(
            "sell", coin, amount, amount_type, max_slippage, client_order_id, reference
        )

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
        with session_scope(self.engine) as session:
            journal.refuse_if_blocked(
                session,
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
        with session_scope(self.engine) as session:
            order = Order(
                user_id=ref.user_id,
                client_order_id=client_order_id or journal.new_client_order_id(),
                account=ref.name,
                coin_type=coin,
                quote=self.quote_currency,
                side=side,
                order_type="market",
                mode="live",
                status="submitting",
                amount_type=amount_type,
                quantity=quantity,
                aud_amount=amount if amount_type == "aud" else None,
                quoted_rate=quoted.rate,
                price=quoted.rate,
                max_slippage=max_slippage,
                reference=reference,
                owner=current_owner(),
                created_at=now,
                sent_at=now,
                updated_at=now,
                collected_at=now,
            )
            session.add(order)
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
            return self._failed(order.id, error)
        return self._filled(order.id, body)

    def _failed(self, order_id: uuid.UUID, error: CoinSpotError) -> OrderResult:
        now = self.clock()
        with session_scope(self.engine) as session:
            order = session.get(Order, order_id)
            assert order is not None
            if error.maybe_executed:
                order.status = "unknown"
                order.status_reason = (
                    f"{error}; it may have been carried out, so it is never re-sent: "
                    "`omc floor reconcile` settles it from CoinSpot's order history"
                )
            else:
                order.status = "rejected"
                order.status_reason = str(error)
            order.updated_at = now
        if error.maybe_executed:
            # The answer was lost, but the history may already show the order.
            with contextlib.suppress(CoinSpotError):
                reconcile.settle_order(
                    self.engine, self.client, order_id, config=self.config, now=self.clock()
                )
        return self.order_status(order_id)

    def _filled(self, order_id: uuid.UUID, body: dict[str, Any]) -> OrderResult:
        now = self.clock()
        with session_scope(self.engine) as session:
            order = session.get(Order, order_id)
            assert order is not None
            quantity = _decimal(body.get("amount"))
            total = _decimal(body.get("total"))
            rate = _decimal(body.get("rate")) or order.quoted_rate
            if order.amount_type == "aud" or quantity is None or quantity <= 0:
                # An order by AUD amount answers with the coin amount; if it does not, the
                # quote's estimate stands until the history says otherwise.
                quantity = quantity if quantity and quantity > 0 else order.quantity
            assert rate is not None
            fill = Fill(
                trade_key=f"coinspot-now:{order.id}",
                coin=order.coin_type,
                side=order.side,  # type: ignore[arg-type]
                quantity=quantity,
                price=rate,
                fee=(quantity * rate * self.config.fee_rate).quantize(AMOUNT_STEP),
                executed_at=now,
                fee_source="estimate",
            )
            account = journal.lock_account(session, self._account, initial_cash=ZERO, now=now)
            journal.record_fills(session, order, [fill], account=account, now=now)
            order.status_reason = None if total is None else f"CoinSpot total {total} AUD"
        # CoinSpot's history has the fill's own rate and fee (audfeeExGst + audGst); if it
        # cannot be read now, `omc floor reconcile` corrects the fee later.
        with contextlib.suppress(CoinSpotError):
            reconcile.settle_estimated_fees(
                self.engine, self.client, self._account, config=self.config, now=self.clock()
            )
        return self.order_status(order_id)

    def order_status(self, order: uuid.UUID | str) -> OrderResult:
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
