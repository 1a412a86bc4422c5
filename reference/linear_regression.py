"""Chapter 二(三): fitting y = a·x + b to the house prices, by gradient descent and in closed form.

The loss is the handbook's un-averaged sum of squares L(a, b) = Σ (a·xᵢ + b − yᵢ)².
"""
from __future__ import annotations

import numpy as np

YEARS = (2015, 2016, 2017, 2018, 2019, 2020)
PRICES = (12000, 14000, 15000, 16500, 17500, 19000)


def min_max_normalise(values: np.ndarray) -> np.ndarray:
    """(v − min) / (max − min), in the array's own dtype."""
    return (values - values.min()) / (values.max() - values.min())


def house_price_data(dtype=np.float64) -> tuple[np.ndarray, np.ndarray]:
    """The normalised (x, y) of the section, built as the handbook builds them."""
    return (
        min_max_normalise(np.array(YEARS, dtype=dtype)),
        min_max_normalise(np.array(PRICES, dtype=dtype)),
    )


def sum_of_squares(a, b, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.sum((a * x + b - y) ** 2))


def analytic_gradients(a, b, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """The section's hand-derived partials: ∂L/∂a = 2Σ(ax+b−y)x, ∂L/∂b = 2Σ(ax+b−y)."""
    residual = a * x + b - y
    return 2.0 * float(np.sum(residual * x)), 2.0 * float(np.sum(residual))


def closed_form(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least squares via the normal equations (the 解析式 the section mentions)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    x_mean, y_mean = x.mean(), y.mean()
    slope = np.sum((x - x_mean) * (y - y_mean)) / np.sum((x - x_mean) ** 2)
    return float(slope), float(y_mean - slope * x_mean)


def sgd_step(theta: np.ndarray, grad: np.ndarray, learning_rate: float) -> np.ndarray:
    """θ₁ = θ₀ − α·θ₀' (chapter 一's update rule)."""
    return theta - learning_rate * grad


def gradient_descent(x, y, learning_rate=1e-3, steps=10_000, promotion="float64"):
    """Run the section's NumPy loop and return (a, b).

    promotion says which arithmetic the loop is carried out in, given float32 data:
      "float64" — everything in float64 (the mathematical reference);
      "numpy1"  — NumPy 1.x value-based casting, which the handbook ran under: scalar·scalar
                  promotes to float64, so a and b are float64 while each prediction is computed
                  in float32 from them rounded to float32;
      "numpy2"  — NumPy 2 (NEP 50): Python scalars are weak, so a and b stay float32.
    """
    if promotion == "float64":
        x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
        a = b = 0.0
        for _ in range(steps):
            residual = a * x + b - y
            a, b = a - learning_rate * 2.0 * np.dot(residual, x), b - learning_rate * 2.0 * np.sum(residual)
        return float(a), float(b)
    x, y = np.asarray(x, np.float32), np.asarray(y, np.float32)
    if promotion == "numpy1":
        a = b = 0.0
        for _ in range(steps):
            residual = np.float32(a) * x + np.float32(b) - y
            grad_a = 2.0 * float(np.dot(residual, x))
            grad_b = 2.0 * float(np.sum(residual))
            a, b = a - learning_rate * grad_a, b - learning_rate * grad_b
        return a, b
    if promotion == "numpy2":
        a = b = np.float32(0.0)
        lr = np.float32(learning_rate)
        two = np.float32(2.0)
        for _ in range(steps):
            residual = a * x + b - y
            grad_a = two * np.dot(residual, x).astype(np.float32)
            grad_b = two * np.sum(residual, dtype=np.float32)
            a, b = np.float32(a - lr * grad_a), np.float32(b - lr * grad_b)
        return a, b
    raise ValueError(f"unknown promotion {promotion!r}")
