"""一、TensorFlow概述 / 特性：数据的处理 — tf.data and TFRecord on part of MNIST, compared with the
handbook's NumPy loader (MNISTLoader's normalisation), and TensorFlow Datasets (network)."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import tensorflow as tf

from spec.assertions import assert_exact
from spec.models_keras import MNISTLoader

N_EXAMPLES = 1000  # the first 1000 training images, in two shards
N_SHARDS = 2
BATCH_SIZE = 64  # the handbook's batch size
EPOCHS = 2
SHUFFLE_RHO_BOUND = 0.15  # |Spearman ρ| between orders, for shuffle(buffer_size=N_EXAMPLES)


@pytest.fixture(scope="module")
def raw_part(local_data_file) -> tuple[np.ndarray, np.ndarray]:
    """The uint8 images and labels as the .npz file holds them (what goes into the records)."""
    with np.load(local_data_file("mnist.npz")) as npz:
        return npz["x_train"][:N_EXAMPLES], npz["y_train"][:N_EXAMPLES]


@pytest.fixture(scope="module")
def loader(raw_part, tmp_path_factory) -> MNISTLoader:
    """The handbook's MNISTLoader, run on an .npz holding just that part (the full file costs ~3 s)."""
    images, labels = raw_part
    path = tmp_path_factory.mktemp("mnist_part") / "mnist_part.npz"
    np.savez(path, x_train=images, y_train=labels, x_test=images[:1], y_test=labels[:1])
    return MNISTLoader(path)


def _example(image: np.ndarray, label: int) -> tf.train.Example:
    return tf.train.Example(features=tf.train.Features(feature={
        "image": tf.train.Feature(bytes_list=tf.train.BytesList(value=[image.tobytes()])),
        "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[int(label)])),
    }))


@pytest.fixture(scope="module")
def shards(raw_part, tmp_path_factory) -> list[str]:
    images, labels = raw_part
    folder = tmp_path_factory.mktemp("tfrecord")
    paths = []
    for shard, index in enumerate(np.array_split(np.arange(N_EXAMPLES), N_SHARDS)):
        path = str(folder / f"mnist-train-{shard:05d}-of-{N_SHARDS:05d}.tfrecord")
        with tf.io.TFRecordWriter(path) as writer:
            for i in index:
                writer.write(_example(images[i], labels[i]).SerializeToString())
        paths.append(path)
    return paths


FEATURES = {
    "image": tf.io.FixedLenFeature([], tf.string),
    "label": tf.io.FixedLenFeature([], tf.int64),
}


def _parse(record):
    example = tf.io.parse_single_example(record, FEATURES)
    image = tf.reshape(tf.io.decode_raw(example["image"], tf.uint8), [28, 28])
    return image, example["label"]


def _normalise(image, label):
    # As MNISTLoader does it: float32 in [0, 1] with a trailing channel axis, int32 labels.
    return tf.expand_dims(tf.cast(image, tf.float32) / 255.0, axis=-1), tf.cast(label, tf.int32)


@pytest.mark.claim("features.tfrecord-roundtrip")
def test_tfrecord_files_read_back_identical(shards, raw_part):
    images, labels = raw_part
    read = list(tf.data.TFRecordDataset(shards).map(_parse).as_numpy_iterator())
    assert len(read) == N_EXAMPLES, f"{len(read)} records read back from {N_SHARDS} files, {N_EXAMPLES} written"
    assert_exact(np.stack([image for image, _ in read]), images, what="images read back", dtype=np.uint8)
    assert_exact(np.array([label for _, label in read]), labels.astype(np.int64), what="labels read back",
                 dtype=np.int64)


@pytest.mark.claim("features.tfrecord-roundtrip")
def test_tfrecord_roundtrip_of_synthetic_images_needs_no_data_folder(tmp_path):
    # The same writer and reader on 37 seeded random 28×28 images, so the claim is also checked
    # where the MNIST file is absent (hermetic runs, fault injection without a data folder).
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(37, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=37)
    paths = [str(tmp_path / "a.tfrecord"), str(tmp_path / "b.tfrecord")]
    for path, index in zip(paths, np.array_split(np.arange(len(images)), 2)):
        with tf.io.TFRecordWriter(path) as writer:
            for i in index:
                writer.write(_example(images[i], labels[i]).SerializeToString())
    read = list(tf.data.TFRecordDataset(paths).map(_parse).as_numpy_iterator())
    assert len(read) == len(images), f"{len(read)} records read back, {len(images)} written"
    assert_exact(np.stack([image for image, _ in read]), images, what="images read back", dtype=np.uint8)
    assert_exact(np.array([label for _, label in read]), labels.astype(np.int64), what="labels read back",
                 dtype=np.int64)


