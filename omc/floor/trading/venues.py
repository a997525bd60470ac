"""Which broker a deployment trades through: a gateway maker per mode (``paper``, ``live``).

The brokers of :mod:`omc.floor.brokers` register here; ``floor.venue_modules`` names extra
modules to import that register their own (as ``collect.source_modules`` does for sources), so
the daemon's tests can trade against a loopback exchange of their own. A mode with no broker
fails closed: the tick records that it could not trade and why.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from omc.errors import ConfigProblem, ServiceUnavailable

GatewayMaker = Callable[[Any, Any], Any]  # (runtime, deployment) -> Gateway
_makers: dict[str, GatewayMaker] = {}


def register_venue(mode: str, maker: GatewayMaker) -> None:
    _makers[mode] = maker


def load_venue_modules(names: list[str]) -> None:
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError as error:
            raise ConfigProblem(f"floor.venue_modules: cannot import {name!r}: {error}") from None


BUILTIN_VENUES = "omc.floor.trading.broker_gateway"


def _builtin() -> None:
    """Register the brokers omc ships (paper, CoinSpot), when this omc has them."""
    try:
        importlib.import_module(BUILTIN_VENUES)
    except ModuleNotFoundError as error:
        if error.name != BUILTIN_VENUES:
            raise


def gateway_factory(runtime: Any) -> Callable[[Any], Any]:
    """``deployment -> Gateway`` for the daemon; one gateway per deployment, reused."""
    _builtin()
    load_venue_modules(list(runtime.settings.floor.venue_modules))
    made: dict[Any, Any] = {}

    def gateway_for(deployment: Any) -> Any:
        mode = "paper" if deployment.mode == "replay" else deployment.mode
        if deployment.id in made:
            return made[deployment.id]
        maker = _makers.get(mode)
        if maker is None:
            raise ServiceUnavailable(f"no {mode} broker is available to this omc")
        made[deployment.id] = gateway = maker(runtime, deployment)
        return gateway

    return gateway_for
