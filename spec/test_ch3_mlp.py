"""三、TensorFlow模型建立与训练 / （二）示例：多层感知器: MNISTLoader, the MLP and its layers, the losses,
Adam, one pass of the training loop, and the accuracy metric with the evaluation loop. The training
run that reaches the printed accuracy is in test_ch3_mnist_training.py (slow tier)."""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from reference import layers as ref
from reference.statistics import dkw_bound, ks_statistic_uniform
from spec.assertions import assert_close, assert_exact, assert_on_device
from spec.models_keras import BATCH_SIZE, MLP, MNISTLoader
from spec.subprocesses import run_python

EPS32 = float(np.finfo(np.float32).eps)
BOOK_MLP_ACCURACY, BOOK_CNN_ACCURACY = "0.972155", "0.989083"


@pytest.fixture(scope="module")
def mnist_file(local_data_file):
    return local_data_file("mnist.npz")


@pytest.fixture(scope="module")
def loader(mnist_file):
    return MNISTLoader(mnist_file)


@pytest.fixture(scope="module")
def raw_mnist(mnist_file):
    with np.load(mnist_file) as npz:
        return {key: npz[key] for key in ("x_train", "y_train", "x_test", "y_test")}


def dense_bound(x, kernel, bias=None):
    """Forward-error bound of a float32 x·W + b against exact arithmetic: (n+1)·eps·(|x|·|W| + |b|)."""
    magnitude = np.abs(x) @ np.abs(kernel) + (0 if bias is None else np.abs(bias))
    return (kernel.shape[0] + 1) * EPS32 * magnitude


# ---------------------------------------------------------------- 1. 数据集获取及处理


@pytest.mark.claim("mlp.loader-images")
def test_loader_images(loader, raw_mnist, measured):
    measured("loaded from", loader.source, note="the offline copy; the book calls tf.keras.datasets.mnist.load_data()")
    # pixel value k becomes k/255 correctly rounded to float32: a 256-entry table, computed in float64
    table = (np.arange(256) / 255.0).astype(np.float32)
    for name, data, raw in (("train_data", loader.train_data, raw_mnist["x_train"]),
                            ("test_data", loader.test_data, raw_mnist["x_test"])):
        assert data.dtype == np.float32 and data.shape == raw.shape + (1,), f"{name}: {data.dtype} {data.shape}"
        expected = table[raw][..., np.newaxis]
        assert np.array_equal(data, expected), (
            f"{name}: {np.count_nonzero(data != expected)} pixels differ from uint8/255, e.g. "
            f"{data[data != expected][:5]} vs {expected[data != expected][:5]}"
        )
    assert loader.train_data.shape == (60000, 28, 28, 1) and loader.test_data.shape == (10000, 28, 28, 1)
    assert loader.train_data.min() == 0.0 and loader.train_data.max() == 1.0


@pytest.mark.claim("mlp.loader-labels")
def test_loader_labels(loader, raw_mnist):
    assert_exact(loader.train_label, raw_mnist["y_train"].astype(np.int32), what="train_label", dtype=np.int32)
    assert_exact(loader.test_label, raw_mnist["y_test"].astype(np.int32), what="test_label", dtype=np.int32)
    assert loader.train_label.shape == (60000,) and loader.test_label.shape == (10000,)
    assert set(np.unique(loader.train_label)) == set(range(10))
    assert (loader.num_train_data, loader.num_test_data) == (60000, 10000)


@pytest.mark.claim("mlp.loader-get-batch")
def test_get_batch_draws_with_numpy_randint(loader):
    np.random.seed(123)
    x, y = loader.get_batch(BATCH_SIZE)
    np.random.seed(123)
    index = np.random.randint(0, 60000, BATCH_SIZE)
    assert x.shape == (BATCH_SIZE, 28, 28, 1) and y.shape == (BATCH_SIZE,)
    assert_exact(x, loader.train_data[index], what="images of the batch", dtype=np.float32)
    assert_exact(y, loader.train_label[index], what="labels of the batch", dtype=np.int32)
    # uniform with replacement: over many draws indices repeat, and both ends of the range are reachable
    np.random.seed(7)
    big = np.random.randint(0, 60000, 200_000)
    assert len(np.unique(big)) < big.size and big.min() == 0 and big.max() == 59999


