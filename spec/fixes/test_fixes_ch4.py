"""Fixes for chapter 四 (TensorFlow常用模块: Checkpoint, CheckpointManager, TensorBoard): today's
spelling of what the book writes, each checked against the book's observable.

The errata show the lines between `# errata: begin` and `# errata: end`; the checks follow them.
"""
from __future__ import annotations

import inspect
import os
import types

import numpy as np
import pytest
import tensorflow as tf

from spec.assertions import assert_exact, largest_difference
from spec.models_keras import MLP


def images(n: int = 4, seed: int = 0) -> tf.Tensor:
    return tf.constant(np.random.default_rng(seed).random((n, 28, 28, 1), dtype=np.float32))


def trained_mlp(seed: int = 3):
    """An MLP and its Adam after one step, so that saved values differ from fresh ones."""
    model, optimizer = MLP(), tf.keras.optimizers.Adam(learning_rate=0.001)
    x = images(3, seed)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(tf.constant([1, 2, 3]), model(x)))
    grads = tape.gradient(loss, model.variables)
    optimizer.apply_gradients(zip(grads, model.variables))
    return model, optimizer


def saved_the_books_way(directory):
    """A trained MLP and its optimizer saved with Checkpoint(model=, optimizer=) into directory/model.ckpt."""
    model, optimizer = trained_mlp()
    tf.train.Checkpoint(model=model, optimizer=optimizer).save(file_prefix=str(directory / "model.ckpt"))
    return model, optimizer


def values(variables) -> list[np.ndarray]:
    return [v.numpy().copy() for v in variables]


def assert_same_values(got, expected, *, what: str) -> None:
    __tracebackhide__ = True
    assert len(got) == len(expected), f"{what}: {len(got)} variables, expected {len(expected)}"
    for i, (g, e) in enumerate(zip(got, expected)):
        assert_exact(g, e, what=f"{what}[{i}]")


# ---------------------------------------------------------------- （一）变量的保存与恢复：tf.train.Checkpoint


