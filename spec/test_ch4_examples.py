"""四、TensorFlow常用模块: the two training examples on MNIST with the chapter 三 MLP
(spec.models_keras) — （一）'s train()/test() with a CheckpointManager and custom numbers, and
（二） 3.'s train() logging the loss to TensorBoard, saving checkpoints and exporting a trace.

Departures, stated: the loop body runs as a tf.function (spec.models_keras.train_step_function; the
book runs it eagerly, same ops); num_epochs is a fraction so that the book's own formula
num_train_data // batch_size * num_epochs gives a few hundred batches; directories are tmp_path
folders. The fast tier restores into fresh objects; the slow tier also restores in a fresh process."""
from __future__ import annotations

import contextlib
import io
import os
import re
from fractions import Fraction

import numpy as np
import pytest
import tensorflow as tf

from reference import checkpoint_manager as ref
from spec.assertions import assert_exact, largest_difference
from spec.models_keras import MLP, MNISTLoader, train_step_function
from spec.subprocesses import describe, run_python

BATCH_SIZE, LEARNING_RATE = 50, 0.001  # the argparse defaults of （一）'s example
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def data_loader(local_data_file):
    return MNISTLoader(local_data_file("mnist.npz"))


def train_with_manager(model, optimizer, data_loader, num_epochs, batch_size, directory):
    """（一）'s train(), with the step compiled and the directory passed in; returns the losses."""
    checkpoint = tf.train.Checkpoint(model=model)
    manager = tf.train.CheckpointManager(checkpoint, directory=str(directory), max_to_keep=3)
    step = train_step_function(model, optimizer)
    num_batches = int(data_loader.num_train_data // batch_size * num_epochs)
    for batch_index in range(1, num_batches):
        x, y = data_loader.get_batch(batch_size)
        loss = step(tf.constant(x), tf.constant(y))
        print("batch %d: loss %f" % (batch_index, loss.numpy()))
        if batch_index % 100 == 0 or batch_index == num_batches - 1:
            path = manager.save(checkpoint_number=batch_index)
            print("model saved to %s" % path)
    return num_batches


def predict_as_test_does(model, data_loader, directory):
    """（一）'s test(): restore the latest checkpoint, predict the test set; returns (labels, accuracy)."""
    checkpoint = tf.train.Checkpoint(model=model)
    checkpoint.restore(tf.train.latest_checkpoint(str(directory)))
    y_pred = np.argmax(model.predict(data_loader.test_data, verbose=0), axis=-1)
    return y_pred, sum(y_pred == data_loader.test_label) / data_loader.num_test_data


def run_train_example(data_loader, directory, num_epochs):
    """Train as （一）'s train() does; returns (model, num_batches, printed text)."""
    model = MLP()
    optimizer = tf.keras.optimizers.Adam(learning_rate=LEARNING_RATE)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        num_batches = train_with_manager(model, optimizer, data_loader, num_epochs, BATCH_SIZE, directory)
    return model, num_batches, printed.getvalue()


def check_saves(directory, num_batches, printed):
    __tracebackhide__ = True
    numbers = ref.saves_of_training_loop(range(1, num_batches), every=100, last=num_batches - 1)
    expected = ref.Directory()
    model = ref.CheckpointManager(ref.Checkpoint(), expected, max_to_keep=3)
    for n in numbers:
        model.save(checkpoint_number=n)
    saved = re.findall(r"^model saved to (.*)$", printed, flags=re.M)
    assert saved == [os.path.join(str(directory), f"ckpt-{n}") for n in numbers], saved
    assert set(os.listdir(directory)) == expected.files(), sorted(os.listdir(directory))
    return numbers


# Fast tier: 102 batches by the book's formula (1200 batches per epoch × 102/1200): （一）'s loop
# (batch 1 … 101) saves 100 and 101, （二）'s (batch 0 … 101) saves 0, 100 and 101.
FAST_EPOCHS = Fraction(102, 1200)
# Slow tier: half an epoch, 600 batches, saves 100 … 500 and 599, of which the last 3 are kept.
SLOW_EPOCHS = Fraction(1, 2)


@pytest.fixture(scope="module")
def trained_example(data_loader, tmp_path_factory):
    directory = tmp_path_factory.mktemp("example") / "saved"
    model, num_batches, printed = run_train_example(data_loader, directory, FAST_EPOCHS)
    return model, num_batches, printed, directory


@pytest.mark.claim("checkpoint.example-saves")
def test_train_saves_every_100_batches(trained_example):
    _, num_batches, printed, directory = trained_example
    assert check_saves(directory, num_batches, printed) == [100, 101]


@pytest.mark.claim("checkpoint.example-restore-reproduces")
def test_test_restores_into_fresh_objects(trained_example, data_loader, measured):
    trained, _, _, directory = trained_example
    # test() as written: a new MLP, restore(latest_checkpoint), then predict. The comparison uses the
    # first 1000 test images through the same call for both models, so outputs must agree bit for bit.
    fresh = MLP()
    tf.train.Checkpoint(model=fresh).restore(tf.train.latest_checkpoint(str(directory)))
    x = tf.constant(data_loader.test_data[:1000])
    measured("largest output difference, test()'s model vs the trained one", largest_difference(fresh(x), trained(x)),
             handbook=0.0)
    names = ["dense1.kernel", "dense1.bias", "dense2.kernel", "dense2.bias"]
    measured("variables holding the trained values", [
        name for name in names if np.array_equal(*(getattr(getattr(m, name.split(".")[0]), name.split(".")[1]).numpy()
                                                   for m in (fresh, trained)))], handbook=names)
    assert_exact(fresh(x), trained(x), what="outputs of the model test() restores (first 1000 test images)")


@pytest.fixture(scope="module")
def trained_example_slow(data_loader, tmp_path_factory):
    directory = tmp_path_factory.mktemp("example-slow") / "saved"
    model, num_batches, printed = run_train_example(data_loader, directory, SLOW_EPOCHS)
    return model, num_batches, printed, directory


@pytest.mark.slow
@pytest.mark.claim("checkpoint.example-saves")
def test_train_saves_and_deletes_over_half_an_epoch(trained_example_slow):
    _, num_batches, printed, directory = trained_example_slow
    assert check_saves(directory, num_batches, printed) == [100, 200, 300, 400, 500, 599]


@pytest.mark.slow
@pytest.mark.claim("checkpoint.example-restore-reproduces")
def test_train_then_test_in_a_fresh_process(trained_example_slow, data_loader, local_data_file, tmp_path, measured):
    trained, _, _, directory = trained_example_slow
    trained_prob = trained.predict(data_loader.test_data, verbose=0)
    trained_pred = np.argmax(trained_prob, axis=-1)
    measured("test accuracy of the trained model after 599 batches",
             float(np.mean(trained_pred == data_loader.test_label)), note="slow tier: 0.5 epochs")
    accuracy, probabilities = run_test_in_a_fresh_process(local_data_file("mnist.npz"), directory, tmp_path)
    measured("test accuracy printed by test() in a fresh process", accuracy, note="slow tier: restored from ckpt-599")
    measured("largest output difference, test()'s model vs the trained one",
             largest_difference(probabilities, trained_prob), handbook=0.0, note="all 10,000 test images")
    assert_exact(np.argmax(probabilities, axis=-1), trained_pred, what="test-set predictions restored in a fresh process")


def run_test_in_a_fresh_process(mnist, directory, scratch) -> tuple[float, np.ndarray]:
    """（一）'s test() as its own process (`--mode test`): a new MLP, restore(latest_checkpoint(directory)),
    predict the test set; (the accuracy it prints, the predicted probabilities it takes the argmax of)."""
    out = scratch / "child_predictions.npy"
    child = run_python(f"""
        import sys
        sys.path.insert(0, {ROOT!r})
        import numpy as np
        import tensorflow as tf
        from spec.models_keras import MLP, MNISTLoader
        data_loader = MNISTLoader({str(mnist)!r})
        model = MLP()
        checkpoint = tf.train.Checkpoint(model=model)
        checkpoint.restore(tf.train.latest_checkpoint({str(directory)!r}))
        y_prob = model.predict(data_loader.test_data, verbose=0)
        y_pred = np.argmax(y_prob, axis=-1)
        print('test accuracy: %f' % (sum(y_pred == data_loader.test_label) / data_loader.num_test_data))
        np.save({str(out)!r}, y_prob)
    """, timeout=600)
    assert child.returncode == 0, describe(child)
    return float(re.search(r"test accuracy: ([0-9.]+)", child.stdout).group(1)), np.load(out)


@pytest.mark.claim("checkpoint.example-paths-agree")
def test_example_directories_name_the_same_folder(measured):
    saved_by_train, read_by_test = ".\\saved", "./saved"
    measured("os.sep", os.sep, handbook="\\")
    assert os.path.abspath(saved_by_train) == os.path.abspath(read_by_test), (
        f"{saved_by_train!r} is {os.path.abspath(saved_by_train)!r} here, {read_by_test!r} is "
        f"{os.path.abspath(read_by_test)!r}: test() would find no checkpoint (os.sep is {os.sep!r})"
    )


# ---------------------------------------------------------------- （二） 3. 查看模型训练情况的示例


def train_with_tensorboard(model, optimizer, data_loader, num_epochs, batch_size, log_dir, save_dir, *, trace: bool):
    """（二） 3.'s train(); trace=False leaves out its two trace lines (trace_on at the start,
    trace_export at the end), which tensorboard.training-example-completes checks on a short run:
    with tracing on, TensorFlow collects every step's graph and run metadata. Returns the losses."""
    checkpoint = tf.train.Checkpoint(model=model)
    manager = tf.train.CheckpointManager(checkpoint, directory=str(save_dir), max_to_keep=3)
    summary_writer = tf.summary.create_file_writer(str(log_dir))
    if trace:
        tf.summary.trace_on(graph=True, profiler=True)
    step = train_step_function(model, optimizer)
    num_batches = int(data_loader.num_train_data // batch_size * num_epochs)
    losses = []
    for batch_index in range(num_batches):
        x, y = data_loader.get_batch(batch_size)
        loss = step(tf.constant(x), tf.constant(y))
        losses.append(np.float32(loss.numpy()))
        with summary_writer.as_default():
            tf.summary.scalar("loss", loss, step=batch_index)
        if batch_index % 100 == 0 or batch_index == num_batches - 1:
            print("batch %d: loss %f" % (batch_index, loss.numpy()))
            path = manager.save(checkpoint_number=batch_index)
            print("model saved to %s" % path)
    if trace:
        with summary_writer.as_default():
            tf.summary.trace_export(name="model_trace", step=0, profiler_outdir=str(log_dir))
    summary_writer.flush()
    return losses


def read_tensor_records(logdir) -> dict:
    from tensorboard.backend.event_processing import event_accumulator
    from tensorboard.util import tensor_util

    accumulator = event_accumulator.EventAccumulator(str(logdir), size_guidance={event_accumulator.TENSORS: 0})
    accumulator.Reload()
    return {tag: [(e.step, tensor_util.make_ndarray(e.tensor_proto)) for e in accumulator.Tensors(tag)]
            for tag in accumulator.Tags()["tensors"]}


@pytest.mark.claim("tensorboard.training-example-logs")
def test_tensorboard_example_logs_and_saves(data_loader, tmp_path, capsys):
    # 102 batches: saves at 0, 100 and 101 (all kept); deletion by max_to_keep is checked in
    # test_ch4_checkpoint_manager and by the slow tier's longer run of （一）'s example.
    log_dir, save_dir = tmp_path / "tensorboard", tmp_path / "saved"
    try:
        losses = train_with_tensorboard(MLP(), tf.keras.optimizers.Adam(learning_rate=LEARNING_RATE), data_loader,
                                        FAST_EPOCHS, BATCH_SIZE, log_dir, save_dir, trace=False)
    finally:
        tf.summary.trace_off()
    num_batches = len(losses)
    assert num_batches == 102, num_batches
    records = read_tensor_records(log_dir)["loss"]
    assert [s for s, _ in records] == list(range(num_batches)), [s for s, _ in records][:10]
    assert_exact(np.array([v for _, v in records]), np.array(losses), what="logged losses", dtype=np.float32)
    numbers = ref.saves_of_training_loop(range(num_batches), every=100, last=num_batches - 1)
    assert numbers == [0, 100, 101], numbers
    saved = re.findall(r"^model saved to (.*)$", capsys.readouterr().out, flags=re.M)
    assert saved == [os.path.join(str(save_dir), f"ckpt-{n}") for n in numbers], saved
    expected = ref.Directory()
    manager_model = ref.CheckpointManager(ref.Checkpoint(), expected, max_to_keep=3)
    for n in numbers:
        manager_model.save(checkpoint_number=n)
    assert set(os.listdir(save_dir)) == expected.files(), sorted(os.listdir(save_dir))


@pytest.mark.claim("tensorboard.training-example-completes")
def test_tensorboard_example_runs_to_its_end(data_loader, tmp_path):
    log_dir, save_dir = tmp_path / "tensorboard", tmp_path / "saved"
    try:
        train_with_tensorboard(MLP(), tf.keras.optimizers.Adam(learning_rate=LEARNING_RATE), data_loader,
                               Fraction(3, 1200), BATCH_SIZE, log_dir, save_dir, trace=True)
    finally:
        tf.summary.trace_off()
    records = read_tensor_records(log_dir)
    assert "model_trace" in records and records["model_trace"][0][0] == 0, sorted(records)
    profile_root = log_dir / "plugins" / "profile"
    assert profile_root.is_dir() and any(files for _, _, files in os.walk(profile_root)), (
        f"no profile data under {profile_root}")