@pytest.mark.network
@pytest.mark.claim("mlp.load-data-arrays")
def test_books_load_data_path(raw_mnist, measured):
    book_loader = MNISTLoader()  # no path: tf.keras.datasets.mnist.load_data(), as the book writes it
    measured("loaded from", book_loader.source)
    (x_train, y_train), (x_test, y_test) = tf.keras.datasets.mnist.load_data()
    for name, got in {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}.items():
        assert_exact(got, raw_mnist[name], what=f"load_data() {name}", dtype=np.uint8)
    assert_exact(book_loader.train_data[:100], np.expand_dims(x_train[:100].astype(np.float32) / 255.0, -1),
                 what="MNISTLoader().train_data", dtype=np.float32)


@pytest.mark.network
@pytest.mark.claim("mlp.load-data-cache-folder")
def test_load_data_stores_under_home_keras_datasets(tmp_path):
    # A fresh process with HOME pointing at an empty folder and KERAS_HOME unset: Keras fixes its
    # cache folder when it is imported.
    code = (
        "import os\n"
        "os.environ.pop('KERAS_HOME', None)\n"
        "import tensorflow as tf\n"
        "tf.keras.datasets.mnist.load_data()\n"
        "print(sorted(os.listdir(os.path.expanduser('~/.keras/datasets'))))\n"
    )
    result = run_python(code, env={"HOME": str(tmp_path)})
    assert "mnist.npz" in result.stdout, f"~/.keras/datasets holds {result.stdout!r}; stderr {result.stderr[-500:]}"


# ---------------------------------------------------------------- 2. 模型构建


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(42).random((3, 28, 28, 1), dtype=np.float32)


@pytest.mark.claim("mlp.shape-comments")
def test_mlp_shape_comments(device, images):
    with tf.device(device.name):
        model = MLP()
        x = model.flatten(images)
        h = model.dense1(x)
        z = model.dense2(h)
        out = model(images)
    assert_on_device(out, device)
    shapes = [tuple(t.shape) for t in (x, h, z, out)]
    assert shapes == [(3, 784), (3, 100), (3, 10), (3, 10)], f"shapes along MLP.call: {shapes}"


@pytest.mark.claim("mlp.flatten-row-major")
def test_flatten_is_row_major(device):
    x = np.arange(2 * 4 * 3 * 2, dtype=np.float32).reshape(2, 4, 3, 2)
    with tf.device(device.name):
        got = tf.keras.layers.Flatten()(x)
    assert_exact(got, ref.flatten(x), what="Flatten()([2, 4, 3, 2])", device=device, dtype=np.float32)


@pytest.mark.claim("mlp.output-probabilities")
def test_mlp_outputs_probabilities(device, images):
    with tf.device(device.name):
        out = MLP()(images * 50.0).numpy()  # large inputs push the softmax towards 0 and 1
    assert out.shape == (3, 10)
    assert np.all(out >= 0.0), out
    assert_close(out.sum(axis=1), np.ones(3), rtol=10 * EPS32, what="row sums of the MLP output", device=device)


@pytest.mark.claim("mlp.softmax-last-axis")
def test_softmax_normalises_the_last_axis(device):
    x = np.random.default_rng(1).standard_normal((4, 10)).astype(np.float32) * 3
    with tf.device(device.name):
        got = tf.nn.softmax(tf.constant(x))
    assert_on_device(got, device)
    assert_close(got, ref.softmax(x.astype(np.float64), axis=-1), rtol=1e-6, atol=1e-7, what="tf.nn.softmax",
                 device=device)


