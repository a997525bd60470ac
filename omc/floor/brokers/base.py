"""The one interface every broker offers, paper and live alike, and the values it deals in.

Amounts, rates and fees are ``Decimal``. A market order is asked for by coin amount
(``amount_type="coin"``) or by AUD amount (``"aud"``, fee included, as CoinSpot counts it) with a
maximum slippage (a fraction: ``Decimal("0.01")`` is 1%) from the quote it is priced against.

A refusal before anything is written or sent (a stale price, a short balance, an order under the
minimum, an account blocked by an unknown order) raises :class:`OrderRefused` with a reason code
and a sentence. Anything that got an order row comes back as an :class:`OrderResult`, whose
``status`` is ``filled``, ``open``, ``rejected`` (with the exchange's reason) or ``unknown``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, Protocol, runtime_checkable

from omc.errors import EX_TEMPFAIL, EX_UNAVAILABLE, OmcError

Side = Literal["buy", "sell"]
AmountType = Literal["coin", "aud"]
Mode = Literal["paper", "live"]

# Statuses after which nothing more happens to an order.
FINAL_STATUSES = frozenset({"filled", "rejected", "cancelled"})
# Statuses that stop every other order of the account until reconciled.
BLOCKING_STATUSES = frozenset({"unknown"})


class OrderRefused(OmcError):
    """The broker would not place the order; nothing was sent. ``code`` names the reason for
    programs (``stale_price``, ``no_price``, ``insufficient_cash``, ``insufficient_coin``,
    ``below_minimum``, ``unknown_orders``, ``bad_amount``, ``exchange_refused``); the message
    says it for people."""

    exit_code = EX_TEMPFAIL

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class AccountBlocked(OrderRefused):
    """An order of this account is ``unknown``: nothing trades until it is reconciled."""

    def __init__(self, message: str) -> None:
        super().__init__("unknown_orders", message)


class BrokerUnavailable(OmcError):
    """The exchange could not be asked (a read failed after its retries)."""

    exit_code = EX_UNAVAILABLE


@dataclass(frozen=True)
class AccountRef:
    """Whose money, in which mode, in which named account."""

    user_id: uuid.UUID
    mode: Mode = "paper"
    name: str = "default"


@dataclass(frozen=True)
class Balance:
    """One currency's holding; ``currency`` is ``AUD`` for cash. ``aud_value`` at the bid."""

    currency: str
    total: Decimal
    available: Decimal
    aud_value: Decimal | None = None
    rate: Decimal | None = None


@dataclass(frozen=True)
class BrokerQuote:
    """The rate an order of ``amount`` would fill at now (AUD per coin)."""

    coin: str
    side: Side
    rate: Decimal
    amount: Decimal
    amount_type: AmountType
    at: dt.datetime
    source: str
    age_seconds: float = 0.0


@dataclass(frozen=True)
class Fill:
    """One execution of an order. ``fee`` is AUD, GST included; ``fee_ex_gst``/``gst`` are
    CoinSpot's split when it reported one."""

    trade_key: str
    coin: str
    side: Side
    quantity: Decimal
    price: Decimal
    fee: Decimal
    executed_at: dt.datetime
    fee_ex_gst: Decimal | None = None
    gst: Decimal | None = None
    fee_source: str = "paper"

    @property
    def value(self) -> Decimal:
        """The coin's value in AUD, before the fee."""
        return self.quantity * self.price


@dataclass(frozen=True)
class OrderResult:
    """An order's state as recorded in ``orders``."""

    order_id: uuid.UUID
    client_order_id: str
    mode: str
    account: str
    coin: str
    side: str
    status: str
    amount_type: str
    quantity: Decimal
    aud_amount: Decimal | None
    filled_quantity: Decimal
    average_price: Decimal | None
    fee: Decimal | None
    reason: str | None
    created_at: dt.datetime
    filled_at: dt.datetime | None
    exchange_order_id: str | None = None
    fills: tuple[Fill, ...] = field(default=())

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


@runtime_checkable
class Broker(Protocol):
    """What the trading floor and `omc floor buy/sell` place orders through."""

    @property
    def account(self) -> AccountRef: ...

    def balances(self) -> list[Balance]:
        """Cash (``AUD``) first, then each coin held."""
        ...

    def quote(
        self, coin: str, side: Side, amount: Decimal, amount_type: AmountType = "coin"
    ) -> BrokerQuote:
        """The rate a market order would fill at now; raises :class:`OrderRefused` when the
        price is unknown or stale."""
        ...

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
        """A market buy of ``amount`` (coin, or AUD including the fee)."""
        ...

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
        """A market sell of ``amount`` (coin, or the AUD value before the fee)."""
        ...

    def order_status(self, order: uuid.UUID | str) -> OrderResult:
        """The recorded state of an order, by id or client order id."""
        ...

    def cancel(self, order: uuid.UUID | str) -> OrderResult:
        """Cancel an open order; a filled or rejected order cannot be cancelled."""
        ...

    def fills(self, order: uuid.UUID | str) -> list[Fill]:
        """The recorded fills (``trades``) of an order."""
        ...


class MarketOrders:
    """``buy`` and ``sell`` as the :class:`Broker` protocol spells them, for a broker whose one
    order path is ``_place(side, coin, amount, amount_type, max_slippage, client_order_id,
    reference)``."""

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
        raise NotImplementedError

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
