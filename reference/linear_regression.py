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


# The float32 dot products of NumPy 1's loop go to the BLAS NumPy links (OpenBLAS), whose kernel for
# this CPU decides the last digits. Two kernels, emulated exactly here (NumPy arithmetic, no BLAS):
#   "double-accumulation": OpenBLAS's kernel/x86_64/sdot.c, used by the Nehalem, Sandybridge,
#       Haswell, Zen, SkylakeX and Cooperlake cores: for n < 32 each product is rounded to float32,
#       the products are summed in float64, and the sum is rounded to float32 once;
#   "float32-lanes": kernel/generic/dot.c with SSE3 (the Prescott, Core2 and Barcelona cores): four
#       float32 lanes accumulate the first n - n % 4 products, two horizontal adds reduce them as
#       (l0 + l1) + (l2 + l3), then the remaining products are added one at a time, all in float32.
FLOAT32_DOT_KERNELS = ("double-accumulation", "float32-lanes")


def float32_dot(u: np.ndarray, v: np.ndarray, kernel: str = "double-accumulation") -> np.float32:
    """The float32 dot product of u and v as the named BLAS kernel computes it."""
    products = np.asarray(u, np.float32) * np.asarray(v, np.float32)  # each product rounded to float32
    if kernel == "double-accumulation":
        if products.size >= 32:
            raise ValueError("the double-accumulation emulation covers n < 32 (sdot.c's unrolled loop)")
        return np.float32(sum(float(p) for p in products))  # Python floats are float64
    if kernel == "float32-lanes":
        blocked = products.size - products.size % 4
        lanes = np.zeros(4, np.float32)
        for start in range(0, blocked, 4):
            lanes = lanes + products[start:start + 4]
        total = np.float32(np.float32(lanes[0] + lanes[1]) + np.float32(lanes[2] + lanes[3]))
        for p in products[blocked:]:
            total = np.float32(total + p)
        return total
    raise ValueError(f"unknown float32 dot kernel {kernel!r}; known: {FLOAT32_DOT_KERNELS}")


def gradient_descent(x, y, learning_rate=1e-3, steps=10_000, promotion="float64", dot="double-accumulation"):
    """Run the section's NumPy loop and return (a, b).

    promotion says which arithmetic the loop is carried out in, given float32 data:
      "float64" — everything in float64 (the mathematical reference);
      "numpy1"  — NumPy 1.x value-based casting, which the handbook ran under: scalar·scalar
                  promotes to float64, so a and b are float64 while each prediction is computed
                  in float32 from them rounded to float32;
      "numpy2"  — NumPy 2 (NEP 50): Python scalars are weak, so a and b stay float32.
    dot names the float32 dot kernel of the numpy1 and numpy2 loops (see float32_dot).
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
            grad_a = 2.0 * float(float32_dot(residual, x, dot))
            grad_b = 2.0 * float(np.sum(residual))
            a, b = a - learning_rate * grad_a, b - learning_rate * grad_b
        return a, b
    if promotion == "numpy2":
        a = b = np.float32(0.0)
        lr = np.float32(learning_rate)
        two = np.float32(2.0)
        for _ in range(steps):
            residual = a * x + b - y
            grad_a = two * float32_dot(residual, x, dot)
            grad_b = two * np.sum(residual, dtype=np.float32)
            a, b = np.float32(a - lr * grad_a), np.float32(b - lr * grad_b)
        return a, b
    raise ValueError(f"unknown promotion {promotion!r}")


# The bound on |(a, b) − the float64 iteration on the same float32 data| that holds for any IEEE
# float32 dot kernel (any summation order, with or without FMA, any accumulator at least float32):
# the loop contracts by ρ = 1 − 2ημ_min = 0.998902 per step, so the rounding errors of the float32
# residual and dot products add up to at most 1.33e-6 over 10,000 steps (derived along the
# trajectory from u = 2⁻²⁴ and γ_n = nu/(1 − nu)); 2e-6 leaves room. Measured over eight kernel
# emulations: at most 1.07e-9 in a and 1.25e-10 in b. NumPy 2's float32 loop is about 1e-5 away.
NUMPY1_LOOP_BOUND = 2e-6