@pytest.fixture(scope="module")
def dense_input():
    return np.random.default_rng(3).standard_normal((5, 6)).astype(np.float32)


@pytest.mark.claim("mlp.dense-units")
def test_dense_units_is_the_output_dimension(device, dense_input):
    with tf.device(device.name):
        layer = tf.keras.layers.Dense(units=7)
        y = layer(dense_input)
    assert tuple(layer.kernel.shape) == (6, 7) and tuple(layer.bias.shape) == (7,) and tuple(y.shape) == (5, 7)


def random_dense(units, bias=True, activation=None):
    """A Dense layer whose bias starts non-zero, so dropping it would show."""
    return tf.keras.layers.Dense(units=units, activation=activation, use_bias=bias,
                                 bias_initializer="glorot_uniform" if bias else "zeros")


@pytest.mark.claim("mlp.dense-activation-default-none")
def test_dense_default_activation_is_none(device, dense_input):
    with tf.device(device.name):
        linear, with_relu = random_dense(4), random_dense(4, activation=tf.keras.activations.relu)
        y_linear, y_relu = linear(dense_input), with_relu(dense_input)
    assert_on_device(y_linear, device)
    x = dense_input.astype(np.float64)
    k, b = linear.kernel.numpy().astype(np.float64), linear.bias.numpy().astype(np.float64)
    expected = ref.dense(x, k, b)
    assert np.any(expected < 0), "the check needs negative pre-activations"
    assert_close(y_linear, expected, rtol=0, atol=dense_bound(x, k, b), what="Dense(4) without activation",
                 device=device)
    k, b = with_relu.kernel.numpy().astype(np.float64), with_relu.bias.numpy().astype(np.float64)
    assert_close(y_relu, ref.dense(x, k, b, ref.relu), rtol=0, atol=dense_bound(x, k, b),
                 what="Dense(4, activation=relu)", device=device)


@pytest.mark.claim("mlp.dense-use-bias")
def test_dense_use_bias(device, dense_input):
    with tf.device(device.name):
        biased, unbiased = random_dense(4, bias=True), random_dense(4, bias=False)
        y_biased, y_unbiased = biased(dense_input), unbiased(dense_input)
    x = dense_input.astype(np.float64)
    assert [tuple(v.shape) for v in biased.weights] == [(6, 4), (4,)]
    assert [tuple(v.shape) for v in unbiased.weights] == [(6, 4)] and unbiased.bias is None
    k, b = biased.kernel.numpy().astype(np.float64), biased.bias.numpy().astype(np.float64)
    assert np.all(b != 0)
    assert_close(y_biased, ref.dense(x, k, b), rtol=0, atol=dense_bound(x, k, b), what="Dense(use_bias=True)",
                 device=device)
    k = unbiased.kernel.numpy().astype(np.float64)
    assert_close(y_unbiased, ref.dense(x, k), rtol=0, atol=dense_bound(x, k), what="Dense(use_bias=False)",
                 device=device)


