"""The deflated Sharpe ratio and PBO against examples worked by hand."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from omc.lab.overfitting import (
    deflated_sharpe_from_moments,
    deflated_sharpe_ratio,
    expected_maximum_sharpe,
    probability_of_backtest_overfitting,
)


def test_deflated_sharpe_matches_the_worked_example_of_bailey_and_lopez_de_prado():
    # The paper's example: 100 trials whose annualised Sharpe ratios vary by 1/2, the chosen one
    # at an annualised 2.5 over 1,250 daily returns with skewness -3 and kurtosis 10.
    # By hand (daily units): sqrt(0.5/250) = 0.044721; Z^-1(1 - 1/100) = 2.326348;
    # Z^-1(1 - 1/(100e)) = 2.678757; SR0 = 0.044721 (0.422784 x 2.326348 + 0.577216 x 2.678757)
    # = 0.113172. SR = 2.5/sqrt(250) = 0.158114; denominator sqrt(1 + 3 x 0.158114 + 9/4 x
    # 0.158114^2) = 1.237224; z = (0.158114 - 0.113172) x sqrt(1249) / 1.237224 = 1.283748;
    # DSR = Phi(1.283748) = 0.9004 (the paper's figure).
    assert expected_maximum_sharpe(0.5 / 250, 100) == pytest.approx(0.113172, abs=1e-6)
    deflated = deflated_sharpe_from_moments(2.5 / math.sqrt(250), 0.5 / 250, 100, 1250, -3.0, 10.0)
    assert deflated == pytest.approx(0.9004, abs=5e-5)


def test_one_trial_is_not_deflated_and_more_trials_deflate_more():
    assert expected_maximum_sharpe(0.01, 1) == 0.0
    low = deflated_sharpe_from_moments(0.05, 0.001, 10, 1000, 0.0, 3.0)
    high = deflated_sharpe_from_moments(0.05, 0.001, 1000, 1000, 0.0, 3.0)
    assert low is not None
    assert high is not None
    assert high < low


def test_deflated_sharpe_from_returns_uses_the_returns_moments_and_every_trial():
    rng = np.random.default_rng(3)
    returns = rng.normal(0.001, 0.01, 2000)
    result = deflated_sharpe_ratio(returns, [0.1, -0.05, None, 0.02])
    centred = returns - returns.mean()
    second = np.mean(centred**2)
    expected = deflated_sharpe_from_moments(
        returns.mean() / returns.std(ddof=1),
        float(np.var([0.1, -0.05, 0.0, 0.02], ddof=1)),
        4,
        2000,
        float(np.mean(centred**3) / second**1.5),
        float(np.mean(centred**4) / second**2),
    )
    assert result.trials == 4
    assert result.deflated_sharpe == pytest.approx(expected)


def test_pbo_of_a_hand_worked_two_split_example():
    # Eight candidates, two rows (one per group), metric = mean return.
    # Split 1: in-sample row A, best candidate 0 (8); out of sample its B value 5 ranks 5th of
    # 8 -> w = 5/9, logit ln(5/4) > 0. Split 2: in-sample row B, best candidate 7 (9); its A
    # value 1 ranks 1st (worst) -> w = 1/9, logit ln(1/8) <= 0. PBO = 1/2.
    row_a = [8, 7, 6, 5, 4, 3, 2, 1]
    row_b = [5, 2, 3, 4, 1, 6, 7, 9]
    result = probability_of_backtest_overfitting(np.array([row_a, row_b]), groups=2, metric="mean")
    assert result is not None
    assert result.splits == 2
    assert result.logits == pytest.approx([math.log(5 / 4), math.log(1 / 8)])
    assert result.probability == 0.5


def test_pbo_needs_eight_candidates():
    assert probability_of_backtest_overfitting(np.zeros((100, 7))) is None


def _brute_force_pbo(matrix: np.ndarray, groups: int) -> float:
    parts = np.array_split(np.arange(len(matrix)), groups)
    below = []
    for chosen in itertools.combinations(range(groups), groups // 2):
        inside = np.concatenate([parts[i] for i in chosen])
        outside = np.concatenate([parts[i] for i in range(groups) if i not in chosen])

        def sharpe(rows):
            block = matrix[rows]
            return block.mean(axis=0) / block.std(axis=0, ddof=1)

        best = int(np.argmax(sharpe(inside)))
        out = sharpe(outside)
        rank = (out < out[best]).sum() + ((out == out[best]).sum() + 1) / 2
        below.append(rank / (matrix.shape[1] + 1) <= 0.5)
    return float(np.mean(below))


def test_pbo_on_sharpe_ratios_agrees_with_a_direct_computation_from_the_rows():
    rng = np.random.default_rng(11)
    matrix = rng.normal(0.0, 0.01, (240, 10)) + np.linspace(-0.001, 0.001, 10)
    result = probability_of_backtest_overfitting(matrix, groups=8)
    assert result is not None
    assert result.splits == math.comb(8, 4)
    assert result.probability == pytest.approx(_brute_force_pbo(matrix, 8))


def test_pure_noise_overfits_about_half_the_time_and_real_skill_rarely():
    rng = np.random.default_rng(5)
    noise = rng.normal(0.0, 0.01, (1600, 16))
    skilled = noise.copy()
    skilled[:, 0] += 0.004
    noisy = probability_of_backtest_overfitting(noise, groups=8)
    clear = probability_of_backtest_overfitting(skilled, groups=8)
    assert noisy is not None
    assert clear is not None
    assert 0.2 < noisy.probability < 0.8
    assert clear.probability < 0.05
