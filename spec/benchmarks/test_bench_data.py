"""Workload 6 — feeding MNIST-shaped batches of 64: the handbook's MNISTLoader.get_batch (NumPy fancy
indexing, with replacement; 三 / （二）) versus a tf.data pipeline as the book builds one in 四、
TensorFlow常用模块 / tf.data (from_tensor_slices, shuffle(buffer_size=10000), batch, prefetch with
AUTOTUNE; repeated so that rounds can go on past one epoch).

The arrays are synthetic and MNIST-sized when timed (60 000 images, 188 MB of float32); untimed
runs use CHECK_EXAMPLES. Two pixels of each image encode its row index, one its label, so every
run can check that a batch holds whole rows of the source with their own labels. Both variants
run on the host: an input pipeline is host work whatever device trains on it.
"""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from spec.benchmarks.common import measure, record, timing
from spec.models_keras import BATCH_SIZE, MNISTLoader

pytestmark = pytest.mark.benchmark(group=f"data: {BATCH_SIZE}-image batches")

EXAMPLES = 60_000
CHECK_EXAMPLES = 2_048
BATCHES = 100  # per timed call
SHUFFLE_BUFFER = 10_000


def synthetic_loader(examples: int, rng: np.random.Generator) -> MNISTLoader:
    """An MNISTLoader holding synthetic arrays (the book's get_batch; its download is not measured)."""
    loader = MNISTLoader.__new__(MNISTLoader)
    images = rng.random((examples, 28, 28, 1), dtype=np.float32)
    labels = rng.integers(0, 10, examples).astype(np.int32)
    index = np.arange(examples)
    images[:, 0, 0, 0] = (index // 256) / 256.0  # exact in float32
    images[:, 0, 1, 0] = (index % 256) / 256.0
    images[:, 0, 2, 0] = labels / 16.0
    loader.train_data, loader.train_label = images, labels
    loader.num_train_data = examples
    loader.source = "synthetic"
    return loader


def assert_whole_rows(loader: MNISTLoader, x, y) -> None:
    """The batch is BATCH_SIZE rows of the source, each image with its own label."""
    __tracebackhide__ = True
    x, y = np.asarray(x), np.asarray(y)
    assert x.shape == (BATCH_SIZE, 28, 28, 1) and x.dtype == np.float32, (x.shape, x.dtype)
    assert y.shape == (BATCH_SIZE,) and y.dtype == np.int32, (y.shape, y.dtype)
    rows = np.rint(x[:, 0, 0, 0] * 256).astype(np.int64) * 256 + np.rint(x[:, 0, 1, 0] * 256).astype(np.int64)
    assert np.array_equal(x, loader.train_data[rows]), "a batch image is not the source row it encodes"
    assert np.array_equal(y, loader.train_label[rows]), "a batch label is not its image's label"
    assert np.array_equal(np.rint(x[:, 0, 2, 0] * 16).astype(np.int32), y), "image and label were paired wrongly"


def examples_for(benchmark) -> int:
    return EXAMPLES if timing(benchmark) else CHECK_EXAMPLES


def test_numpy_get_batch(benchmark, seed):
    np.random.seed(seed)
    loader = synthetic_loader(examples_for(benchmark), np.random.default_rng(seed))

    def batches():
        for _ in range(BATCHES):
            x, y = loader.get_batch(BATCH_SIZE)
        return x, y

    record(benchmark, workload="data", variant="numpy_get_batch", device=None, units=BATCHES * BATCH_SIZE,
           unit="samples", baseline=True)
    x, y = measure(benchmark, batches, rounds=5)
    assert_whole_rows(loader, x, y)


def test_tf_data_pipeline(benchmark, seed):
    loader = synthetic_loader(examples_for(benchmark), np.random.default_rng(seed))
    dataset = tf.data.Dataset.from_tensor_slices((loader.train_data, loader.train_label))
    dataset = dataset.shuffle(buffer_size=SHUFFLE_BUFFER).batch(BATCH_SIZE, drop_remainder=True)
    dataset = dataset.prefetch(tf.data.experimental.AUTOTUNE).repeat()
    iterator = iter(dataset)

    def batches():
        for _ in range(BATCHES):
            x, y = next(iterator)
        return x, y

    record(benchmark, workload="data", variant="tf_data", device=None, units=BATCHES * BATCH_SIZE, unit="samples")
    x, y = measure(benchmark, batches, rounds=5)
    assert_whole_rows(loader, x.numpy(), y.numpy())
    first = next(iter(dataset))[0].numpy()
    order = np.rint(first[:, 0, 0, 0] * 256) * 256 + np.rint(first[:, 0, 1, 0] * 256)
    assert not np.array_equal(order, np.arange(BATCH_SIZE)), "the pipeline did not shuffle"