@pytest.mark.claim("mlp.dense-initializers")
def test_dense_initializers(device, measured):
    x = np.ones((1, 784), np.float32)
    with tf.device(device.name):
        book = tf.keras.layers.Dense(units=100, activation=tf.keras.activations.relu, use_bias=True,
                                     kernel_initializer="glorot_uniform", bias_initializer="zeros")
        other = tf.keras.layers.Dense(units=3, kernel_initializer="zeros", bias_initializer="ones")
        book(x), other(x)
    limit = np.sqrt(6.0 / (784 + 100))
    kernel = book.kernel.numpy()
    assert np.all(np.abs(kernel) <= limit), f"glorot_uniform entries beyond ±{limit}: max {np.abs(kernel).max()}"
    assert np.abs(kernel).max() > 0.9 * limit and len(np.unique(kernel)) > 1000, "not spread over the range"
    # Uniform on [−limit, limit]: the KS distance of the 78,400 entries mapped to [0, 1) stays within
    # the DKW bound at a false-alarm rate of 1e-6 (0.0054; a cubed uniform is 0.19 away).
    distance = ks_statistic_uniform((kernel.astype(np.float64).ravel() + limit) / (2 * limit))
    measured("KS distance of the glorot_uniform kernel to U(−limit, limit)", distance,
             note=f"bound {dkw_bound(kernel.size, 1e-6):.4f}")
    assert distance <= dkw_bound(kernel.size, 1e-6), f"glorot_uniform kernel is not uniform: KS distance {distance:.4f}"
    assert_exact(book.bias, np.zeros(100, np.float32), what="bias_initializer='zeros'", dtype=np.float32)
    assert_exact(other.kernel, np.zeros((784, 3), np.float32), what="kernel_initializer='zeros'", dtype=np.float32)
    assert_exact(other.bias, np.ones(3, np.float32), what="bias_initializer='ones'", dtype=np.float32)


def model_weights(layers) -> list[np.ndarray]:
    return [v.numpy().astype(np.float64) for layer in layers for v in (layer.kernel, layer.bias)]


@pytest.mark.claim("mlp.forward-matches-reference")
def test_mlp_forward_matches_reference(device, images):
    with tf.device(device.name):
        model = MLP()
        model(images)
        # non-zero biases, so a layer that dropped its bias would show
        rng = np.random.default_rng(8)
        for layer in (model.dense1, model.dense2):
            layer.bias.assign(rng.uniform(-0.5, 0.5, layer.bias.shape).astype(np.float32))
        out = model(images)
    assert_on_device(out, device)
    expected = ref.mlp_forward(images.astype(np.float64), model_weights([model.dense1, model.dense2]))
    # float32 sums of 784 and 100 terms: relative error of the probabilities a few 1e-6 at most
    assert_close(out, expected, rtol=1e-5, atol=1e-7, what="MLP()(x) vs reference", device=device)


# ---------------------------------------------------------------- 3. 模型训练


@pytest.fixture(scope="module")
def probabilities():
    rng = np.random.default_rng(21)
    logits = rng.standard_normal((8, 10)) * 2  # every probability well above Keras' 1e-7 clip
    p = ref.softmax(logits).astype(np.float32)
    labels = rng.integers(0, 10, 8).astype(np.int32)
    return labels, p


@pytest.mark.claim("mlp.sparse-crossentropy")
def test_sparse_categorical_crossentropy(device, probabilities):
    labels, p = probabilities
    with tf.device(device.name):
        loss = tf.keras.losses.sparse_categorical_crossentropy(y_true=labels, y_pred=p)
    assert_on_device(loss, device)
    assert_close(loss, ref.sparse_categorical_crossentropy(labels, p.astype(np.float64)), rtol=1e-6, atol=1e-6,
                 what="sparse_categorical_crossentropy", device=device)


@pytest.mark.claim("mlp.categorical-crossentropy-one-hot")
def test_categorical_crossentropy_on_one_hot_equals_sparse(device, probabilities):
    labels, p = probabilities
    one_hot = ref.one_hot(labels, 10).astype(np.float32)
    with tf.device(device.name):
        dense_loss = tf.keras.losses.categorical_crossentropy(y_true=one_hot, y_pred=p)
        sparse_loss = tf.keras.losses.sparse_categorical_crossentropy(y_true=labels, y_pred=p)
    assert_close(dense_loss, ref.categorical_crossentropy(one_hot, p.astype(np.float64)), rtol=1e-6, atol=1e-6,
                 what="categorical_crossentropy", device=device)
    assert_close(dense_loss, sparse_loss.numpy(), rtol=1e-6, atol=1e-6, what="categorical vs sparse", device=device)


ADAM_STEPS = 6


