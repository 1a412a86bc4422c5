"""Workload 2 — float32 matrix products from 2×2 to 2048×2048: tf.matmul on each device versus
NumPy's `@` on the host, with achieved GFLOP/s (2n³ per product). The best GFLOP/s of this group
is the machine's measured float32 matmul peak that the CNN step is held against.

Small products are timed over many iterations per round (their cost is the call, not the
arithmetic). Untimed (correctness) runs stop at CHECK_MAX_N: a 2048³ product and its float64
reference cost seconds of CPU. Every run checks the product against NumPy in float64.
"""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from spec.assertions import assert_close, assert_on_device
from spec.benchmarks.common import finish, matmul_flops, measure, record, timing

SIZES = (2, 8, 32, 128, 512, 2048)
CHECK_MAX_N = 128


def plan(n: int) -> tuple[int, int]:
    """(rounds, iterations per round): up to 200 products (about 2e7 FLOPs) per round for small n,
    where the call costs more than the arithmetic; one product per round from n = 256 on."""
    iterations = int(min(200, max(1, 2e7 // matmul_flops(n))))
    rounds = 3 if n >= 2048 else 5 if n >= 512 else 20  # small products: cheap rounds, more of them
    return rounds, iterations


def operands(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(n)
    return rng.standard_normal((n, n), dtype=np.float32), rng.standard_normal((n, n), dtype=np.float32)


def assert_product(got, a: np.ndarray, b: np.ndarray, device=None) -> None:
    """float32 accumulation: error grows like √n·ε·√n·|a||b| for unit normals; 8× that as the bound."""
    __tracebackhide__ = True
    n = a.shape[0]
    want = a.astype(np.float64) @ b.astype(np.float64)
    atol = 8 * n * float(np.finfo(np.float32).eps) * max(1.0, float(np.sqrt(n)))
    assert_close(got, want, rtol=1e-5, atol=atol, what=f"{n}x{n} float32 product", device=device)


def size_under_test(benchmark, n: int) -> int:
    return n if timing(benchmark) else min(n, CHECK_MAX_N)


@pytest.mark.parametrize("n", SIZES, ids=lambda n: f"n{n}")
def test_tf_matmul(benchmark, device, n):
    benchmark.group = f"matmul {n}x{n} float32"
    m = size_under_test(benchmark, n)
    a_np, b_np = operands(m)
    with tf.device(device.name):
        a, b = tf.constant(a_np), tf.constant(b_np)

    def product():  # runs inside the device scope entered around measure(): no scope cost per call
        c = tf.matmul(a, b)
        finish(device, c)
        return c

    rounds, iterations = plan(m)
    record(benchmark, workload="matmul", variant="tf", device=device, units=1, unit="calls",
           flops=matmul_flops(m), size=n)
    with tf.device(device.name):
        c = measure(benchmark, product, rounds=rounds, iterations=iterations)
    assert_on_device(c, device)
    assert_product(c, a_np, b_np, device)


@pytest.mark.parametrize("n", SIZES, ids=lambda n: f"n{n}")
def test_numpy_matmul(benchmark, n):
    benchmark.group = f"matmul {n}x{n} float32"
    m = size_under_test(benchmark, n)
    a, b = operands(m)
    rounds, iterations = plan(m)
    record(benchmark, workload="matmul", variant="numpy", device=None, units=1, unit="calls",
           flops=matmul_flops(m), size=n, baseline=True)
    c = measure(benchmark, lambda: a @ b, rounds=rounds, iterations=iterations)
    assert c.dtype == np.float32, c.dtype
    assert_product(c, a, b)