@pytest.mark.fix("checkpoint.truncated-data-raises")
def test_guarded_restore_catches_the_truncated_file_error(tmp_path):
    a, b = tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3)), tf.Variable(np.full(300, 7.0, np.float32))
    path = tf.train.Checkpoint(a=a, b=b).save(str(tmp_path / "m"))
    data = path + ".data-00000-of-00001"
    with open(data, "rb") as f:
        content = f.read()
    with open(data, "wb") as f:
        f.write(content[: len(content) // 2])
    live_a, live_b = np.full((2, 3), -1.0, np.float32), np.full(300, -2.0, np.float32)
    a.assign(live_a)
    b.assign(live_b)
    checkpoint = tf.train.Checkpoint(a=a, b=b)
    failed = None
    # errata: begin
    try:
        checkpoint.restore(path)
    except (tf.errors.OpError, IndexError) as error:  # a truncated .data file raises a bare IndexError
        failed = error
    # errata: end
    assert failed is not None, "restore() of a truncated checkpoint raised nothing"
    assert_exact(a, live_a, what="a after the failed restore")
    assert_exact(b, live_b, what="b after the failed restore")


@pytest.mark.fix("checkpoint.example-paths-agree")
def test_example_directories_written_with_forward_slashes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = MLP()
    model(images(1))
    checkpoint = tf.train.Checkpoint(model=model)
    # errata: begin
    manager = tf.train.CheckpointManager(checkpoint, directory='./saved', max_to_keep=3)  # '/' works on every OS
    # errata: end
    path = manager.save(checkpoint_number=100)
    found = tf.train.latest_checkpoint('./saved')  # what test() reads
    assert found is not None and os.path.abspath(found) == os.path.abspath(path), (found, path)


@pytest.mark.fix("checkpoint.load-weights-before-build-fails")
def test_load_weights_in_the_hdf5_format(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.mkdir("saved")
    model, _ = trained_mlp(4)
    x = images(5, 8)
    # errata: begin
    model.save_weights('./saved/mlp.weights.h5')  # HDF5, in every Keras: load_weights then fails before a call
    new_model = MLP()
    new_model(x)  # creates the variables
    new_model.load_weights('./saved/mlp.weights.h5')
    # errata: end
    assert_exact(new_model(x), model(x), what="outputs after model(x) then load_weights(mlp.weights.h5)")
    with pytest.raises(ValueError):  # the book's statement, with this format
        MLP().load_weights("./saved/mlp.weights.h5")


@pytest.mark.fix("checkpoint.build-creates-variables")
def test_calling_the_model_creates_the_variables(tmp_path, measured):
    model = MLP()
    # errata: begin
    model(tf.zeros([1, 28 * 28]))  # one call creates the variables (Keras 3's build() does not call call())
    # errata: end
    measured("variables after the call", len(model.variables), handbook=4)
    assert [tuple(v.shape) for v in model.variables] == [(784, 100), (100,), (100, 10), (10,)], model.variables
    path = tf.train.Checkpoint(model=model).save(str(tmp_path / "model.ckpt"))
    keys = [name for name, _ in tf.train.list_variables(path) if name.startswith("model/")]
    assert len(keys) == 4, keys


@pytest.mark.fix("checkpoint.deferred-restore")
def test_restore_after_the_first_call(tmp_path, monkeypatch, measured):
    model, _ = saved_the_books_way(tmp_path / "saved")
    monkeypatch.chdir(tmp_path)
    x = images(5, 9)
    new_model = MLP()
    # errata: begin
    new_model(x)  # create the variables first: Keras 3 does not apply a restore made before they exist
    checkpoint = tf.train.Checkpoint(model=new_model)
    status = checkpoint.restore(tf.train.latest_checkpoint('./saved'))
    status.expect_partial()  # the checkpoint's optimizer values are not wanted here: no warning about them
    # errata: end
    status.assert_existing_objects_matched()
    measured("largest output difference, restored vs saved", largest_difference(new_model(x), model(x)), handbook=0.0)
    assert_exact(new_model(x), model(x), what="outputs of the model restored after its first call")
    assert_same_values(values(new_model.variables), values(model.variables), what="restored variables")


@pytest.mark.fix("checkpoint.handbook-restore-snippet")
def test_restore_snippet_with_a_call_and_a_built_optimizer(tmp_path, monkeypatch, measured):
    model, optimizer = saved_the_books_way(tmp_path / "saved")
    monkeypatch.chdir(tmp_path)
    # errata: begin
    saved_model = MLP()
    saved_model(tf.zeros([1, 28 * 28]))  # instead of build(): creates the variables in every Keras
    saved_optimizer = tf.keras.optimizers.Adam(learning_rate=0.001)
    saved_optimizer.build(saved_model.trainable_variables)  # creates its slots, so they are restored too
    checkpoint = tf.train.Checkpoint(model=saved_model, optimizer=saved_optimizer)
    latest_path = tf.train.latest_checkpoint(checkpoint_dir='./saved')
    checkpoint.restore(save_path=latest_path)
    # errata: end
    x = images(5, 10)
    measured("variables of the restored MLP", len(saved_model.variables), handbook=4)
    assert_same_values(values(saved_model.variables), values(model.variables), what="restored MLP variables")
    assert_exact(saved_model(x), model(x), what="outputs of the restored MLP")
    assert int(saved_optimizer.iterations.numpy()) == int(optimizer.iterations.numpy()) == 1
    assert_same_values(values(saved_optimizer.variables), values(optimizer.variables), what="restored Adam state")


@pytest.mark.fix("checkpoint.example-restore-reproduces")
def test_example_test_restores_after_a_first_call(tmp_path, monkeypatch, measured):
    monkeypatch.chdir(tmp_path)
    trained, _ = trained_mlp(6)
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(model=trained), directory="./saved", max_to_keep=3)
    manager.save(checkpoint_number=100)
    test_data = images(1000, 11).numpy()
    data_loader = types.SimpleNamespace(test_data=test_data)  # the book's MNISTLoader, its test images
    model = MLP()
    # errata: begin
    model(data_loader.test_data[:1])  # create the variables before restore(): Keras 3 has no deferred restoration
    checkpoint = tf.train.Checkpoint(model=model)
    checkpoint.restore(tf.train.latest_checkpoint('./saved'))
    y_pred = np.argmax(model.predict(data_loader.test_data), axis=-1)
    # errata: end
    measured("largest output difference, test()'s model vs the trained one",
             largest_difference(model(test_data), trained(test_data)), handbook=0.0)
    assert_exact(model(test_data), trained(test_data), what="outputs of the model test() restores")
    assert_exact(y_pred, np.argmax(trained.predict(test_data, verbose=0), axis=-1), what="test()'s predictions")


@pytest.mark.fix("checkpoint.save-weights-plain-prefix")
def test_save_weights_with_the_weights_h5_suffix(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.mkdir("saved")
    model, _ = trained_mlp(7)
    # errata: begin
    model.save_weights('./saved/mlp.weights.h5')  # Keras 3 writes only HDF5, to a name ending in .weights.h5
    # errata: end
    assert os.path.isfile("saved/mlp.weights.h5"), os.listdir("saved")
    fresh = MLP()
    x = images(3, 12)
    fresh(x)
    fresh.load_weights("./saved/mlp.weights.h5")
    assert_exact(fresh(x), model(x), what="outputs after load_weights(mlp.weights.h5)")


@pytest.mark.fix("checkpoint.load-weights-after-build")
def test_load_weights_after_a_call_instead_of_build(tmp_path, monkeypatch, measured):
    monkeypatch.chdir(tmp_path)
    os.mkdir("saved")
    model, _ = trained_mlp(5)
    x = images(5, 8)
    model.save_weights("./saved/mlp.weights.h5")
    new_model = MLP()
    # errata: begin
    new_model(x)  # instead of new_model.build(input_shape=x.shape): Keras 3's build() creates no variables here
    new_model.load_weights('./saved/mlp.weights.h5')
    # errata: end
    measured("largest output difference after model(x) then load_weights", largest_difference(new_model(x), model(x)),
             handbook=0.0)
    assert_exact(new_model(x), model(x), what="outputs after model(x) then load_weights")


@pytest.mark.fix("checkpoint.save-weight-names-as-written")
def test_save_weights_and_load_weights_with_an_s(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.mkdir("saved")
    model, _ = trained_mlp(9)
    x = images(4, 14)
    new_model = MLP()
    new_model(x)
    # errata: begin
    model.save_weights('./saved/mlp.weights.h5')  # save_weights and load_weights: plural
    new_model.load_weights('./saved/mlp.weights.h5')
    # errata: end
    assert_exact(new_model(x), model(x), what="outputs after save_weights / load_weights")


@pytest.mark.fix("checkpoint.example-cli-options")
def test_example_options_parsed_as_numbers():
    import argparse

    from spec.test_ch4_checkpoint_as_written import EXPECTED, NUM_TRAIN_DATA, RUNS

    for what, argv in RUNS.items():
        # errata: begin
        parser = argparse.ArgumentParser(description='MNIST training configure.')
        parser.add_argument('--mode', default='train', help='train or test')
        parser.add_argument('--num_epochs', default=5, type=int)  # type=: a value given on the command line
        parser.add_argument('--batch_size', default=50, type=int)  # is a string otherwise
        parser.add_argument('--learning_rate', default=0.001, type=float)
        args = parser.parse_args(argv)
        # errata: end
        num_batches = int(NUM_TRAIN_DATA // args.batch_size * args.num_epochs)  # as train() computes it
        optimizer = tf.keras.optimizers.Adam(learning_rate=args.learning_rate)
        loop, learning_rate = EXPECTED[what]
        assert f"range(1, {num_batches})" == loop, (what, num_batches, loop)
        assert args.learning_rate == learning_rate, (what, args.learning_rate)
        assert float(optimizer.learning_rate.numpy()) == np.float32(learning_rate), (what, optimizer.learning_rate)


# ---------------------------------------------------------------- （二）TensorBoard可视化


TF_2_16 = (2, 16)


def tf_version() -> tuple[int, int]:
    return tuple(int(p) for p in tf.__version__.split(".")[:2])


def trace_on_takes_profiler_outdir() -> bool:
    return "profiler_outdir" in inspect.signature(tf.summary.trace_on).parameters


@pytest.fixture
def trace_is_off():
    """Tracing and the profiler are process-wide: none survives the test."""
    yield
    tf.summary.trace_off()
    try:
        tf.profiler.experimental.stop(save=False)
    except (tf.errors.UnavailableError, tf.errors.FailedPreconditionError):
        pass


def check_trace_and_profile(log_dir, plugin: str = "graph_run_metadata") -> None:
    """The model_trace record at step 0 (graph and run metadata; with trace_on(graph=True) alone,
    plugin 'graph_run_metadata_graph': the graph), and profile data under log_dir/plugins/profile."""
    __tracebackhide__ = True
    from spec.test_ch4_tensorboard import only_record, profile_files, read_records

    step, _ = only_record(read_records(log_dir), "model_trace", plugin)
    assert step == 0, step
    assert profile_files(log_dir), f"no profile data under {log_dir}/plugins/profile"


@pytest.mark.fix("tensorboard.trace-profiler-as-written")
def test_profiler_outdir_given_to_trace_on(tmp_path, trace_is_off):
    from spec.test_ch4_tensorboard import square_plus_one

    if not trace_on_takes_profiler_outdir():
        pytest.skip(f"TF >= 2.16 spelling; TensorFlow {tf.__version__}'s trace_on has no profiler_outdir "
                    "(the book's spelling works here)")
    log_dir = str(tmp_path)
    summary_writer = tf.summary.create_file_writer(log_dir)
    # errata: begin
    tf.summary.trace_on(graph=True, profiler=True, profiler_outdir=log_dir)  # TF >= 2.16: the profiler's folder here
    square_plus_one(tf.ones([2, 2]) * 4)  # 模型训练
    with summary_writer.as_default():
        tf.summary.trace_export(name='model_trace', step=0)  # no profiler_outdir here any more
    # errata: end
    summary_writer.flush()
    check_trace_and_profile(log_dir)


@pytest.mark.fix("tensorboard.trace-profiler-as-written")
def test_profiler_outdir_given_to_trace_export_before_2_16(tmp_path, trace_is_off):
    from spec.test_ch4_tensorboard import square_plus_one

    if tf_version() >= TF_2_16:
        pytest.skip(f"TF < 2.16 spelling (the book's); on TensorFlow {tf.__version__} trace_export ignores "
                    "profiler_outdir and raises UnavailableError")
    log_dir = str(tmp_path)
    summary_writer = tf.summary.create_file_writer(log_dir)
    # errata: begin
    tf.summary.trace_on(graph=True, profiler=True)  # TF <= 2.15: as the book writes it
    square_plus_one(tf.ones([2, 2]) * 4)  # 模型训练
    with summary_writer.as_default():
        tf.summary.trace_export(name='model_trace', step=0, profiler_outdir=log_dir)
    # errata: end
    summary_writer.flush()
    check_trace_and_profile(log_dir)


@pytest.mark.fix("tensorboard.trace-profiler-as-written")
def test_graph_trace_and_profiler_start_stop(tmp_path, trace_is_off):
    from spec.test_ch4_tensorboard import square_plus_one

    log_dir = str(tmp_path)
    summary_writer = tf.summary.create_file_writer(log_dir)
    # errata: begin
    tf.summary.trace_on(graph=True)  # every TF 2 release: the graph from trace_on/trace_export,
    tf.profiler.experimental.start(logdir=log_dir)  # the profile from the profiler's own start/stop
    square_plus_one(tf.ones([2, 2]) * 4)  # 模型训练
    tf.profiler.experimental.stop()
    with summary_writer.as_default():
        tf.summary.trace_export(name='model_trace', step=0)
    # errata: end
    summary_writer.flush()
    check_trace_and_profile(log_dir, plugin="graph_run_metadata_graph")


def _tiny_data_loader():
    """A stand-in for the book's MNISTLoader: a few random MNIST-shaped examples."""
    rng = np.random.default_rng(13)

    class DataLoader:
        num_train_data = 150

        def get_batch(self, batch_size):
            return (rng.random((batch_size, 28, 28, 1), dtype=np.float32),
                    rng.integers(0, 10, batch_size).astype(np.int32))

    return DataLoader()


def train(model, optimizer, data_loader, num_epochs, batch_size, log_dir, trace):
    """The section's train(), its two trace lines replaced by trace(summary_writer, training_loop)."""
    checkpoint = tf.train.Checkpoint(model=model)
    manager = tf.train.CheckpointManager(checkpoint, directory='./saved', max_to_keep=3)
    summary_writer = tf.summary.create_file_writer(log_dir)
    num_batches = int(data_loader.num_train_data // batch_size * num_epochs)

    def training_loop():
        for batch_index in range(num_batches):
            x, y = data_loader.get_batch(batch_size)
            with tf.GradientTape() as tape:
                y_pred = model(x)
                loss = tf.keras.losses.sparse_categorical_crossentropy(y_true=y, y_pred=y_pred)
                loss = tf.reduce_mean(loss)
            grads = tape.gradient(loss, model.variables)
            optimizer.apply_gradients(grads_and_vars=zip(grads, model.variables))
            with summary_writer.as_default():
                tf.summary.scalar('loss', loss, step=batch_index)
            if batch_index % 100 == 0 or batch_index == num_batches - 1:
                print('batch %d: loss %f' % (batch_index, loss.numpy()))
                path = manager.save(checkpoint_number=batch_index)
                print('model saved to %s' % path)

    trace(summary_writer, training_loop)
    summary_writer.flush()


class TinyMNISTLoader:
    """A stand-in for the book's MNISTLoader: random MNIST-shaped batches, 150 training examples."""

    num_train_data = 150

    def __init__(self):
        self.rng = np.random.default_rng(13)

    def get_batch(self, batch_size):
        return (self.rng.random((batch_size, 28, 28, 1), dtype=np.float32),
                self.rng.integers(0, 10, batch_size).astype(np.int32))


def check_training_example(log_dir, plugin: str = "graph_run_metadata") -> None:
    __tracebackhide__ = True
    from spec.test_ch4_examples import read_tensor_records

    records = read_tensor_records(log_dir)
    assert [s for s, _ in records["loss"]] == [0, 1, 2], records.get("loss")
    check_trace_and_profile(log_dir, plugin)
    assert sorted(os.listdir("saved")) == sorted(["checkpoint", "ckpt-0.index", "ckpt-0.data-00000-of-00001",
                                                  "ckpt-2.index", "ckpt-2.data-00000-of-00001"]), os.listdir("saved")


@pytest.mark.fix("tensorboard.training-example-completes")
def test_training_example_with_todays_trace_calls(tmp_path, monkeypatch, trace_is_off):
    if not trace_on_takes_profiler_outdir():
        pytest.skip(f"TF >= 2.16 spelling; TensorFlow {tf.__version__}'s trace_on has no profiler_outdir "
                    "(the book's example runs to its end here)")
    monkeypatch.chdir(tmp_path)
    log_dir = str(tmp_path / "tensorboard")

    def trace(summary_writer, training_loop):
        # errata: begin
        tf.summary.trace_on(graph=True, profiler=True, profiler_outdir=log_dir)  # TF >= 2.16: the profiler's folder here
        training_loop()  # the book's for batch_index in range(num_batches): ..., unchanged
        with summary_writer.as_default():
            tf.summary.trace_export(name='model_trace', step=0)  # 保存Trace信息到文件 (no profiler_outdir)
        # errata: end

    train(MLP(), tf.keras.optimizers.Adam(learning_rate=0.001), TinyMNISTLoader(), 1, 50, log_dir, trace)
    check_training_example(log_dir)


@pytest.mark.fix("tensorboard.training-example-completes")
def test_training_example_with_the_profilers_start_stop(tmp_path, monkeypatch, trace_is_off):
    monkeypatch.chdir(tmp_path)
    log_dir = str(tmp_path / "tensorboard")

    def trace(summary_writer, training_loop):
        # errata: begin
        tf.summary.trace_on(graph=True)  # every TF 2 release: the graph from trace_on/trace_export,
        tf.profiler.experimental.start(logdir=log_dir)  # the profile from the profiler's start/stop
        training_loop()  # the book's for batch_index in range(num_batches): ..., unchanged
        tf.profiler.experimental.stop()
        with summary_writer.as_default():
            tf.summary.trace_export(name='model_trace', step=0)  # 保存Trace信息到文件
        # errata: end

    train(MLP(), tf.keras.optimizers.Adam(learning_rate=0.001), TinyMNISTLoader(), 1, 50, log_dir, trace)
    check_training_example(log_dir, plugin="graph_run_metadata_graph")


@pytest.mark.fix("tensorboard.installed-with-tensorflow")
def test_tensorboard_installed_next_to_tensorflow(tmp_path, measured):
    from importlib import metadata

    from spec.test_ch4_tensorboard import read_records

    # errata: begin
    # shell:  pip install tensorflow tensorboard   (TensorFlow >= 2.21 no longer installs TensorBoard itself)
    # errata: end
    try:
        version = metadata.version("tensorboard")
    except metadata.PackageNotFoundError:
        pytest.skip("tensorboard is not installed here (the suite's dependencies include it)")
    commands = [e.name for e in metadata.distribution("tensorboard").entry_points if e.group == "console_scripts"]
    measured("tensorboard distribution, its commands", [version, commands])
    assert "tensorboard" in commands, f"tensorboard {version} installs the commands {commands}"
    writer = tf.summary.create_file_writer(str(tmp_path))
    with writer.as_default():
        tf.summary.scalar("loss", 0.5, step=0)  # raises TBNotInstalledError without tensorboard
    writer.flush()
    (step, value, plugin), = read_records(tmp_path)["loss"]
    assert (step, float(value), plugin) == (0, 0.5, "scalars"), (step, value, plugin)


# ---------------------------------------------------------------- the book tier's examples, at fast-tier size


@pytest.mark.subprocess
@pytest.mark.fix("book.checkpoint-example")
def test_book_checkpoint_example_test_calls_the_model_first(local_data_file, tmp_path, measured):
    import re
    import textwrap

    from spec.models_keras import MNISTLoader
    from spec.subprocesses import describe, run_python
    from spec.test_ch4_examples import ROOT

    mnist = local_data_file("mnist.npz")
    trained, _ = trained_mlp(8)  # one step of training is enough to tell trained weights from fresh ones
    tf.train.CheckpointManager(tf.train.Checkpoint(model=trained), directory=str(tmp_path / "saved"),
                               max_to_keep=3).save(checkpoint_number=5999)
    data_loader = MNISTLoader(mnist)
    trained_pred = np.argmax(trained.predict(data_loader.test_data, verbose=0), axis=-1)
    trained_accuracy = float(np.mean(trained_pred == data_loader.test_label))
    out = tmp_path / "child_predictions.npy"
    child = run_python(textwrap.dedent(f"""\
        import os, sys
        sys.path.insert(0, {ROOT!r})
        os.chdir({str(tmp_path)!r})
        import numpy as np
        import tensorflow as tf
        from spec.models_keras import MLP, MNISTLoader
    """) + textwrap.dedent("""\
        # errata: begin
        def test(model, data_loader):
            model(data_loader.test_data[:1])  # create the variables before restore(): Keras 3 restores nothing deferred
            checkpoint = tf.train.Checkpoint(model=model)
            checkpoint.restore(tf.train.latest_checkpoint('./saved'))
            y_pred = np.argmax(model.predict(data_loader.test_data), axis=-1)
            print('test accuracy: %f' % (sum(y_pred == data_loader.test_label) / data_loader.num_test_data))
            return y_pred
        # errata: end
    """) + textwrap.dedent(f"""\
        y_pred = test(MLP(), MNISTLoader({str(mnist)!r}))
        np.save({str(out)!r}, y_pred)
    """), timeout=600)
    assert child.returncode == 0, describe(child)
    printed = float(re.search(r"test accuracy: ([0-9.]+)", child.stdout).group(1))
    measured("test accuracy printed by test() in a fresh process", printed, handbook=round(trained_accuracy, 6))
    assert printed == round(trained_accuracy, 6), f"test() printed {printed}, the trained model's is {trained_accuracy}"
    assert_exact(np.load(out), trained_pred, what="test-set predictions of test() in a fresh process")


@pytest.mark.fix("book.tensorboard-example")
def test_book_tensorboard_example_with_todays_trace_calls(tmp_path, monkeypatch, trace_is_off):
    if not trace_on_takes_profiler_outdir():
        pytest.skip(f"TF >= 2.16 spelling; TensorFlow {tf.__version__}'s trace_on has no profiler_outdir "
                    "(the book's example runs to its end here)")
    monkeypatch.chdir(tmp_path)
    log_dir = str(tmp_path / "tensorboard")

    def trace(summary_writer, training_loop):
        # errata: begin
        tf.summary.trace_on(graph=True, profiler=True, profiler_outdir=log_dir)  # TF >= 2.16: the profiler's folder here
        training_loop()  # the book's for batch_index in range(num_batches): ..., unchanged
        with summary_writer.as_default():
            tf.summary.trace_export(name='model_trace', step=0)  # 保存Trace信息到文件 (no profiler_outdir)
        # errata: end

    train(MLP(), tf.keras.optimizers.Adam(learning_rate=0.001), TinyMNISTLoader(), 1, 50, log_dir, trace)
    check_training_example(log_dir)


@pytest.mark.fix("book.tensorboard-example")
def test_book_tensorboard_example_with_the_profilers_start_stop(tmp_path, monkeypatch, trace_is_off):
    monkeypatch.chdir(tmp_path)
    log_dir = str(tmp_path / "tensorboard")

    def trace(summary_writer, training_loop):
        # errata: begin
        tf.summary.trace_on(graph=True)  # every TF 2 release: the graph from trace_on/trace_export,
        tf.profiler.experimental.start(logdir=log_dir)  # the profile from the profiler's start/stop
        training_loop()  # the book's for batch_index in range(num_batches): ..., unchanged
        tf.profiler.experimental.stop()
        with summary_writer.as_default():
            tf.summary.trace_export(name='model_trace', step=0)  # 保存Trace信息到文件
        # errata: end

    train(MLP(), tf.keras.optimizers.Adam(learning_rate=0.001), TinyMNISTLoader(), 1, 50, log_dir, trace)
    check_training_example(log_dir, plugin="graph_run_metadata_graph")
