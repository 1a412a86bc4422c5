"""Chapter 二(二): derivatives by hand and by central finite differences, to check the tape against."""
from __future__ import annotations

from typing import Callable

import numpy as np


def matmul_square_loss(x: np.ndarray, w: np.ndarray, b, y: np.ndarray) -> float:
    """The tape example's loss: Σ (x·w + b − y)²."""
    return float(np.sum((x @ w + b - y) ** 2))


def matmul_square_loss_gradients(x, w, b, y) -> tuple[np.ndarray, float]:
    """∂/∂w = 2·xᵀ(x·w + b − y), ∂/∂b = 2·Σ(x·w + b − y)."""
    residual = x @ w + b - y
    return 2.0 * x.T @ residual, 2.0 * float(np.sum(residual))


def central_difference(f: Callable[[np.ndarray], float], at: np.ndarray, step: float = 1e-6) -> np.ndarray:
    """∂f/∂at[i] ≈ (f(at + h·eᵢ) − f(at − h·eᵢ)) / 2h, elementwise, in float64."""
    at = np.asarray(at, dtype=np.float64)
    grad = np.empty_like(at)
    for index in np.ndindex(at.shape):
        plus, minus = at.copy(), at.copy()
        plus[index] += step
        minus[index] -= step
        grad[index] = (f(plus) - f(minus)) / (2.0 * step)
    return grad


# Smooth scalar maps and their derivatives, to build compositions whose exact derivative the
# chain rule gives: (f_k ∘ … ∘ f_1)'(v) = Π f_i'(v_{i-1}).
UNARY = {
    "sin": (np.sin, np.cos),
    "tanh": (np.tanh, lambda v: 1.0 - np.tanh(v) ** 2),
    "exp/4": (lambda v: np.exp(v / 4.0), lambda v: np.exp(v / 4.0) / 4.0),
    "square": (np.square, lambda v: 2.0 * v),
    "softplus": (lambda v: np.logaddexp(0.0, v), lambda v: 0.5 * (1.0 + np.tanh(v / 2.0))),  # σ(v)
}


def compose(names, v: np.ndarray) -> np.ndarray:
    for name in names:
        v = UNARY[name][0](v)
    return v


def compose_derivative(names, v: np.ndarray) -> np.ndarray:
    """Elementwise derivative of compose(names, ·) at v, by the chain rule."""
    derivative = np.ones_like(v, dtype=np.float64)
    for name in names:
        function, slope = UNARY[name]
        derivative = derivative * slope(v)
        v = function(v)
    return derivative


def composed_times_cos_gradient(names, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gradient of Σ g(v)·cos(v), g = compose(names, ·): g'(v)·cos(v) − g(v)·sin(v).

    Also returns a per-element magnitude |g'·cos| + |g·sin| for rounding-error bounds.
    """
    g, dg = compose(names, v), compose_derivative(names, v)
    return dg * np.cos(v) - g * np.sin(v), np.abs(dg * np.cos(v)) + np.abs(g * np.sin(v))
