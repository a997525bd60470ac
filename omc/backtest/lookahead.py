"""The lookahead check: a strategy must give the same targets whether or not later bars exist.

Targets are recomputed on the bars truncated at many points; any bar whose target differs
from the full-history run used data it could not have had at the time (a strategy that peeks).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from omc.backtest.execution import checked_targets, prepare_bars
from omc.backtest.runner import minimum_bars, resolve_strategy
from omc.strategies import Parameters, Strategy

TOLERANCE = 1e-9  # targets are fractions; anything larger than rounding noise is a change


@dataclass(frozen=True)
class LookaheadViolation:
    """A bar whose target changed when later bars were added."""

    bar_time: str
    truncated_at: str
    target_with_later_data: float
    target_without_later_data: float


@dataclass(frozen=True)
class LookaheadReport:
    """The outcome of one check: how much was compared, and every bar that peeked."""

    strategy: str
    params: Parameters
    truncations: int
    bars_compared: int
    violating_bars: int
    violations: list[LookaheadViolation] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when no bar's target depended on later data."""
        return self.violating_bars == 0

    def to_dict(self) -> dict[str, object]:
        """A JSON-able copy."""
        return {**asdict(self), "passed": self.passed}


def check_lookahead(
    bars: pd.DataFrame,
    strategy: str | Strategy,
    params: Mapping[str, object] | None = None,
    truncations: int = 50,
    features: pd.DataFrame | None = None,
    max_reported: int = 20,
) -> LookaheadReport:
    """Compare targets on `truncations` prefixes of `bars` with targets on all of them.

    Cut points are spread evenly from the strategy's minimum history to the last bar; each
    prefix is compared bar by bar, so a peek of any distance is caught near some cut.
    """
    strategy = resolve_strategy(strategy)
    resolved = strategy.resolve_parameters(params)
    bars = prepare_bars(bars)
    full = checked_targets(strategy.targets(bars, resolved, features), len(bars), strategy.name)
    first_cut = minimum_bars(strategy, resolved)
    cuts = np.unique(np.linspace(first_cut, len(bars) - 1, num=truncations).astype(int))
    cuts = cuts[(cuts >= 1) & (cuts < len(bars))]
    first_seen: dict[int, LookaheadViolation] = {}
    compared = 0
    for cut in cuts.tolist():
        prefix = bars.iloc[:cut]
        prefix_features = None if features is None else features.loc[: bars.index[cut - 1]]
        truncated = checked_targets(
            strategy.targets(prefix, resolved, prefix_features), cut, strategy.name
        )
        compared += cut
        for position in np.flatnonzero(np.abs(truncated - full[:cut]) > TOLERANCE).tolist():
            first_seen.setdefault(
                position,
                LookaheadViolation(
                    bar_time=bars.index[position].isoformat(),
                    truncated_at=bars.index[cut - 1].isoformat(),
                    target_with_later_data=float(full[position]),
                    target_without_later_data=float(truncated[position]),
                ),
            )
    reported = [first_seen[position] for position in sorted(first_seen)[:max_reported]]
    return LookaheadReport(strategy.name, resolved, len(cuts), compared, len(first_seen), reported)
