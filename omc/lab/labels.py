"""Labels: the forward return over a horizon of *h* bars, as a sign, a threshold or a number.

Row t's label uses the closes of bars t and t + h; that window (t, t + h] is what the purged
walk-forward keeps out of any training set whose test window it overlaps. The last h rows have
no label (NaN).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from omc.lab.errors import AlgorithmError
from omc.strategies import price_column

LabelKind = Literal["sign", "threshold", "regression"]
LABEL_KINDS: tuple[str, ...] = ("sign", "threshold", "regression")


@dataclass(frozen=True)
class LabelSpec:
    """What is predicted: the sign of the h-bar forward return, whether it beats `threshold`,
    or the return itself (`regression`)."""

    kind: LabelKind = "sign"
    horizon_bars: int = 24
    threshold: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in LABEL_KINDS:
            raise AlgorithmError(
                f"Unknown label kind '{self.kind}'; choose one of: {', '.join(LABEL_KINDS)}."
            )
        if self.horizon_bars < 1:
            raise AlgorithmError(
                f"The label horizon must be at least 1 bar, got {self.horizon_bars}."
            )

    @property
    def is_classification(self) -> bool:
        return self.kind != "regression"

    def to_dict(self, bar_seconds: float) -> dict[str, object]:
        """The stored form: the horizon in bars and in seconds (bars x the bar size)."""
        return {
            "kind": self.kind,
            "horizon_bars": self.horizon_bars,
            "horizon_seconds": round(self.horizon_bars * bar_seconds),
            "threshold": self.threshold,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> LabelSpec:
        return cls(
            kind=str(data["kind"]),  # type: ignore[arg-type]
            horizon_bars=int(data["horizon_bars"]),  # type: ignore[call-overload]
            threshold=float(data.get("threshold", 0.0)),  # type: ignore[arg-type]
        )


def horizon_in_bars(horizon_seconds: float, bar_seconds: float) -> int:
    """A horizon given in time as a whole number of bars (at least one)."""
    if not math.isfinite(bar_seconds) or bar_seconds <= 0:
        raise AlgorithmError("The bars have no regular spacing to measure a horizon in.")
    return max(1, round(horizon_seconds / bar_seconds))


def forward_returns(bars: pd.DataFrame, horizon_bars: int) -> pd.Series:
    """close[t + h] / close[t] - 1 per bar; NaN where t + h is past the last bar."""
    prices = bars[price_column(bars)].to_numpy(dtype=np.float64)
    result = np.full(prices.shape, np.nan)
    if horizon_bars < len(prices):
        result[:-horizon_bars] = prices[horizon_bars:] / prices[:-horizon_bars] - 1.0
    return pd.Series(result, index=bars.index, name="forward_return")


def make_label(bars: pd.DataFrame, spec: LabelSpec) -> pd.Series:
    """The label per bar (float: 0/1 for the classifications), NaN where it is not yet known."""
    returns = forward_returns(bars, spec.horizon_bars)
    if spec.kind == "regression":
        return returns.rename("label")
    cut = 0.0 if spec.kind == "sign" else spec.threshold
    values = np.where(returns.isna(), np.nan, (returns > cut).astype(np.float64))
    return pd.Series(values, index=bars.index, name="label")
