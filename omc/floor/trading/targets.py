"""What a deployment trades: a built-in strategy by name, or an algorithm ``algo:NAME[@VERSION]``.

Both resolve to a :class:`~omc.strategies.Strategy`, so the floor, the replay and the backtest run
the same ``targets`` code.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from omc.errors import UsageProblem

ALGORITHM_PREFIX = "algo:"
_INTERVAL = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class ResolvedTarget:
    """A strategy ready to run, with the name and version a deployment records."""

    strategy: Any  # omc.strategies.Strategy
    target: str
    version: int | None
    params: dict[str, Any]


def resolve_target(target: str, params: Mapping[str, object] | None = None) -> ResolvedTarget:
    """The strategy ``target`` names, with ``params`` parsed and range-checked."""
    from omc.strategies import get_strategy

    text = target.strip()
    if text.lower().startswith(ALGORITHM_PREFIX):
        # The algorithms' resolver (installed by the runtime) loads `algo:NAME[@VERSION]`; its
        # name carries the version it resolved to, which the deployment keeps.
        strategy = get_strategy(text)
        version = getattr(strategy, "version", None)
        name = str(getattr(strategy, "name", text))
        label = name if name.startswith(ALGORITHM_PREFIX) else text
        resolved = strategy.resolve_parameters(params)
        return ResolvedTarget(strategy, label, version, dict(resolved))
    strategy = get_strategy(text)
    resolved = strategy.resolve_parameters(params)
    return ResolvedTarget(strategy, strategy.name, None, dict(resolved))


def parse_interval(text: str) -> int:
    """``30s``, ``5m``, ``1h``, ``1d`` as whole seconds."""
    match = _INTERVAL.match(text or "")
    if not match:
        raise UsageProblem(f"an interval is a number and s, m, h or d (like 1h), got {text!r}")
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds <= 0:
        raise UsageProblem(f"the interval must be more than 0, got {text!r}")
    return seconds


def describe_interval(seconds: int) -> str:
    for unit in ("d", "h", "m"):
        if seconds % _UNIT_SECONDS[unit] == 0:
            return f"{seconds // _UNIT_SECONDS[unit]}{unit}"
    return f"{seconds}s"


def bar_close(now: dt.datetime, bar_seconds: int) -> dt.datetime:
    """The most recent bar close at or before ``now`` (bars are aligned to the epoch)."""
    epoch = int(now.timestamp())
    return dt.datetime.fromtimestamp(epoch - epoch % bar_seconds, dt.UTC)
