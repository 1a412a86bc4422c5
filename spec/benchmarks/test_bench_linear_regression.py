"""Workload 1 — 二、TensorFlow基础 / （三）示例：线性回归: 10 000 steps of gradient descent on the
six house prices, as the NumPy reference, as the handbook writes it (eager), with the step in a
tf.function, with the whole loop in one tf.function, and that loop compiled by XLA.

Timed calls: the loop variants run all 10 000 steps per call. The eager and per-step tf.function
variants cost milliseconds per step, so each timed call runs a stated slice of the loop
(EAGER_STEPS, STEP_FUNCTION_STEPS) and the summary compares time per step (units = steps).
Untimed (correctness) runs use fewer steps; every run checks (a, b) against the float64 NumPy
reference after the same number of steps.
"""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from reference import linear_regression as ref
from spec.assertions import assert_close, assert_on_device
from spec.benchmarks.common import finish, measure, record, timing

pytestmark = pytest.mark.benchmark(group="linreg: 10 000 steps")

STEPS = 10_000
LEARNING_RATE = 1e-3
EAGER_STEPS = 50  # per timed call; a full 10 000-step eager loop takes minutes here
STEP_FUNCTION_STEPS = 500
CHECK_STEPS = 20  # untimed runs of the step-by-step variants


def handbook_data() -> tuple[np.ndarray, np.ndarray]:
    x, y = ref.house_price_data(np.float64)
    return x.astype(np.float32), y.astype(np.float32)


def assert_matches_reference(a, b, steps: int, device=None) -> None:
    """(a, b) after `steps` float32 steps is the float64 descent's, within float32 drift."""
    __tracebackhide__ = True
    want_a, want_b = ref.gradient_descent(*ref.house_price_data(np.float64), LEARNING_RATE, steps)
    atol = 1e-6 + 5e-9 * steps  # measured drift after 10 000 float32 steps: about 1e-5
    assert_close(np.float64(a), want_a, rtol=0, atol=atol, what=f"a after {steps} steps", device=device)
    assert_close(np.float64(b), want_b, rtol=0, atol=atol, what=f"b after {steps} steps", device=device)


class HandbookProblem:
    """The section's variables, optimizer and loop body on one device."""

    def __init__(self, device):
        self.device = device
        x, y = handbook_data()
        with tf.device(device.name):
            self.x, self.y = tf.constant(x), tf.constant(y)
            self.a, self.b = tf.Variable(initial_value=0.0), tf.Variable(initial_value=0.0)
            self.optimizer = tf.keras.optimizers.SGD(learning_rate=LEARNING_RATE)

    def step(self):
        a, b = self.a, self.b
        with tf.GradientTape() as tape:
            y_pred = a * self.x + b
            loss = tf.reduce_sum(tf.square(y_pred - self.y))
        grad_a, grad_b = tape.gradient(loss, [a, b])
        self.optimizer.apply_gradients(grads_and_vars=zip([grad_a, grad_b], [a, b]))

    def reset(self):
        """Back to a = b = 0 (not timed: pedantic's setup)."""
        self.a.assign(0.0)
        self.b.assign(0.0)

    def python_loop(self, step, steps: int):
        def run():
            with tf.device(self.device.name):
                for _ in range(steps):
                    step()
            finish(self.device, self.a, self.b)
            return self.a, self.b

        return run

    def graph_loop(self, *, jit_compile: bool, steps: int):
        @tf.function(jit_compile=jit_compile)
        def train(n):
            for _ in tf.range(n):
                self.step()

        n = tf.constant(steps)

        def run():
            with tf.device(self.device.name):
                train(n)
            finish(self.device, self.a, self.b)
            return self.a, self.b

        return run


def check(problem: HandbookProblem, steps: int) -> None:
    assert_on_device(problem.a.value(), problem.device)
    assert_matches_reference(problem.a.numpy(), problem.b.numpy(), steps, problem.device)


def test_numpy_reference(benchmark):
    steps = STEPS if timing(benchmark) else 1_000
    x, y = ref.house_price_data(np.float64)
    record(benchmark, workload="linreg", variant="numpy", device=None, units=steps, unit="steps")
    a, b = measure(benchmark, lambda: ref.gradient_descent(x, y, LEARNING_RATE, steps), rounds=5)
    assert_matches_reference(a, b, steps)


def test_eager_as_written(benchmark, device):
    steps = EAGER_STEPS if timing(benchmark) else CHECK_STEPS
    problem = HandbookProblem(device)
    record(benchmark, workload="linreg", variant="eager", device=device, units=steps, unit="steps", baseline=True)
    measure(benchmark, problem.python_loop(problem.step, steps), setup=problem.reset, rounds=3)
    check(problem, steps)


def test_tf_function_per_step(benchmark, device):
    steps = STEP_FUNCTION_STEPS if timing(benchmark) else CHECK_STEPS
    problem = HandbookProblem(device)
    record(benchmark, workload="linreg", variant="tf_function_step", device=device, units=steps, unit="steps")
    measure(benchmark, problem.python_loop(tf.function(problem.step), steps), setup=problem.reset, rounds=3)
    check(problem, steps)


def test_tf_function_whole_loop(benchmark, device):
    problem = HandbookProblem(device)
    record(benchmark, workload="linreg", variant="tf_function_loop", device=device, units=STEPS, unit="steps")
    measure(benchmark, problem.graph_loop(jit_compile=False, steps=STEPS), setup=problem.reset, rounds=3)
    check(problem, STEPS)


def test_xla_whole_loop(benchmark, device):
    problem = HandbookProblem(device)
    record(benchmark, workload="linreg", variant="xla_loop", device=device, units=STEPS, unit="steps")
    measure(benchmark, problem.graph_loop(jit_compile=True, steps=STEPS), setup=problem.reset, rounds=20)
    check(problem, STEPS)
