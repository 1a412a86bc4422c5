"""Slow tier: 三、TensorFlow模型建立与训练 / （二）示例：多层感知器 and （三）卷积神经网络 / 1.: the book's
training loop (Adam 0.001, batch_size 64, get_batch with replacement) and its evaluation loop
(num_test_data // batch_size batches) on the MLP and the CNN, against the printed accuracies.

Budgets, stated in the claims: the MLP gets the book's full 10 epochs (9,370 batches). The CNN gets
600 batches (0.64 epoch) instead of 9,370: a CNN batch takes 0.15 s on this 2-core machine when it
is idle and 0.4-1.7 s while other work shares it, so the book's budget (about 25 minutes idle) would
exceed the 10 minutes this tier may spend on the chapter. Measured: the whole file in 2 min 19 s idle,
9-22 min under load averages of 7-15 (240 CPU-seconds either way). Each model is trained once
per device and process (both CNN claims share the run), from a fixed seed that does not depend on
which test asks first. Training steps are a tf.function (the
book runs them eagerly; the ops are the same); evaluation calls the model instead of model.predict.
"""
from __future__ import annotations

import time

import numpy as np
import pytest
import tensorflow as tf

from spec.models_keras import BATCH_SIZE, CNN, LEARNING_RATE, MLP, NUM_EPOCHS, MNISTLoader, evaluate_as_written, \
    train_as_written

BOOK_MLP_ACCURACY, BOOK_CNN_ACCURACY = 0.972155, 0.989083
MLP_BATCHES = 60000 // BATCH_SIZE * NUM_EPOCHS  # 9,370: the book's num_batches
CNN_BATCHES = 600
MLP_MARGIN, CNN_MARGIN = 0.005, 0.01
CNN_LEAD = 0.005  # how much better than the MLP "非常显著的提高" must at least be
SEEDS = {"MLP": 310, "CNN": 311}
MODELS = {"MLP": (MLP, MLP_BATCHES), "CNN": (CNN, CNN_BATCHES)}

_runs: dict[tuple[str, str], dict] = {}


@pytest.fixture(scope="module")
def loader(local_data_file):
    return MNISTLoader(local_data_file("mnist.npz"))


def trained(name: str, device, loader) -> dict:
    """Train `name` by the book's loop on `device` once per process; return accuracy and timings."""
    key = (name, device.id)
    if key not in _runs:
        cls, num_batches = MODELS[name]
        tf.keras.utils.set_random_seed(SEEDS[name])  # Python, NumPy (get_batch) and TensorFlow (initialisers)
        with tf.device(device.name):
            model = cls()
            started = time.monotonic()
            losses = train_as_written(model, loader, num_batches=num_batches, batch_size=BATCH_SIZE,
                                      learning_rate=LEARNING_RATE)
            trained_at = time.monotonic()
            accuracy, examples = evaluate_as_written(model, loader, batch_size=BATCH_SIZE)
        _runs[key] = {
            "accuracy": accuracy,
            "examples": examples,
            "batches": num_batches,
            "train_seconds": trained_at - started,
            "eval_seconds": time.monotonic() - trained_at,
            "last_losses": float(np.mean(losses[-100:])),
            "finite": bool(np.all(np.isfinite(losses))),
        }
    return _runs[key]


def record(measured, name: str, run: dict, handbook: float) -> None:
    measured(f"{name} test accuracy", run["accuracy"], handbook=handbook,
             note=f"{run['batches']} batches of {BATCH_SIZE} (book: {MLP_BATCHES}), seed {SEEDS[name]}, "
                  f"{run['examples']} test images; training {run['train_seconds']:.0f} s, evaluation "
                  f"{run['eval_seconds']:.0f} s on a shared 2-core machine; mean loss of the last 100 batches "
                  f"{run['last_losses']:.4f}")


@pytest.mark.slow
@pytest.mark.claim("mlp.training-reaches-book-accuracy")
def test_mlp_reaches_the_printed_accuracy(device, loader, measured):
    run = trained("MLP", device, loader)
    record(measured, "MLP", run, BOOK_MLP_ACCURACY)
    assert run["finite"] and run["examples"] == 9984
    assert run["accuracy"] >= BOOK_MLP_ACCURACY - MLP_MARGIN, (
        f"MLP on {device.id} after the book's {MLP_BATCHES} batches: test accuracy {run['accuracy']:.6f}, "
        f"the book prints {BOOK_MLP_ACCURACY}, margin {MLP_MARGIN}"
    )


@pytest.mark.slow
@pytest.mark.claim("cnn.training-reaches-book-accuracy")
def test_cnn_reaches_the_printed_accuracy(device, loader, measured):
    run = trained("CNN", device, loader)
    record(measured, "CNN", run, BOOK_CNN_ACCURACY)
    assert run["finite"] and run["examples"] == 9984
    assert run["accuracy"] >= BOOK_CNN_ACCURACY - CNN_MARGIN, (
        f"CNN on {device.id} after {CNN_BATCHES} batches: test accuracy {run['accuracy']:.6f}, the book prints "
        f"{BOOK_CNN_ACCURACY} (after {MLP_BATCHES}), margin {CNN_MARGIN}"
    )


@pytest.mark.slow
@pytest.mark.claim("cnn.beats-mlp")
def test_cnn_beats_the_mlp(device, loader, measured):
    cnn, mlp = trained("CNN", device, loader), trained("MLP", device, loader)
    measured("CNN − MLP test accuracy", cnn["accuracy"] - mlp["accuracy"],
             handbook=round(BOOK_CNN_ACCURACY - BOOK_MLP_ACCURACY, 6),
             note=f"CNN {CNN_BATCHES} batches, MLP {MLP_BATCHES} batches")
    assert cnn["accuracy"] >= mlp["accuracy"] + CNN_LEAD, (
        f"on {device.id}: CNN {cnn['accuracy']:.6f} ({CNN_BATCHES} batches) vs MLP {mlp['accuracy']:.6f} "
        f"({MLP_BATCHES} batches); required lead {CNN_LEAD}"
    )
