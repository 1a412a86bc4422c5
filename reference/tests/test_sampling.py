"""Temperature softmax and the chi-square machinery against hand-worked values."""
import math

import numpy as np
import pytest

from reference import sampling


def test_temperature_by_hand():
    logits = [0.0, math.log(2.0)]
    assert np.allclose(sampling.softmax_with_temperature(logits, 1.0), [1 / 3, 2 / 3], rtol=1e-15)
    # T = 1/2 squares the odds: 1 : 4.
    assert np.allclose(sampling.softmax_with_temperature(logits, 0.5), [0.2, 0.8], rtol=1e-15)
    with pytest.raises(ValueError):
        sampling.softmax_with_temperature(logits, 0.0)


def test_entropy_by_hand():
    assert sampling.entropy([0.25] * 4) == pytest.approx(math.log(4), rel=1e-15)
    assert sampling.entropy([1.0, 0.0]) == 0.0


def test_chi_square_tail_by_hand():
    # df = 2 is the exponential distribution with mean 2: P(X ≥ x) = e^(−x/2).
    for x in (0.5, 3.0, 20.0):
        assert sampling.chi_square_sf(x, 2) == pytest.approx(math.exp(-x / 2), rel=1e-12)
    # Table values: χ²(1) 95 % point 3.841459, χ²(10) 99 % point 23.209251.
    assert sampling.chi_square_sf(3.841459, 1) == pytest.approx(0.05, rel=1e-5)
    assert sampling.chi_square_sf(23.209251, 10) == pytest.approx(0.01, rel=1e-5)
    assert sampling.chi_square_sf(0.0, 5) == 1.0


def test_statistic_pooling_and_rejection():
    assert sampling.chi_square_statistic([10, 30], [0.5, 0.5]) == pytest.approx(10.0)
    counts, p = sampling.merge_small_categories([90, 6, 2, 2], [0.9, 0.06, 0.02, 0.02], 5.0)
    assert counts.tolist() == [90, 6, 4] and np.allclose(p, [0.9, 0.06, 0.04])
    rng = np.random.default_rng(5)
    p = np.array([0.5, 0.3, 0.15, 0.05])
    assert sampling.chi_square_p_value(rng.choice(4, 20_000, p=p), p) > 1e-3
    assert sampling.chi_square_p_value(rng.choice(4, 20_000, p=[0.45, 0.35, 0.15, 0.05]), p) < 1e-6
    assert sampling.chi_square_p_value(np.array([0, 3]), np.array([0.5, 0.5, 0.0, 0.0])) == 0.0


def test_categorical_ks_by_hand():
    assert sampling.categorical_ks_statistic(np.array([0, 0, 1, 1]), [0.5, 0.5]) == 0.0
    assert sampling.categorical_ks_statistic(np.array([0, 0, 0, 1]), [0.5, 0.5]) == pytest.approx(0.25)


def test_unigram_and_conditional_entropy_by_hand():
    from reference.sampling import conditional_entropy, unigram_entropy

    # "abab…": two letters equally often (ln 2), and each fully determined by the one before (0).
    text = [0, 1] * 50
    assert unigram_entropy(text, 2) == pytest.approx(np.log(2))
    assert conditional_entropy(text, 2) == pytest.approx(0.0, abs=1e-12)
    # Independent fair draws: context tells nothing, both entropies are about ln 2.
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 2, 200_000)
    assert conditional_entropy(noise, 2) == pytest.approx(unigram_entropy(noise, 2), abs=1e-4)
