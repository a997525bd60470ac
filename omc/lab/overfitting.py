"""How much of a search's best result is luck: the deflated Sharpe ratio and the probability
of backtest overfitting.

- Deflated Sharpe ratio (Bailey & López de Prado, 2014, "The Deflated Sharpe Ratio"): the
  probabilistic Sharpe ratio of the chosen candidate against the Sharpe ratio that the best of
  N unskilled candidates would show by chance, E[max SR] ~ sqrt(V[SR]) ((1 - g) Z^-1(1 - 1/N)
  + g Z^-1(1 - 1/(N e))), g the Euler-Mascheroni constant.
- PBO (Bailey, Borwein, López de Prado & Zhu, 2015, combinatorially symmetric
  cross-validation): split the candidates' per-bar returns into S groups of rows; for every
  half of the groups as in-sample, take the in-sample best and find its rank among all
  candidates out of sample; PBO is the share of splits where it ranks at or below the median
  (logit <= 0).

Sharpe ratios here are per bar (not annualised), as the formulas need.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass
from statistics import NormalDist

import numpy as np

EULER_GAMMA = 0.5772156649015329
PBO_MINIMUM_CANDIDATES = 8
_NORMAL = NormalDist()


def expected_maximum_sharpe(trial_sharpe_variance: float, trials: int) -> float:
    """The Sharpe ratio the best of `trials` skill-less candidates shows by chance."""
    if trials < 2 or not trial_sharpe_variance > 0:
        return 0.0
    first = _NORMAL.inv_cdf(1.0 - 1.0 / trials)
    second = _NORMAL.inv_cdf(1.0 - 1.0 / (trials * math.e))
    return math.sqrt(trial_sharpe_variance) * ((1.0 - EULER_GAMMA) * first + EULER_GAMMA * second)


def deflated_sharpe_from_moments(
    sharpe: float,
    trial_sharpe_variance: float,
    trials: int,
    observations: int,
    skewness: float,
    kurtosis: float,
) -> float | None:
    """The deflated Sharpe ratio from a per-bar Sharpe ratio and its returns' moments
    (`kurtosis` is not excess: 3 for a normal distribution)."""
    if observations < 3:
        return None
    benchmark = expected_maximum_sharpe(trial_sharpe_variance, trials)
    variance = 1.0 - skewness * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    if not variance > 0:
        return None
    z = (sharpe - benchmark) * math.sqrt(observations - 1) / math.sqrt(variance)
    return _NORMAL.cdf(z)


def per_bar_sharpe(returns: np.ndarray) -> float | None:
    """Mean over sample standard deviation; None when undefined."""
    if len(returns) < 2:
        return None
    deviation = float(np.std(returns, ddof=1))
    return float(np.mean(returns) / deviation) if deviation > 0 else None


@dataclass(frozen=True)
class DeflatedSharpe:
    """The chosen candidate's per-bar Sharpe, the chance benchmark and the deflated ratio."""

    sharpe: float | None
    trials: int
    trial_sharpe_variance: float
    expected_maximum_sharpe: float
    deflated_sharpe: float | None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def deflated_sharpe_ratio(returns: np.ndarray, trial_sharpes: list[float | None]) -> DeflatedSharpe:
    """The deflated Sharpe ratio of `returns` (the chosen candidate's per-bar returns) given the
    per-bar Sharpe ratios of every candidate tried (undefined ones count as trials, as 0)."""
    trials = max(1, len(trial_sharpes))
    values = np.array([0.0 if value is None else value for value in trial_sharpes], dtype=float)
    variance = float(np.var(values, ddof=1)) if len(values) > 1 else 0.0
    sharpe = per_bar_sharpe(returns)
    benchmark = expected_maximum_sharpe(variance, trials)
    deflated = None
    if sharpe is not None:
        centred = returns - returns.mean()
        second = float(np.mean(centred**2))
        skewness = float(np.mean(centred**3)) / second**1.5
        kurtosis = float(np.mean(centred**4)) / second**2
        deflated = deflated_sharpe_from_moments(
            sharpe, variance, trials, len(returns), skewness, kurtosis
        )
    return DeflatedSharpe(sharpe, trials, variance, benchmark, deflated)


@dataclass(frozen=True)
class OverfittingProbability:
    """PBO from CSCV: the share of splits whose in-sample winner is at or below the median out
    of sample, with the logits it was computed from."""

    candidates: int
    groups: int
    splits: int
    probability: float
    logits: list[float]

    def to_dict(self) -> dict[str, object]:
        return {
            "candidates": self.candidates,
            "groups": self.groups,
            "splits": self.splits,
            "probability": self.probability,
        }


def _group_sharpes(sums: np.ndarray, squares: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Per-candidate Sharpe of the rows of the selected groups, from per-group aggregates."""
    total = sums.sum(axis=0)
    count = counts.sum()
    mean = total / count
    variance = (squares.sum(axis=0) - count * mean**2) / max(count - 1, 1)
    deviation = np.sqrt(np.maximum(variance, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        sharpe = np.where(deviation > 0, mean / deviation, 0.0)
    return sharpe


def probability_of_backtest_overfitting(
    returns: np.ndarray, groups: int = 16, metric: str = "sharpe"
) -> OverfittingProbability | None:
    """PBO of a (bars x candidates) matrix of per-bar returns; None below 8 candidates.

    `metric` is "sharpe" (per-bar Sharpe ratio) or "mean" (mean return). `groups` is rounded
    down to an even number and to at most the number of rows.
    """
    matrix = np.asarray(returns, dtype=np.float64)
    rows, candidates = matrix.shape
    if candidates < PBO_MINIMUM_CANDIDATES:
        return None
    groups = min(groups, rows)
    groups -= groups % 2
    if groups < 2:
        return None
    bounds = np.linspace(0, rows, groups + 1).astype(int)
    parts = [matrix[bounds[i] : bounds[i + 1]] for i in range(groups)]
    sums = np.array([part.sum(axis=0) for part in parts])
    squares = np.array([(part * part).sum(axis=0) for part in parts])
    counts = np.array([len(part) for part in parts], dtype=np.float64)
    logits = []
    everything = np.arange(groups)
    for chosen in itertools.combinations(range(groups), groups // 2):
        inside = np.array(chosen)
        outside = np.setdiff1d(everything, inside)
        if metric == "mean":
            in_score = sums[inside].sum(axis=0) / counts[inside].sum()
            out_score = sums[outside].sum(axis=0) / counts[outside].sum()
        else:
            in_score = _group_sharpes(sums[inside], squares[inside], counts[inside])
            out_score = _group_sharpes(sums[outside], squares[outside], counts[outside])
        best = int(np.argmax(in_score))
        # Rank 1 = worst out of sample, N = best; ties share the average rank.
        below = float((out_score < out_score[best]).sum())
        ties = float((out_score == out_score[best]).sum())
        rank = below + (ties + 1.0) / 2.0
        relative = rank / (candidates + 1.0)
        logits.append(math.log(relative / (1.0 - relative)))
    probability = float(np.mean(np.array(logits) <= 0.0))
    return OverfittingProbability(candidates, groups, len(logits), probability, logits)
