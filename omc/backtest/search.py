"""Parameter candidates for a search: a grid (every combination) or random samples in ranges.

A value the user wrote that is malformed or out of range is an error; a combination whose
values are each fine but clash (fast >= slow) is skipped and counted.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from omc.backtest.errors import ParameterError
from omc.strategies import Parameters, Strategy

MAX_RANDOM_ATTEMPTS_PER_SAMPLE = 50


@dataclass(frozen=True)
class Candidates:
    """Valid parameter sets to try, and how many generated sets were skipped as inconsistent."""

    params: list[Parameters]
    skipped: int


def grid_candidates(strategy: Strategy, grid: Mapping[str, Sequence[object]]) -> Candidates:
    """Every combination of the listed values; parameters not listed keep their defaults."""
    known = {parameter.name: parameter for parameter in strategy.parameters}
    axes: dict[str, list[object]] = {}
    for name, values in grid.items():
        if name not in known:
            strategy.resolve_parameters({name: None})  # raises the unknown-parameter error
        if not values:
            raise ParameterError(f"The search grid for parameter '{name}' has no values.")
        axes[name] = [known[name].parse(value, strategy.name) for value in values]
    candidates, skipped = [], 0
    for combination in itertools.product(*axes.values()):
        try:
            candidates.append(
                strategy.resolve_parameters(dict(zip(axes, combination, strict=True)))
            )
        except ParameterError:
            skipped += 1
    return _non_empty(strategy, Candidates(candidates, skipped))


def random_candidates(
    strategy: Strategy,
    samples: int,
    ranges: Mapping[str, tuple[object, object]] | None = None,
    seed: int = 0,
) -> Candidates:
    """`samples` parameter sets drawn uniformly from `ranges` (default: each parameter's range)."""
    if samples < 1:
        raise ParameterError(f"A random search needs at least 1 sample, got {samples}.")
    rng = np.random.default_rng(seed)
    bounds = {}
    for parameter in strategy.parameters:
        low, high = (ranges or {}).get(parameter.name, (parameter.minimum, parameter.maximum))
        bounds[parameter.name] = (
            parameter,
            parameter.parse(low, strategy.name),
            parameter.parse(high, strategy.name),
        )
    unknown = sorted(set(ranges or {}) - set(bounds))
    if unknown:
        strategy.resolve_parameters({unknown[0]: None})
    candidates: list[Parameters] = []
    skipped = 0
    for _ in range(samples * MAX_RANDOM_ATTEMPTS_PER_SAMPLE):
        if len(candidates) == samples:
            break
        drawn: dict[str, object] = {}
        for name, (parameter, low, high) in bounds.items():
            if parameter.kind is int:
                drawn[name] = int(rng.integers(int(low), int(high), endpoint=True))
            else:
                drawn[name] = float(rng.uniform(float(low), float(high)))
        try:
            candidates.append(strategy.resolve_parameters(drawn))
        except ParameterError:
            skipped += 1
    return _non_empty(strategy, Candidates(candidates, skipped))


def _non_empty(strategy: Strategy, candidates: Candidates) -> Candidates:
    if not candidates.params:
        raise ParameterError(
            f"No valid parameter combination for {strategy.name} in the search "
            f"({candidates.skipped} combinations were inconsistent)."
        )
    return candidates
