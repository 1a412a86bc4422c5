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
