"""NumPy references for chapter 三's Keras pipeline and custom parts: the dense / relu / softmax MLP
forward pass, sparse cross-entropy and accuracy as Keras defines them, mean squared error, batch
normalisation in its two modes, and the Glorot-normal initialiser's moments. float64 throughout."""
from __future__ import annotations

import math

import numpy as np

# Keras clips probabilities into [EPSILON, 1 - EPSILON] before taking the log (backend epsilon).
EPSILON = 1e-7


def dense(x, w, b):
    return np.asarray(x, np.float64) @ np.asarray(w, np.float64) + np.asarray(b, np.float64)


def relu(x):
    return np.maximum(np.asarray(x, np.float64), 0.0)


def softmax(logits, axis: int = -1):
    z = np.asarray(logits, np.float64)
    z = z - z.max(axis=axis, keepdims=True)  # shift for stability; the result is unchanged
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def mlp_forward(x, w1, b1, w2, b2):
    """Flatten -> Dense(relu) -> Dense -> softmax, the book's MLP and its Sequential twin."""
    x = np.asarray(x, np.float64)
    flat = x.reshape(x.shape[0], -1)
    return softmax(dense(relu(dense(flat, w1, b1)), w2, b2))


def sparse_categorical_crossentropy(labels, probabilities):
    """Per-example -log p[label], with each row renormalised to sum 1 and clipped as Keras does."""
    p = np.asarray(probabilities, np.float64)
    p = p / p.sum(axis=-1, keepdims=True)
    p = np.clip(p, EPSILON, 1.0 - EPSILON)
    labels = np.asarray(labels).astype(np.int64).reshape(-1)
    return -np.log(p[np.arange(p.shape[0]), labels])


def argmax_first(scores):
    """Index of the largest score per row; among equal largest scores, the first."""
    return np.argmax(np.asarray(scores), axis=-1)  # NumPy documents: first occurrence on ties


def sparse_categorical_accuracy(labels, scores):
    labels = np.asarray(labels).astype(np.int64).reshape(-1)
    if labels.size == 0:
        return float("nan")
    return float(np.mean(argmax_first(scores) == labels))


def mean_squared_error(y_true, y_pred):
    diff = np.asarray(y_pred, np.float64) - np.asarray(y_true, np.float64)
    return float(np.mean(diff * diff))


def batch_norm_inference(x, gamma, beta, moving_mean, moving_variance, epsilon):
    x = np.asarray(x, np.float64)
    return (x - moving_mean) / np.sqrt(np.asarray(moving_variance, np.float64) + epsilon) * gamma + beta


def batch_norm_training(x, gamma, beta, moving_mean, moving_variance, epsilon, momentum):
    """(output, new moving mean, new moving variance) for a (batch, channels) input in training mode.

    The batch variance is the biased one (divide by the batch size), used both to normalise and to
    update the moving variance, as Keras' non-fused BatchNormalization does.
    """
    x = np.asarray(x, np.float64)
    mean = x.mean(axis=0)
    variance = ((x - mean) ** 2).mean(axis=0)
    out = (x - mean) / np.sqrt(variance + epsilon) * gamma + beta
    new_mean = np.asarray(moving_mean, np.float64) * momentum + mean * (1.0 - momentum)
    new_variance = np.asarray(moving_variance, np.float64) * momentum + variance * (1.0 - momentum)
    return out, new_mean, new_variance


def _std_normal_pdf(z: float) -> float:
    return math.exp(-z * z / 2) / math.sqrt(2 * math.pi)


def _std_normal_cdf(z: float) -> float:
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


def truncated_std_normal_std(bound: float) -> float:
    """Standard deviation of a standard normal truncated to [-bound, bound]."""
    mass = _std_normal_cdf(bound) - _std_normal_cdf(-bound)
    return math.sqrt(1 - 2 * bound * _std_normal_pdf(bound) / mass)


def glorot_normal_moments(fan_in: int, fan_out: int) -> tuple[float, float]:
    """(target standard deviation, largest possible |value|) of the Glorot-normal initialiser.

    Glorot & Bengio's variance 2 / (fan_in + fan_out); Keras draws from a normal truncated at two of
    its own standard deviations, scaled up so that the truncated draw has the target variance.
    """
    target = math.sqrt(2.0 / (fan_in + fan_out))
    pre_truncation = target / truncated_std_normal_std(2.0)
    return target, 2.0 * pre_truncation


def glorot_normal_cdf(values, fan_in: int, fan_out: int):
    """CDF of the Glorot-normal initialiser's distribution (the truncated normal above) at `values`."""
    _, bound = glorot_normal_moments(fan_in, fan_out)
    sd = bound / 2.0
    cdf = np.vectorize(_std_normal_cdf)
    low = _std_normal_cdf(-2.0)
    z = np.clip(np.asarray(values, np.float64) / sd, -2.0, 2.0)
    return (cdf(z) - low) / (1.0 - 2.0 * low)
