"""Distribution checks with a stated false-alarm rate, for seeded statistical tests."""
from __future__ import annotations

import math

import numpy as np


def ks_statistic_uniform(samples: np.ndarray) -> float:
    """Kolmogorov–Smirnov distance sup |F_n(x) − x| between the samples and U(0, 1)."""
    x = np.sort(np.asarray(samples, dtype=np.float64).ravel())
    n = x.size
    ranks = np.arange(1, n + 1, dtype=np.float64)
    return float(max(np.max(ranks / n - x), np.max(x - (ranks - 1) / n)))


def dkw_bound(n: int, false_alarm: float) -> float:
    """ε with P(sup |F_n − F| > ε) ≤ false_alarm for any n (Dvoretzky–Kiefer–Wolfowitz, Massart's constant)."""
    return math.sqrt(math.log(2.0 / false_alarm) / (2.0 * n))


# -- rules for verdicts over several seeds -----------------------------------------------------


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X ≥ k) for X ~ Binomial(n, p), summed exactly."""
    return float(sum(math.comb(n, i) * p ** i * (1.0 - p) ** (n - i) for i in range(max(k, 0), n + 1)))


def clopper_pearson_lower(successes: int, trials: int, confidence: float) -> float:
    """The one-sided Clopper–Pearson lower confidence bound on a success probability: the p at which
    `successes` or more of `trials` would happen with probability 1 − confidence (0 when none did)."""
    if not 0 <= successes <= trials or trials < 1:
        raise ValueError(f"need 0 <= successes <= trials, trials >= 1; got {successes} of {trials}")
    if successes == 0:
        return 0.0
    low, high = 0.0, 1.0
    for _ in range(200):  # bisection: binomial_tail grows with p
        mid = (low + high) / 2
        low, high = (mid, high) if binomial_tail(successes, trials, mid) < 1.0 - confidence else (low, mid)
    return low


def mean_and_spread(values) -> dict:
    """n, mean, sample standard deviation (0 for one value), min and max of per-seed results."""
    x = np.asarray(values, dtype=np.float64)
    return {"n": int(x.size), "mean": float(x.mean()), "std": float(x.std(ddof=1)) if x.size > 1 else 0.0,
            "min": float(x.min()), "max": float(x.max())}


def _incomplete_beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the regularised incomplete beta function (modified Lentz)."""
    tiny, c, d = 1e-300, 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 500):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= c * d
        if abs(c * d - 1.0) < 1e-15:
            break
    return result


def regularised_incomplete_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b), the CDF of Beta(a, b) at x."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _incomplete_beta_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _incomplete_beta_fraction(b, a, 1.0 - x) / b


def student_t_cdf(t: float, df: int) -> float:
    tail = 0.5 * regularised_incomplete_beta(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def student_t_quantile(probability: float, df: int) -> float:
    """t with P(T ≤ t) = probability for Student's t with df degrees of freedom (bisection)."""
    low, high = -1e3, 1e3
    for _ in range(200):
        mid = (low + high) / 2
        low, high = (mid, high) if student_t_cdf(mid, df) < probability else (low, mid)
    return (low + high) / 2


def mean_lower_bound(values, confidence: float) -> float:
    """The one-sided Student-t lower confidence bound on the mean of per-seed results (needs n ≥ 2)."""
    stats = mean_and_spread(values)
    if stats["n"] < 2:
        raise ValueError("a t bound needs at least two values")
    return stats["mean"] - student_t_quantile(confidence, stats["n"] - 1) * stats["std"] / math.sqrt(stats["n"])
