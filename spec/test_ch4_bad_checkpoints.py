"""四、TensorFlow常用模块 / （一）变量的保存与恢复 — bad input (suite claims): restore() from a
truncated or corrupted .index/.data file, a missing file, or another model's checkpoint fails
loudly, and the live variables keep their values."""
from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
import tensorflow as tf

from spec.assertions import assert_exact

DATA = ".data-00000-of-00001"
LIVE_A, LIVE_B = np.full((2, 3), -1.0, np.float32), np.full(300, -2.0, np.float32)


@pytest.fixture(scope="module")
def good_checkpoint(tmp_path_factory):
    """Two variables saved once; returns the prefix (…/m-1). Tests copy it before damaging it."""
    directory = tmp_path_factory.mktemp("good")
    a = tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3))
    b = tf.Variable(np.full(300, 7.0, np.float32))
    return tf.train.Checkpoint(a=a, b=b).save(str(directory / "m"))


def copy_of(prefix: str, directory) -> str:
    for name in os.listdir(os.path.dirname(prefix)):
        shutil.copy(os.path.join(os.path.dirname(prefix), name), directory)
    return os.path.join(str(directory), os.path.basename(prefix))


def truncate(path: str, keep: int) -> None:
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(data[:keep])


def flip_byte(path: str, position: int) -> None:
    with open(path, "rb") as f:
        data = bytearray(f.read())
    data[position] ^= 0xFF
    with open(path, "wb") as f:
        f.write(bytes(data))


def assert_restore_fails_and_keeps_values(prefix: str, *, expected=tf.errors.OpError, names_path: bool = False):
    __tracebackhide__ = True
    a, b = tf.Variable(LIVE_A), tf.Variable(LIVE_B)
    with pytest.raises(Exception) as info:
        tf.train.Checkpoint(a=a, b=b).restore(prefix)
    error = info.value
    # The live values first, so that a known deviation in the error's type (chained below) never
    # hides a restore that also overwrote them.
    assert_exact(a, LIVE_A, what="live variable a after the failed restore")
    assert_exact(b, LIVE_B, what="live variable b after the failed restore")
    if not isinstance(error, expected):  # chained, so the expectations see which error restore raised
        raise AssertionError(f"restore({os.path.basename(prefix)}) raised {type(error).__name__}: {error}; "
                             f"expected a {expected.__name__}") from error
    if names_path:
        assert os.path.basename(prefix) in str(error), f"the error does not name the checkpoint: {error}"


@pytest.mark.claim("checkpoint.bad-index-raises")
@pytest.mark.parametrize("damage", ["truncated-half", "emptied", "byte-flipped"])
def test_bad_index_file(good_checkpoint, tmp_path, damage):
    prefix = copy_of(good_checkpoint, tmp_path)
    index = prefix + ".index"
    size = os.path.getsize(index)
    {"truncated-half": lambda: truncate(index, size // 2), "emptied": lambda: truncate(index, 0),
     "byte-flipped": lambda: flip_byte(index, size // 2)}[damage]()
    assert_restore_fails_and_keeps_values(prefix)


@pytest.mark.claim("checkpoint.corrupt-data-raises")
@pytest.mark.parametrize("where", ["first-tensor", "last-tensor"])
def test_corrupted_data_file(good_checkpoint, tmp_path, where):
    prefix = copy_of(good_checkpoint, tmp_path)
    data = prefix + DATA
    # The save order is not ours to know: damaging the start and the end hits each variable once.
    flip_byte(data, 2 if where == "first-tensor" else os.path.getsize(data) - 5)
    assert_restore_fails_and_keeps_values(prefix)


@pytest.mark.claim("checkpoint.truncated-data-raises")
def test_truncated_data_file(good_checkpoint, tmp_path):
    prefix = copy_of(good_checkpoint, tmp_path)
    truncate(prefix + DATA, os.path.getsize(prefix + DATA) // 2)
    assert_restore_fails_and_keeps_values(prefix)


@pytest.mark.claim("checkpoint.missing-file-raises")
@pytest.mark.parametrize("missing", [".index", DATA, "never-saved"])
def test_missing_file(good_checkpoint, tmp_path, missing):
    prefix = copy_of(good_checkpoint, tmp_path)
    if missing == "never-saved":
        prefix = os.path.join(str(tmp_path), "m-7")
    else:
        os.remove(prefix + missing)
    assert_restore_fails_and_keeps_values(prefix, names_path=True)


@pytest.mark.claim("checkpoint.other-model-detected")
def test_checkpoint_of_another_model(good_checkpoint):
    # Same names, other shapes: restore() itself raises.
    a, b = tf.Variable(np.zeros((3, 3), np.float32)), tf.Variable(LIVE_B)
    with pytest.raises(ValueError, match="shape"):
        tf.train.Checkpoint(a=a, b=b).restore(good_checkpoint)
    assert_exact(a, np.zeros((3, 3), np.float32), what="a after the shape-mismatched restore")
    assert_exact(b, LIVE_B, what="b after the shape-mismatched restore")
    # Other names: nothing matches, and the status says so.
    other = tf.Variable(5.0)
    status = tf.train.Checkpoint(weights=other).restore(good_checkpoint)
    with pytest.raises(AssertionError):
        status.assert_existing_objects_matched()
    status.expect_partial()  # silence the unrestored-values warning at deletion
    assert other.numpy() == 5.0, other.numpy()