@pytest.mark.claim("mlp.adam-update")
def test_adam_follows_the_reference_over_several_steps(device):
    rng = np.random.default_rng(13)
    start = [rng.standard_normal((3, 2)).astype(np.float32), rng.standard_normal(4).astype(np.float32)]
    # gradients of mixed signs and scales, with a sign change between steps
    grads = [[(rng.standard_normal(p.shape) * scale).astype(np.float32) for p, scale in zip(start, (1.0, 1e-3))]
             for _ in range(ADAM_STEPS)]
    with tf.device(device.name):
        params = [tf.Variable(p) for p in start]
        optimizer = tf.keras.optimizers.Adam(learning_rate=0.001)
        got = []
        for step_grads in grads:
            optimizer.apply_gradients(grads_and_vars=zip([tf.constant(g) for g in step_grads], params))
            got.append([tf.identity(p) for p in params])
    assert_on_device(got[-1][0], device)
    for n, p0 in enumerate(start):
        expected = ref.adam_run(p0.astype(np.float64), [g[n] for g in grads], learning_rate=0.001)
        for t in range(ADAM_STEPS):
            # float32: each step rounds the parameter (≤ eps·|θ|) and computes the step to ~1e-5 relative
            bound = (t + 1) * (EPS32 * np.abs(expected[t]) + 1e-5 * 0.001)
            assert_close(got[t][n], expected[t], rtol=0, atol=bound, what=f"parameter {n} after Adam step {t + 1}",
                         device=device)


@pytest.mark.claim("mlp.loop-step-updates-model")
@pytest.mark.parametrize("optimizer_name", ["SGD", "Adam"])
def test_loop_body_updates_every_variable(device, images, optimizer_name):
    labels = np.array([3, 1, 7], np.int32)
    lr = 0.01
    with tf.device(device.name):
        model = MLP()
        model(images)
        optimizer = getattr(tf.keras.optimizers, optimizer_name)(learning_rate=lr)

        def loss_and_grads():
            with tf.GradientTape() as tape:
                y_pred = model(images)
                loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(y_true=labels, y_pred=y_pred))
            return loss, tape.gradient(loss, model.variables)

        before = [v.numpy().astype(np.float64) for v in model.variables]
        loss0, grads = loss_and_grads()
        optimizer.apply_gradients(grads_and_vars=zip(grads, model.variables))
        after = [v.numpy().astype(np.float64) for v in model.variables]
        losses = [float(loss0)]
        for _ in range(2):
            loss, grads_n = loss_and_grads()
            optimizer.apply_gradients(grads_and_vars=zip(grads_n, model.variables))
            losses.append(float(loss))
    for n, (b, a, g) in enumerate(zip(before, after, grads)):
        g = g.numpy().astype(np.float64)
        if optimizer_name == "SGD":
            expected = ref.sgd_step(b, g, lr)
            bound = EPS32 * (np.abs(expected) + lr * np.abs(g))
        else:
            expected, _, _ = ref.adam_step(b, g, 0.0, 0.0, 1, learning_rate=lr)
            bound = EPS32 * np.abs(expected) + 1e-5 * lr
        assert_close(a, expected, rtol=0, atol=bound, what=f"{optimizer_name}: model.variables[{n}] after one step",
                     device=device)
    assert losses[-1] < losses[0], f"{optimizer_name}: loss on the batch went {losses}"


# ---------------------------------------------------------------- 4. 模型评估


@pytest.mark.claim("mlp.accuracy-argmax")
def test_accuracy_compares_argmax_with_the_label(device):
    y_pred = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.3, 0.5], [0.6, 0.1, 0.3]], np.float32)
    y_true = np.array([1, 1, 2, 2], np.int32)
    with tf.device(device.name):
        metric = tf.keras.metrics.SparseCategoricalAccuracy()
        metric.update_state(y_true=y_true, y_pred=y_pred)
        result = metric.result()
    assert ref.accuracy_update((0, 0), y_true, y_pred) == (2, 4)
    assert_exact(result, np.float32(0.5), what="accuracy of 2 hits in 4", device=device, dtype=np.float32)


