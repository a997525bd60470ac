"""Brokers: one :class:`Broker` interface, a paper broker on real prices and the CoinSpot broker.

The trading floor and ``omc floor buy/sell`` place orders only through a :class:`Broker`;
:func:`open_broker` builds the right one for a mode and account from a runtime.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from omc.floor.brokers.base import (
    AccountBlocked,
    AccountRef,
    AmountType,
    Balance,
    Broker,
    BrokerQuote,
    BrokerUnavailable,
    Fill,
    Mode,
    OrderRefused,
    OrderResult,
    Side,
)
from omc.floor.brokers.config import BrokerConfig

if TYPE_CHECKING:
    from omc.runtime import Runtime

__all__ = [
    "AccountBlocked",
    "AccountRef",
    "AmountType",
    "Balance",
    "Broker",
    "BrokerConfig",
    "BrokerQuote",
    "BrokerUnavailable",
    "Fill",
    "Mode",
    "OrderRefused",
    "OrderResult",
    "Side",
    "open_broker",
]


def open_broker(
    rt: Runtime, mode: str = "paper", account: str = "default", **options: Any
) -> Broker:
    """The broker of the acting user's ``mode`` account ``account``."""
    from omc.floor.brokers.base import AccountRef

    ref = AccountRef(rt.user_id(), mode, account)  # type: ignore[arg-type]
    config = BrokerConfig.from_settings(rt.settings)
    if mode == "paper":
        from omc.cache import open_cache
        from omc.floor.brokers.paper import PaperBroker
        from omc.floor.brokers.prices import LatestPrices

        engine = rt.engine()
        prices = options.pop("prices", None) or LatestPrices(
            open_cache(rt.settings.redis_url), engine
        )
        return PaperBroker(engine, ref, prices, config=config, **options)
    if mode == "live":
        from omc.floor.brokers.coinspot import open_coinspot_broker

        return open_coinspot_broker(rt, ref, config=config, **options)
    from omc.errors import UsageProblem

    raise UsageProblem(f"mode must be paper or live, not {mode!r}")
