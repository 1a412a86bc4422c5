"""The uniformity check against hand-worked cases and against distributions it must reject."""
import math

import numpy as np
import pytest

from reference import statistics
from reference.statistics import dkw_bound, ks_statistic_uniform


def test_ks_statistic_by_hand():
    # Samples at 0.5 only: F_n jumps from 0 to 1 at 0.5, so the distance is 0.5.
    assert ks_statistic_uniform(np.array([0.5])) == 0.5
    # Evenly spread midpoints (i − ½)/n are off by exactly 1/(2n).
    n = 10
    assert ks_statistic_uniform((np.arange(1, n + 1) - 0.5) / n) == pytest.approx(1 / (2 * n))


def test_dkw_bound_by_hand():
    assert dkw_bound(1, 2 * math.exp(-2)) == pytest.approx(1.0)
    assert dkw_bound(10**6, 1e-6) == pytest.approx(math.sqrt(math.log(2e6) / 2e6))


def test_uniform_samples_pass_and_skewed_ones_fail():
    rng = np.random.default_rng(3)
    n = 100_000
    bound = dkw_bound(n, 1e-6)
    assert ks_statistic_uniform(rng.random(n)) <= bound
    assert ks_statistic_uniform(rng.random(n) ** 2) > bound  # u²: distance 1/4
    assert ks_statistic_uniform(rng.random(n) * 0.99) > bound  # never reaches the top 1 %


def test_binomial_tail_by_hand():
    assert statistics.binomial_tail(0, 3, 0.3) == pytest.approx(1.0)
    assert statistics.binomial_tail(3, 3, 0.5) == pytest.approx(0.125)
    assert statistics.binomial_tail(2, 3, 0.5) == pytest.approx(0.5)  # 3/8 + 1/8


def test_clopper_pearson_lower_bound_by_hand():
    # All n succeed: the bound solves p^n = 1 − confidence.
    assert statistics.clopper_pearson_lower(5, 5, 0.95) == pytest.approx(0.05 ** (1 / 5), rel=1e-9)
    # One success: 1 − (1 − p)^n = 0.05, so p = 1 − 0.95^(1/n).
    assert statistics.clopper_pearson_lower(1, 10, 0.95) == pytest.approx(1 - 0.95 ** 0.1, rel=1e-9)
    assert statistics.clopper_pearson_lower(0, 10, 0.95) == 0.0
    with pytest.raises(ValueError):
        statistics.clopper_pearson_lower(4, 3, 0.95)


def test_student_t_quantiles_against_the_published_table():
    # One-sided quantiles, as printed in every t table.
    for probability, df, expected in [(0.95, 1, 6.313752), (0.95, 2, 2.919986), (0.95, 4, 2.131847),
                                      (0.975, 2, 4.302653), (0.99, 10, 2.763769), (0.95, 30, 1.697261)]:
        assert statistics.student_t_quantile(probability, df) == pytest.approx(expected, abs=2e-6)
    assert statistics.student_t_cdf(0.0, 7) == pytest.approx(0.5)


def test_mean_lower_bound_and_spread_by_hand():
    spread = statistics.mean_and_spread([1.0, 2.0, 3.0])
    assert spread == {"n": 3, "mean": 2.0, "std": 1.0, "min": 1.0, "max": 3.0}
    # mean − t(0.95, 2) · s / √n = 2 − 2.919986 / √3
    assert statistics.mean_lower_bound([1.0, 2.0, 3.0], 0.95) == pytest.approx(2 - 2.919986 / 3 ** 0.5, abs=1e-6)
    with pytest.raises(ValueError):
        statistics.mean_lower_bound([1.0], 0.95)
