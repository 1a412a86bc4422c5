"""What every benchmark module shares: how a measured call ends (the device has finished), how a
benchmark is timed (fixed rounds, or once when timing is off), what it records for the summary,
and the FLOP counts that the summary turns into GFLOP/s.

The record (benchmark.extra_info) is what fixtures/benchmark_summary_plugin.py reads:
  workload  the group's slug ("linreg", "matmul", "cnn_step", ...)
  variant   this alternative's slug ("eager", "tf_function", "xla", "numpy", ...)
  device    the device id ("cpu", "gpu", ...) or "host" for NumPy/host-side work (then it is
            compared with every device's variants)
  units, unit   how much work one timed call does (10000 "steps", 64 "samples", N "bytes")
  baseline  True on the variant the others' speed-ups are taken against
  flops     floating-point operations per call, where counted
  size      a size parameter that splits the workload (matmul's n)
"""
from __future__ import annotations

import tensorflow as tf

HOST = "host"


def timing(benchmark) -> bool:
    """True when pytest-benchmark measures; False in the plain (-n auto, or -n 0 without
    --benchmark-only/--benchmark-enable) run, where each body runs once as a correctness check."""
    return bool(benchmark.enabled)


def finish(device, *results) -> None:
    """Return only once `device` has computed `results`, so the clock stops after the work.

    CPU eager ops run synchronously, so there is nothing to wait for there. On a GPU, kernels are
    queued asynchronously: tf.test.experimental.sync_devices() (TF >= 2.13) waits for every queued
    op on every device; without it, copying one element of each result to the host waits for the
    kernels that produce it (stream order) without timing a whole device-to-host copy.
    """
    if device is None or device.device_type == "CPU":
        return
    sync = getattr(getattr(tf.test, "experimental", None), "sync_devices", None)
    if sync is not None:
        sync()
        return
    for result in results:
        if isinstance(result, tf.Tensor) and result.shape.num_elements():
            tf.reshape(result, [-1])[:1].numpy()
        elif isinstance(result, tf.Variable):
            tf.reshape(result.value(), [-1])[:1].numpy()


def measure(benchmark, target, *, rounds: int, iterations: int = 1, warmup_rounds: int = 1, setup=None):
    """Time `target` over a fixed number of rounds (pedantic mode, so the total time is known in
    advance); when timing is off it runs `target` once (after `setup`) and returns its result."""
    return benchmark.pedantic(target, setup=setup, rounds=rounds, iterations=iterations,
                              warmup_rounds=warmup_rounds)


def record(benchmark, *, workload: str, variant: str, device, units: float, unit: str,
           baseline: bool = False, flops: float | None = None, **extra) -> None:
    """Label this benchmark for the summary (see the module docstring)."""
    benchmark.extra_info.update(
        workload=workload,
        variant=variant,
        device=HOST if device is None else device.id,
        units=float(units),
        unit=unit,
        baseline=bool(baseline),
        timed=timing(benchmark),
        **({"flops": float(flops)} if flops is not None else {}),
        **extra,
    )


# ---------------------------------------------------------------------------- FLOP counts
# Multiply-adds count as two FLOPs. A training step costs its forward pass, plus one pass of the
# same size for the weight gradients, plus one for the input gradients of every layer but the
# first (nothing needs the gradient with respect to the images). Element-wise work (bias, ReLU,
# pooling, softmax, Adam's update) is left out: under 1% of the CNN's total.


def dense_flops(batch: int, fan_in: int, fan_out: int) -> float:
    return 2.0 * batch * fan_in * fan_out


def conv2d_same_flops(batch: int, height: int, width: int, kernel: int, c_in: int, c_out: int) -> float:
    return 2.0 * batch * height * width * kernel * kernel * c_in * c_out


def training_flops(layer_forward_flops: list[float]) -> float:
    """Forward + weight gradients + input gradients of all layers but the first."""
    forward = sum(layer_forward_flops)
    return forward + forward + (forward - layer_forward_flops[0])


def mlp_layer_flops(batch: int) -> list[float]:
    """The handbook's MLP: 784 -> 100 -> 10."""
    return [dense_flops(batch, 784, 100), dense_flops(batch, 100, 10)]


def cnn_layer_flops(batch: int) -> list[float]:
    """The handbook's CNN: conv 5x5 1->32 at 28x28, conv 5x5 32->64 at 14x14, 3136 -> 1024 -> 10."""
    return [
        conv2d_same_flops(batch, 28, 28, 5, 1, 32),
        conv2d_same_flops(batch, 14, 14, 5, 32, 64),
        dense_flops(batch, 7 * 7 * 64, 1024),
        dense_flops(batch, 1024, 10),
    ]


def matmul_flops(n: int) -> float:
    return 2.0 * n * n * n
