"""Slow tier: 三、TensorFlow模型建立与训练 / （二）示例：多层感知器 and （三）卷积神经网络 / 1.: the book's
training loop (Adam 0.001, batch_size 64, get_batch with replacement) and its evaluation loop
(num_test_data // batch_size batches) on the MLP and the CNN, against the printed accuracies.

The book prints one unseeded run; the claims are judged over several seeds, each claim's rule
written into its statement, every seed's accuracy recorded. The seeds come from the claim id and
--seed (fixtures.seeds_plugin.seeds_for), so every environment trains the same draws.

Budgets, stated in the claims: the MLP gets the book's full 10 epochs (9,370 batches). The CNN gets
600 batches (0.64 epoch) instead of 9,370 (the book tier, --tier=book, runs the full budget): a CNN
batch takes 0.15 s on this 2-core machine when it is idle. Each model is trained once per seed,
device and process (the CNN claims share the runs). Training steps are a tf.function (the book runs
them eagerly; the ops are the same); evaluation calls the model instead of model.predict.
"""
from __future__ import annotations

import numpy as np
import pytest

from fixtures.seeds_plugin import seeds_for
from spec.models_keras import BATCH_SIZE, CNN, MLP, NUM_EPOCHS, MNISTLoader, seeded_run
from spec.seeded import over_seeds

BOOK_MLP_ACCURACY, BOOK_CNN_ACCURACY = 0.972155, 0.989083
MLP_BATCHES = 60000 // BATCH_SIZE * NUM_EPOCHS  # 9,370: the book's num_batches
CNN_BATCHES = 600
MLP_MARGIN, CNN_MARGIN = 0.005, 0.01
CNN_LEAD = 0.005  # how much better than the MLP "非常显著的提高" must at least be, on the means
SEEDS = 3  # per model: the rule of each claim is about the mean over these seeds
MODELS = {"MLP": (MLP, MLP_BATCHES, "mlp.training-reaches-book-accuracy"),
          "CNN": (CNN, CNN_BATCHES, "cnn.training-reaches-book-accuracy")}

@pytest.fixture(scope="module")
def loader(local_data_file, shared_runs):
    """The book's MNISTLoader, with the run's shared results (fixtures.shared_runs_plugin) beside it."""
    return MNISTLoader(local_data_file("mnist.npz")), shared_runs


def trained(name: str, device, loader, seed: int) -> dict:
    """Train `name` by the book's loop on `device` from `seed`, once per pytest run (shared by its
    xdist workers); accuracy and timings."""
    data, shared_runs = loader
    cls, num_batches, _ = MODELS[name]
    return shared_runs.get(f"slow-{name}-{device.id}-{seed}-{num_batches}",
                           lambda: seeded_run(cls, data, num_batches=num_batches, seed=seed, device_name=device.name))


def runs_over_seeds(name: str, device, loader, base_seed: int) -> dict[int, dict]:
    claim = MODELS[name][2]
    return {seed: trained(name, device, loader, seed) for seed in seeds_for(claim, SEEDS, base_seed)}


def record(measured, name: str, runs: dict[int, dict], handbook: float, rule: str) -> dict:
    summary = over_seeds({seed: run["accuracy"] for seed, run in runs.items()}, rule)
    first = next(iter(runs.values()))
    measured(f"{name} test accuracy over {SEEDS} seeds", summary, handbook=handbook,
             note=f"{first['batches']} batches of {BATCH_SIZE} (book: {MLP_BATCHES}), {first['examples']} test images; "
                  "training seconds per seed " + ", ".join(f"{r['train_seconds']:.0f}" for r in runs.values()))
    for seed, run in runs.items():
        assert run["finite"] and run["examples"] == 9984, f"{name}, seed {seed}: non-finite loss or {run['examples']} images"
    return summary


@pytest.mark.slow
@pytest.mark.claim("mlp.training-reaches-book-accuracy")
def test_mlp_reaches_the_printed_accuracy(device, loader, measured, request):
    runs = runs_over_seeds("MLP", device, loader, request.config.getoption("--seed"))
    bar = BOOK_MLP_ACCURACY - MLP_MARGIN
    summary = record(measured, "MLP", runs, BOOK_MLP_ACCURACY, f"mean of {SEEDS} seeds >= {bar:.6f}")
    assert summary["mean"] >= bar, (
        f"MLP on {device.id} after the book's {MLP_BATCHES} batches: mean test accuracy {summary['mean']:.6f} over "
        f"seeds {summary['per_seed']}; the book prints {BOOK_MLP_ACCURACY}, margin {MLP_MARGIN}"
    )


@pytest.mark.slow
@pytest.mark.claim("cnn.training-reaches-book-accuracy")
def test_cnn_reaches_the_printed_accuracy(device, loader, measured, request):
    runs = runs_over_seeds("CNN", device, loader, request.config.getoption("--seed"))
    bar = BOOK_CNN_ACCURACY - CNN_MARGIN
    summary = record(measured, "CNN", runs, BOOK_CNN_ACCURACY, f"mean of {SEEDS} seeds >= {bar:.6f}")
    assert summary["mean"] >= bar, (
        f"CNN on {device.id} after {CNN_BATCHES} batches: mean test accuracy {summary['mean']:.6f} over seeds "
        f"{summary['per_seed']}; the book prints {BOOK_CNN_ACCURACY} (after {MLP_BATCHES}), margin {CNN_MARGIN}"
    )


@pytest.mark.slow
@pytest.mark.claim("cnn.beats-mlp")
def test_cnn_beats_the_mlp(device, loader, measured, request):
    base = request.config.getoption("--seed")
    cnn = [r["accuracy"] for r in runs_over_seeds("CNN", device, loader, base).values()]
    mlp = [r["accuracy"] for r in runs_over_seeds("MLP", device, loader, base).values()]
    lead = float(np.mean(cnn) - np.mean(mlp))
    measured("CNN − MLP mean test accuracy", lead, handbook=round(BOOK_CNN_ACCURACY - BOOK_MLP_ACCURACY, 6),
             note=f"CNN {CNN_BATCHES} batches: {cnn}; MLP {MLP_BATCHES} batches: {mlp}; rule: lead >= {CNN_LEAD}")
    assert lead >= CNN_LEAD, (
        f"on {device.id}: CNN {cnn} ({CNN_BATCHES} batches) vs MLP {mlp} ({MLP_BATCHES} batches): the means differ "
        f"by {lead:.6f}; required lead {CNN_LEAD}"
    )
