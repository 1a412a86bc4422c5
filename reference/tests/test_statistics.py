"""The uniformity check against hand-worked cases and against distributions it must reject."""
import math

import numpy as np
import pytest

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
