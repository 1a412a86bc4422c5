"""一、TensorFlow概述 / 特性：模型的训练 — "支持单机和多机集群并行训练模型", on a CPU-only machine:
MirroredStrategy over two logical CPUs (in a fresh interpreter that splits its CPU before TensorFlow
starts; spec.ch1_processes) and MultiWorkerMirroredStrategy with two worker processes on loopback,
each compared with one device training on the same global batches (the handbook's training step,
spec.models_keras.train_step_function, with SGD)."""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from reference import layers as layers_ref
from spec.assertions import assert_close, assert_exact
from spec.ch1_processes import (GLOBAL_BATCH, LEARNING_RATE, REPLICAS, STEPS, distribution_batches, fresh_child,
                                load_weights, process_exists, run_two_workers)
from spec.models_keras import MLP, train_step_function

RTOL, ATOL = 1e-5, 1e-6  # the replicas' gradients are summed in another order than one device's
HALF = GLOBAL_BATCH // REPLICAS


def sgd_reference(initial, x, y):
    """The same STEPS SGD steps on the same global batches in NumPy (float64): the mean sparse
    cross-entropy of each global batch, its hand-derived gradient, θ ← θ − α·g."""
    weights = [w.astype(np.float64) for w in initial]
    for i in range(0, len(x), GLOBAL_BATCH):
        _, grads = layers_ref.mlp_loss_and_gradients(x[i:i + GLOBAL_BATCH], y[i:i + GLOBAL_BATCH], weights)
        weights = [layers_ref.sgd_step(w, g, LEARNING_RATE) for w, g in zip(weights, grads)]
    return weights


def _assert_trained(got, initial, x, y, what, measured):
    """The weights moved from where they started, and to where NumPy's gradient descent goes: a shared
    no-op (or a shared wrong step) in both runs would leave them equal to each other."""
    moved = max(float(np.abs(g - w0).max()) for g, w0 in zip(got, initial))
    measured(f"{what}: largest move from the initial weights", moved)
    assert moved >= 1e-4, f"{what}: the weights moved by at most {moved:g} in {STEPS} SGD steps of lr {LEARNING_RATE}"
    # float32 against float64 over 5 steps: a few 1e-7 of the weights' scale.
    _assert_same_weights(got, sgd_reference(initial, x, y), f"{what} vs NumPy SGD")


def _assert_same_weights(got, expected, what):
    names = ["dense1.kernel", "dense1.bias", "dense2.kernel", "dense2.bias"]
    assert len(got) == len(expected) == len(names), (len(got), len(expected))
    for name, g, e in zip(names, got, expected):
        assert_close(g, e, rtol=RTOL, atol=ATOL, what=f"{what}: {name}")


@pytest.mark.subprocess
@pytest.mark.claim("features.mirrored-matches-one-device")
def test_mirrored_strategy_on_two_logical_cpus_matches_one_device(local_data_file, measured):
    report, folder = fresh_child(local_data_file("mnist.npz"))
    assert len(report["logical_cpus"]) == REPLICAS, report["logical_cpus"]
    assert report["num_replicas_in_sync"] == REPLICAS, report
    assert report["replica_batch_sizes"] == [[HALF] * REPLICAS] * STEPS, report["replica_batch_sizes"]
    for copies in report["variable_copies"]:
        assert len(set(copies["devices"])) == REPLICAS, f"variable not mirrored on {REPLICAS} devices: {copies}"
        assert copies["identical"], f"the replicas' copies of a variable differ: {copies}"
    mirrored, one_device = load_weights(folder / "mirrored.npz"), load_weights(folder / "one_device.npz")
    measured("max |mirrored − one device| over the weights",
             max(float(np.abs(a - b).max()) for a, b in zip(mirrored, one_device)))
    _assert_same_weights(mirrored, one_device, "MirroredStrategy vs one device")
    x, y = distribution_batches(local_data_file("mnist.npz"))
    _assert_trained(one_device, load_weights(folder / "initial.npz"), x, y, "one device", measured)


@pytest.mark.slow
@pytest.mark.subprocess
@pytest.mark.timeout(600)
@pytest.mark.claim("features.multi-worker-agree")
def test_two_workers_on_loopback_agree_with_each_other_and_one_device(local_data_file, tmp_path, measured):
    x, y = distribution_batches(local_data_file("mnist.npz"))
    tf.keras.utils.set_random_seed(20260102)
    model = MLP()
    model(x[:1])
    initial = [w.copy() for w in model.get_weights()]
    pids: list[int] = []
    try:
        reports, weights = run_two_workers(tmp_path, x, y, initial, pids)
    finally:
        # run_two_workers reaps its workers even when it fails; check that nothing is left behind.
        leftover = [pid for pid in pids if process_exists(pid)]
        assert not leftover, f"worker processes still running: {leftover}"
    assert len(pids) == REPLICAS, pids
    for index, report in enumerate(reports):
        assert report["num_replicas_in_sync"] == REPLICAS, (index, report)
        assert report["replica_batch_sizes"] == [[HALF]] * STEPS, (index, report)
    for a, b in zip(*weights):
        assert_exact(a, b, what="worker 0 vs worker 1 weights", dtype=np.float32)

    step = train_step_function(model, tf.keras.optimizers.SGD(learning_rate=LEARNING_RATE))
    for i in range(0, len(x), GLOBAL_BATCH):
        step(tf.constant(x[i:i + GLOBAL_BATCH]), tf.constant(y[i:i + GLOBAL_BATCH]))
    one_device = model.get_weights()
    measured("max |workers − one device| over the weights",
             max(float(np.abs(a - b).max()) for a, b in zip(weights[0], one_device)))
    _assert_same_weights(weights[0], one_device, "two workers vs one device")
    _assert_trained(weights[0], initial, x, y, "two workers", measured)
