"""Workload 7 — saving and restoring the handbook's CNN with tf.train.Checkpoint (四、TensorFlow常用模块
/ tf.train.Checkpoint: Checkpoint(myAwesomeModel=model), save(prefix), restore(path)), in MB/s of
checkpoint files (3.3 M float32 weights, about 13 MB).

The files go to pytest's tmp_path, so the operating system's page cache usually absorbs the
writes: this measures TensorFlow's serialisation and the write into the cache, not the disk.
Every run checks that a restored model holds exactly the saved weights, and removes its files.
"""
from __future__ import annotations

import shutil

import numpy as np
import pytest
import tensorflow as tf

from spec.assertions import assert_exact
from spec.benchmarks.common import finish, measure, record
from spec.models_keras import CNN

pytestmark = pytest.mark.benchmark(group="checkpoint: the CNN's weights")

ROUNDS = 5


def built_cnn(device):
    with tf.device(device.name):
        model = CNN()
        model(tf.zeros((1, 28, 28, 1)))
    return model


def checkpoint_bytes(path: str, folder) -> int:
    """Bytes of the files one save wrote (its index and data shards)."""
    name = path.rsplit("/", 1)[-1]
    return sum(f.stat().st_size for f in folder.iterdir() if f.name.startswith(name + "."))


def test_save(benchmark, device, tmp_path, seed):
    model = built_cnn(device)
    checkpoint = tf.train.Checkpoint(myAwesomeModel=model)
    folder = tmp_path / "save"
    folder.mkdir()
    first = checkpoint.save(str(folder / "model.ckpt"))  # also creates the save counter, untimed
    size = checkpoint_bytes(first, folder)

    def save():
        with tf.device(device.name):
            return checkpoint.save(str(folder / "model.ckpt"))

    record(benchmark, workload="checkpoint", variant="save", device=device, units=size, unit="bytes")
    path = measure(benchmark, save, rounds=ROUNDS)
    assert checkpoint_bytes(path, folder) == size, "checkpoints of the same model differ in size"
    restored = built_cnn(device)
    tf.train.Checkpoint(myAwesomeModel=restored).restore(path).assert_consumed()
    for saved, loaded in zip(model.variables, restored.variables):
        assert_exact(loaded.numpy(), saved.numpy(), what=f"restored weight {saved.name}",
                     device=device)
    shutil.rmtree(folder)


def test_restore(benchmark, device, tmp_path, seed):
    model = built_cnn(device)
    folder = tmp_path / "restore"
    folder.mkdir()
    path = tf.train.Checkpoint(myAwesomeModel=model).save(str(folder / "model.ckpt"))
    size = checkpoint_bytes(path, folder)
    target = built_cnn(device)
    checkpoint = tf.train.Checkpoint(myAwesomeModel=target)

    def scramble():  # untimed: the restore must really overwrite every weight
        for v in target.variables:
            v.assign(tf.fill(v.shape, np.float32(np.nan)))

    def restore():
        with tf.device(device.name):
            status = checkpoint.restore(path)
        finish(device, *target.variables)
        return status

    record(benchmark, workload="checkpoint", variant="restore", device=device, units=size, unit="bytes")
    status = measure(benchmark, restore, setup=scramble, rounds=ROUNDS)
    status.assert_consumed()
    for saved, loaded in zip(model.variables, target.variables):
        assert_exact(loaded.numpy(), saved.numpy(), what=f"restored weight {saved.name}", device=device)
    shutil.rmtree(folder)
