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
