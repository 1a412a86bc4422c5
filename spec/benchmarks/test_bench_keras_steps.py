"""Workload 3 — one training step of the handbook's MLP and CNN at batch 64 (三、TensorFlow模型建立与
训练 / （二）多层感知器 and （三）卷积神经网络): the loop body as the book runs it (eager), in a
tf.function (spec.models_keras.train_step_function, the suite's own), and compiled by XLA.
Samples/s, and achieved GFLOP/s against the float32 matmul peak measured by the matmul group.

Data are synthetic (images uniform in [0, 1), labels uniform in 0..9): the step's cost does not
depend on the pixels. Every run checks, after timing, that the model's forward pass matches the
NumPy reference (reference/layers.py) on a few images, that the step returns the loss of the
weights it starts from, and that training on the batch has lowered that loss. Untimed, the
tf.function and XLA checks belong to the slow tier (marker slow_when_untimed, see
fixtures/benchmark_summary_plugin.py): tracing and compiling cost 1.5-10 s of CPU each.
"""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from reference import layers as ref
from spec.assertions import assert_close
from spec.benchmarks.common import (cnn_layer_flops, finish, measure, mlp_layer_flops, record, timing,
                                    training_flops)
from spec.models_keras import BATCH_SIZE, CNN, LEARNING_RATE, MLP, train_step_function

# Untimed, tracing and XLA compilation cost 1.5-10 s of CPU per model: those checks run in the slow tier.
VARIANTS = ("eager", pytest.param("tf_function", marks=pytest.mark.slow_when_untimed),
            pytest.param("xla", marks=pytest.mark.slow_when_untimed))
REFERENCE_IMAGES = 8  # the NumPy CNN forward pass costs about 20 ms per image in float64
MODELS = {
    # name: (class, reference forward, layers whose (kernel, bias) the reference takes, FLOPs per layer,
    #        timed rounds per variant)
    "mlp": (MLP, ref.mlp_forward, ("dense1", "dense2"), mlp_layer_flops, {"eager": 5, "tf_function": 20, "xla": 20}),
    "cnn": (CNN, ref.cnn_forward, ("conv1", "conv2", "dense1", "dense2"), cnn_layer_flops,
            {"eager": 3, "tf_function": 3, "xla": 3}),
}


def synthetic_batch(rng: np.random.Generator, batch: int = BATCH_SIZE):
    x = rng.random((batch, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, batch).astype(np.int32)
    return x, y


def make_step(model, optimizer, variant: str):
    compiled = train_step_function(model, optimizer)
    if variant == "tf_function":
        return compiled
    if variant == "eager":  # the same Python body, run op by op as the book runs it
        return compiled.python_function
    return tf.function(compiled.python_function, jit_compile=True)


def mean_loss(model, x, y) -> float:
    probabilities = model(x)
    return float(tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(y_true=y, y_pred=probabilities)))


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("name", list(MODELS))
def test_training_step(benchmark, device, name, variant, seed):
    cls, reference_forward, layer_names, layer_flops, rounds = MODELS[name]
    benchmark.group = f"{name}_step: one training step, batch {BATCH_SIZE}"
    x_np, y_np = synthetic_batch(np.random.default_rng(seed))
    with tf.device(device.name):
        x, y = tf.constant(x_np), tf.constant(y_np)
        model = cls()
        model(x[:1])
        optimizer = tf.keras.optimizers.Adam(learning_rate=LEARNING_RATE)
        step = make_step(model, optimizer, variant)
        initial_loss = mean_loss(model, x, y)

    def train_once():
        with tf.device(device.name):
            loss = step(x, y)
        finish(device, loss)
        return loss

    record(benchmark, workload=f"{name}_step", variant=variant, device=device, units=BATCH_SIZE, unit="samples",
           flops=training_flops(layer_flops(BATCH_SIZE)), baseline=variant == "eager", vs_peak=True)
    measure(benchmark, train_once, rounds=rounds[variant])

    # Correctness of the (now trained) model and of the step being measured.
    layers = [getattr(model, layer) for layer in layer_names]
    weights = [v.numpy().astype(np.float64) for layer in layers for v in (layer.kernel, layer.bias)]
    with tf.device(device.name):
        probabilities = model(x[:REFERENCE_IMAGES])
        loss_before = mean_loss(model, x, y)
        returned = train_once()
        loss_after = mean_loss(model, x, y)
    expected = reference_forward(x_np[:REFERENCE_IMAGES].astype(np.float64), weights)
    assert_close(probabilities, expected, rtol=2e-4, atol=1e-6, what=f"{name} forward pass vs reference", device=device)
    assert_close(returned, loss_before, rtol=1e-4, atol=1e-6, what=f"loss returned by the {variant} step",
                 device=device)
    assert np.isfinite(loss_after) and loss_after < initial_loss, (
        f"{name} {variant}: training on one batch did not lower its loss ({initial_loss} -> {loss_after})"
    )
