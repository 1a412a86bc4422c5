"""Temperature softmax and the checks for sampling from it (三 / （四）循环神经网络, the predict()
method): the distribution, its entropy, and a chi-square goodness-of-fit test whose p-value is
computed here (regularised incomplete gamma function), so a seeded test can state its false-alarm rate.
"""
from __future__ import annotations

import math

import numpy as np

from reference.lstm import softmax


def softmax_with_temperature(logits, temperature: float) -> np.ndarray:
    """softmax(logits / T) along the last axis, in float64."""
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    return softmax(np.asarray(logits, dtype=np.float64) / temperature)


def entropy(p) -> float:
    """Shannon entropy in nats, 0·log 0 taken as 0."""
    p = np.asarray(p, dtype=np.float64)
    nz = p[p > 0]
    return float(-np.sum(nz * np.log(nz)))


def regularized_gamma_q(a: float, x: float) -> float:
    """Q(a, x) = Γ(a, x)/Γ(a): the series for P below a + 1, Lentz's continued fraction above."""
    if x <= 0:
        return 1.0
    log_prefactor = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        n = 0
        while abs(term) > abs(total) * 1e-16 and n < 10_000:
            n += 1
            term *= x / (a + n)
            total += term
        return max(0.0, 1.0 - total * math.exp(log_prefactor))
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for n in range(1, 10_000):
        an = -n * (n - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-16:
            break
    return h * math.exp(log_prefactor)


def chi_square_sf(statistic: float, df: int) -> float:
    """P(X ≥ statistic) for X ~ χ²(df)."""
    return regularized_gamma_q(df / 2.0, statistic / 2.0)


def chi_square_statistic(counts, p) -> float:
    """Pearson's Σ (observed − expected)² / expected over the categories with p > 0."""
    counts = np.asarray(counts, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    expected = counts.sum() * p
    keep = p > 0
    return float(np.sum((counts[keep] - expected[keep]) ** 2 / expected[keep]))


def merge_small_categories(counts, p, min_expected: float = 5.0):
    """Pool the categories whose expected count is below min_expected into one (the chi-square
    approximation needs expected counts of about 5 or more); returns (counts, p)."""
    counts = np.asarray(counts, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    small = counts.sum() * p < min_expected
    if not small.any():
        return counts, p
    return np.append(counts[~small], counts[small].sum()), np.append(p[~small], p[small].sum())


def chi_square_p_value(samples, p) -> float:
    """Goodness of fit of integer samples in [0, len(p)) to p, small categories pooled.

    A sample outside the support (p == 0 or out of range) makes the p-value 0.
    """
    samples = np.asarray(samples).ravel()
    p = np.asarray(p, dtype=np.float64)
    if samples.size and (samples.min() < 0 or samples.max() >= len(p) or np.any(p[samples] == 0)):
        return 0.0
    counts = np.bincount(samples, minlength=len(p))
    counts, pooled = merge_small_categories(counts, p)
    df = len(pooled) - 1
    if df < 1:
        return 1.0
    return chi_square_sf(chi_square_statistic(counts, pooled), df)


def categorical_ks_statistic(samples, p) -> float:
    """sup_k |F_n(k) − F(k)| over the category order; DKW's bound holds for discrete F as well."""
    samples = np.asarray(samples).ravel()
    p = np.asarray(p, dtype=np.float64)
    empirical = np.cumsum(np.bincount(samples, minlength=len(p))[: len(p)]) / samples.size
    return float(np.max(np.abs(empirical - np.cumsum(p))))


def unigram_entropy(text, alphabet: int) -> float:
    """The entropy (nats) of the character frequencies of `text` (indices 0..alphabet−1): the lowest
    expected loss of a model that predicts the next character without looking at its input."""
    counts = np.bincount(np.asarray(text), minlength=alphabet)
    return entropy(counts / counts.sum())


def conditional_entropy(text, alphabet: int, context: int = 1) -> float:
    """H(next character | the `context` characters before it), in nats, from the counts of `text`:
    the lowest expected loss of a model that sees only that much context."""
    text = np.asarray(text, dtype=np.int64)
    codes = np.zeros(text.size - context, dtype=np.int64)
    for k in range(context):
        codes = codes * alphabet + text[k:text.size - context + k]
    joint = codes * alphabet + text[context:]
    _, joint_counts = np.unique(joint, return_counts=True)
    _, context_counts = np.unique(codes, return_counts=True)
    n = joint.size
    return float(-np.sum(joint_counts / n * np.log(joint_counts / n)) + np.sum(context_counts / n * np.log(context_counts / n)))