@pytest.mark.claim("mlp.accuracy-accumulates")
def test_accuracy_accumulates_across_updates(device):
    rng = np.random.default_rng(17)
    state = (0, 0)
    with tf.device(device.name):
        metric = tf.keras.metrics.SparseCategoricalAccuracy()
        for size in (5, 1, 12, 3):  # unequal batches: a mean of batch accuracies would differ
            y_pred = rng.random((size, 10)).astype(np.float32)
            y_true = rng.integers(0, 10, size).astype(np.int32)
            y_true[: size // 2] = np.argmax(y_pred[: size // 2], axis=1)  # some hits in every batch
            metric.update_state(y_true=y_true, y_pred=y_pred)
            state = ref.accuracy_update(state, y_true, y_pred)
            assert_exact(metric.result(), np.float32(ref.accuracy_result(state)),
                         what=f"result() after {state[1]} examples", device=device, dtype=np.float32)
    values = sorted(float(v.numpy()) for v in metric.variables)
    assert values == sorted(map(float, state)), f"internal variables {values}, expected correct/seen {state}"


@pytest.mark.claim("mlp.eval-loop-examples")
def test_evaluation_loop_sees_9984_examples(loader, measured):
    rng = np.random.default_rng(29)
    y_pred_all = rng.random((loader.num_test_data, 10)).astype(np.float32)
    metric = tf.keras.metrics.SparseCategoricalAccuracy()
    # the book's loop calls update_state eagerly; compiled here (same op) to keep the fast tier fast
    @tf.function
    def update(y_true, y_pred):
        metric.update_state(y_true=y_true, y_pred=y_pred)

    state = (0, 0)
    num_batches = int(loader.num_test_data // BATCH_SIZE)
    for batch_index in range(num_batches):
        start, end = batch_index * BATCH_SIZE, (batch_index + 1) * BATCH_SIZE
        update(tf.constant(loader.test_label[start:end]), tf.constant(y_pred_all[start:end]))
        state = ref.accuracy_update(state, loader.test_label[start:end], y_pred_all[start:end])
    assert (num_batches, state[1]) == (156, 9984)
    assert max(float(v.numpy()) for v in metric.variables) == 9984.0, [v.numpy() for v in metric.variables]
    assert_exact(metric.result(), np.float32(state[0] / state[1]), what="accuracy over the loop", dtype=np.float32)
    # The book's printed numbers are whole counts of those 9,984 images, to six decimals.
    for name, printed in (("MLP", BOOK_MLP_ACCURACY), ("CNN", BOOK_CNN_ACCURACY)):
        hits = round(float(printed) * 9984)
        measured(f"{name}: printed accuracy as correct/9984", f"{hits}/9984 = {hits / 9984:.8f}", handbook=printed)
        assert f"{hits / 9984:.6f}" == printed, f"{printed} is no k/9984 to six decimals"


@pytest.mark.claim("mlp.printed-accuracy-form")
def test_printed_accuracy_form(capsys, measured):
    # 9706 correct of 9984, the count behind the printed 0.972155 (see mlp.eval-loop-examples)
    y_true = np.zeros(9984, np.int32)
    y_true[9706:] = 1
    y_pred = np.tile(np.array([[0.9, 0.1]], np.float32), (9984, 1))
    metric = tf.keras.metrics.SparseCategoricalAccuracy()
    metric.update_state(y_true=y_true, y_pred=y_pred)
    print(f"test accuracy: {metric.result()}")
    out = capsys.readouterr().out.rstrip("\n")
    measured("printed", out, handbook=f"test accuracy: {BOOK_MLP_ACCURACY}")
    assert out == f"test accuracy: {BOOK_MLP_ACCURACY}", (
        f"the book's print statement shows {out!r}, the book shows 'test accuracy: {BOOK_MLP_ACCURACY}'"
    )
