"""The strategy interface shared by the backtester, the lab and the trading floor.

A strategy turns bars (and optionally ledger features known as of each bar) into a target
position in [0, 1] per bar: 0 is flat, 1 is fully invested, fractions are partial positions.
The engine executes the target computed from bars up to and including bar t at the open of
bar t+1, so a strategy only ever needs to look backwards.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from omc.backtest.errors import ParameterError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

ParameterValue = int | float
Parameters = dict[str, ParameterValue]


@dataclass(frozen=True)
class Parameter:
    """One typed, bounded strategy parameter; `parse` turns user input into a checked value."""

    name: str
    kind: type[int] | type[float]
    default: ParameterValue
    minimum: ParameterValue
    maximum: ParameterValue
    description: str

    def parse(self, raw: object, strategy_name: str) -> ParameterValue:
        """Convert `raw` (a number, or the text of a `k=v` option) and check its range."""
        label = f"Parameter '{self.name}' of {strategy_name}"
        value: ParameterValue
        try:
            if self.kind is int:
                as_float = float(raw)  # type: ignore[arg-type]
                if not as_float.is_integer():
                    raise ValueError
                value = int(as_float)
            else:
                value = float(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            kind_text = "a whole number" if self.kind is int else "a number"
            raise ParameterError(f"{label} must be {kind_text}, got {raw!r}.") from None
        if not self.minimum <= value <= self.maximum:
            raise ParameterError(
                f"{label} must be between {self.minimum} and {self.maximum}, got {raw}."
            )
        return value

    def describe(self) -> dict[str, object]:
        """A JSON-able description for `omc backtest list`."""
        return {
            "name": self.name,
            "type": self.kind.__name__,
            "default": self.default,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "description": self.description,
        }


class Strategy(ABC):
    """Base class: declare `name`, `description` and `parameters`; implement `targets`."""

    name: ClassVar[str]
    description: ClassVar[str]
    parameters: ClassVar[tuple[Parameter, ...]] = ()

    def resolve_parameters(self, values: Mapping[str, object] | None = None) -> Parameters:
        """Fill defaults, parse and range-check `values`, then check cross-parameter rules."""
        values = dict(values or {})
        known = {parameter.name: parameter for parameter in self.parameters}
        unknown = sorted(set(values) - set(known))
        if unknown:
            names = ", ".join(known) if known else "none"
            raise ParameterError(
                f"Unknown parameter '{unknown[0]}' for {self.name}; its parameters are: {names}."
            )
        resolved: Parameters = {}
        for name, parameter in known.items():
            raw = values.get(name, parameter.default)
            resolved[name] = parameter.parse(raw, self.name)
        self.check_parameters(resolved)
        return resolved

    def check_parameters(self, params: Parameters) -> None:
        """Raise `ParameterError` when parameters are individually valid but inconsistent."""
        return None

    def warmup_bars(self, params: Parameters) -> int:
        """Bars consumed before the first meaningful signal (targets are 0 during warm-up)."""
        return 0

    @abstractmethod
    def targets(
        self, bars: pd.DataFrame, params: Parameters, features: pd.DataFrame | None = None
    ) -> np.ndarray:
        """Return one target position in [0, 1] per bar, using only data up to each bar."""

    def describe(self) -> dict[str, object]:
        """A JSON-able description for `omc backtest list`."""
        return {
            "name": self.name,
            "description": self.description,
            "parameters": [parameter.describe() for parameter in self.parameters],
        }


def price_column(bars: pd.DataFrame) -> str:
    """The column a strategy reads prices from: `close` where known, else `last`."""
    return "close" if "close" in bars.columns else "last"