def _pipeline(shards, seed):
    return (
        tf.data.TFRecordDataset(shards)
        .map(_parse, num_parallel_calls=tf.data.AUTOTUNE)
        .map(_normalise, num_parallel_calls=tf.data.AUTOTUNE)
        .shuffle(buffer_size=N_EXAMPLES, seed=seed, reshuffle_each_iteration=True)
        .batch(BATCH_SIZE)
        .prefetch(tf.data.AUTOTUNE)
    )


def _keys(images: np.ndarray, labels: np.ndarray) -> list[tuple[bytes, int]]:
    """One hashable key per example: its float32 pixels' bytes and its label."""
    return [(image.tobytes(), int(label)) for image, label in zip(images, labels)]


@pytest.fixture(scope="module")
def epochs(shards) -> list[list[tuple[np.ndarray, np.ndarray]]]:
    dataset = _pipeline(shards, seed=1234)
    return [list(dataset.as_numpy_iterator()) for _ in range(EPOCHS)]


@pytest.mark.claim("features.tfdata-pipeline-matches-numpy-loader")
def test_pipeline_yields_the_numpy_loaders_examples_once_per_epoch(epochs, loader):
    expected = Counter(_keys(loader.train_data[:N_EXAMPLES], loader.train_label[:N_EXAMPLES]))
    full, rest = divmod(N_EXAMPLES, BATCH_SIZE)
    for number, batches in enumerate(epochs):
        shapes = [(images.shape, labels.shape) for images, labels in batches]
        expected_shapes = [((BATCH_SIZE, 28, 28, 1), (BATCH_SIZE,))] * full + [((rest, 28, 28, 1), (rest,))] * bool(rest)
        assert shapes == expected_shapes, f"epoch {number}: batch shapes {shapes}"
        for images, labels in batches:
            assert images.dtype == np.float32 and labels.dtype == np.int32, (images.dtype, labels.dtype)
        got = Counter(key for images, labels in batches for key in _keys(images, labels))
        missing, extra = expected - got, got - expected
        assert not missing and not extra, (
            f"epoch {number}: {sum(missing.values())} of the loader's examples missing, "
            f"{sum(extra.values())} not in the loader (or repeated)"
        )


@pytest.mark.claim("features.tfdata-shuffle-reorders")
def test_shuffle_reorders_every_epoch(epochs, loader, measured):
    file_order = _keys(loader.train_data[:N_EXAMPLES], loader.train_label[:N_EXAMPLES])
    orders = [[key for images, labels in batches for key in _keys(images, labels)] for batches in epochs]
    assert orders[0] != file_order, "the first epoch comes out in the files' order: shuffle did nothing"
    assert orders[1] != orders[0], "the second epoch repeats the first one's order: no reshuffle per epoch"
    # A buffer as large as the data set draws a uniform permutation, so the output position of an
    # example is uncorrelated with its place in the files and in the previous epoch. Spearman's ρ of
    # a uniform permutation of n has standard deviation 1/√(n − 1) = 0.032 here; 0.15 is 4.7 of them
    # (false alarm ~3e-6 per check). A buffer of 2 leaves ρ ≈ 1.
    index = {key: i for i, key in enumerate(file_order)}
    assert len(index) == N_EXAMPLES, "two of the examples are identical: positions would be ambiguous"
    ranks = [np.array([index[key] for key in order]) for order in orders]  # file index at each output position
    positions = [np.argsort(r) for r in ranks]  # output position of each file index
    for what, a, b in (("file order vs epoch 1", np.arange(N_EXAMPLES), positions[0]),
                       ("epoch 1 vs epoch 2", positions[0], positions[1])):
        rho = float(np.corrcoef(a, b)[0, 1])  # positions are ranks already: Pearson of ranks is Spearman
        measured(f"Spearman rho, {what}", rho, note=f"bound ±{SHUFFLE_RHO_BOUND}")
        assert abs(rho) <= SHUFFLE_RHO_BOUND, (
            f"{what}: Spearman rho {rho:.3f}, beyond ±{SHUFFLE_RHO_BOUND} for a shuffle buffer of {N_EXAMPLES}"
        )


@pytest.mark.network
@pytest.mark.claim("features.tfds-loads-public-datasets")
def test_tensorflow_datasets_loads_mnist(tmp_path):
    tfds = pytest.importorskip("tensorflow_datasets", reason="tensorflow-datasets not installed (extra `datasets`)")
    dataset = tfds.load("mnist", split="test", as_supervised=True, data_dir=str(tmp_path))
    count = 0
    for image, label in dataset:
        if count == 0:
            assert image.shape == (28, 28, 1) and image.dtype == tf.uint8, (image.shape, image.dtype)
            assert label.dtype == tf.int64, label.dtype
        count += 1
    assert count == 10000, f"the MNIST test split has {count} examples"
