"""An independent check of the benchmark summary's headline ratios, without pytest or
pytest-benchmark: plain time.perf_counter around the same workloads, written again here.

    python -m spec.benchmarks.independent_check [--eager-steps 50] [--repeats 3]

Prints seconds per step of the linear regression eager (as the handbook writes it) and with the
whole 10 000-step loop in one tf.function, and their ratio; and the best float32 GFLOP/s of a
2048x2048 tf.matmul and NumPy product. Compare with linreg.cpu.tf_function_loop.speedup_vs_eager
and matmul.*.n2048.*.gflops in the summary. Best of --repeats, like the summary's minimum.
"""
from __future__ import annotations

import argparse
import time

import numpy as np


def best_of(repeats: int, run) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eager-steps", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--matmul-n", type=int, default=2048)
    options = parser.parse_args(argv)

    import tensorflow as tf

    years = np.array([2015, 2016, 2017, 2018, 2019, 2020], dtype=np.float32)
    prices = np.array([12000, 14000, 15000, 16500, 17500, 19000], dtype=np.float32)
    x = tf.constant((years - years.min()) / (years.max() - years.min()))
    y = tf.constant((prices - prices.min()) / (prices.max() - prices.min()))
    a, b = tf.Variable(0.0), tf.Variable(0.0)
    optimizer = tf.keras.optimizers.SGD(learning_rate=1e-3)

    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.square(a * x + b - y))
        grads = tape.gradient(loss, [a, b])
        optimizer.apply_gradients(zip(grads, [a, b]))

    @tf.function
    def loop(n):
        for _ in tf.range(n):
            step()

    def eager():
        for _ in range(options.eager_steps):
            step()

    steps = tf.constant(10_000)
    eager()  # warm-up, like the benchmark's warm-up round
    loop(steps)  # the trace happens here, outside the clock
    eager_per_step = best_of(options.repeats, eager) / options.eager_steps
    loop_per_step = best_of(options.repeats, lambda: loop(steps)) / 10_000
    print(f"linear regression, eager:                {eager_per_step * 1e6:10.1f} us/step "
          f"(best of {options.repeats} x {options.eager_steps} steps)")
    print(f"linear regression, whole loop tf.function: {loop_per_step * 1e6:8.2f} us/step "
          f"(best of {options.repeats} x 10000 steps)")
    print(f"whole-loop tf.function over eager:       {eager_per_step / loop_per_step:10.1f}x")

    n = options.matmul_n
    rng = np.random.default_rng(0)
    p, q = rng.standard_normal((n, n), dtype=np.float32), rng.standard_normal((n, n), dtype=np.float32)
    tp, tq = tf.constant(p), tf.constant(q)
    tf.matmul(tp, tq)
    flops = 2.0 * n**3
    tf_seconds = best_of(options.repeats, lambda: tf.matmul(tp, tq).numpy())
    np_seconds = best_of(options.repeats, lambda: p @ q)
    print(f"matmul {n}x{n} float32: tf {flops / tf_seconds / 1e9:.1f} GFLOP/s, numpy {flops / np_seconds / 1e9:.1f} GFLOP/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
