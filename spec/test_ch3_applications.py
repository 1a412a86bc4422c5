"""三、TensorFlow模型建立与训练 / （三）卷积神经网络 / 2. 使用Keras中预定义的卷积神经网络结构: the
architectures in tf.keras.applications, MobileNetV2 with 5 classes (built once per device at the
book's 224×224 input), BatchNormalization's training and inference modes against NumPy, the book's
two ways of choosing the mode, trainable versus all variables, and the tf_flowers pipeline on
tensorflow_datasets' mock data (no download) with one step of the book's loop (slow tier)."""
from __future__ import annotations

import inspect
import re
import sys

import numpy as np
import pytest
import tensorflow as tf

from fixtures.tolerances import machine_epsilon
from reference import applications as apps_ref
from reference import keras_custom as ref
from reference.images import resize_bilinear
from spec.assertions import assert_close, assert_on_device

EPS32 = machine_epsilon(np.float32)
BOOK_BATCH_SIZE, BOOK_LEARNING_RATE = 50, 0.001


def batchnorm_layers(model):
    return [layer for layer in model.layers if isinstance(layer, tf.keras.layers.BatchNormalization)]


def moving_statistics(model):
    return [v.numpy().copy() for layer in batchnorm_layers(model) for v in (layer.moving_mean, layer.moving_variance)]


@pytest.fixture(scope="module")
def mobilenet_runs():
    """Per device: MobileNetV2(weights=None, classes=5) as the book builds it, and one batch through
    it in inference and then in training mode, with the moving statistics before and after each.
    Building costs ~2 s of CPU, so the tests share it."""
    return {}


def mobilenet_run(device, cache):
    if device.id not in cache:
        images = np.random.default_rng(0).random((1, 224, 224, 3), dtype=np.float32)
        with tf.device(device.name):
            model = tf.keras.applications.MobileNetV2(weights=None, classes=5)
            stats_0 = moving_statistics(model)
            inference = model(tf.constant(images), training=False)
            stats_1 = moving_statistics(model)
            training = model(tf.constant(images), training=True)
            stats_2 = moving_statistics(model)
        cache[device.id] = dict(model=model, inference=inference, training=training, stats=(stats_0, stats_1, stats_2))
    return cache[device.id]


# ------------------------------------------------------------------ the predefined architectures

ARCHITECTURES = ["VGG16", "VGG19", "ResNet50", "ResNet101", "ResNet152", "ResNet50V2", "ResNet101V2", "ResNet152V2",
                 "MobileNet", "MobileNetV2"]


@pytest.mark.claim("keras-apps.architectures-available")
@pytest.mark.parametrize("name", ARCHITECTURES)
def test_named_architecture_is_available(name):
    builder = getattr(tf.keras.applications, name, None)
    assert callable(builder), f"tf.keras.applications.{name} is missing"


CHEAP_TO_BUILD = {"VGG16", "VGG19"}  # ~0.3 s each without the top; a ResNet152 costs ~4 s: slow tier


@pytest.mark.claim("keras-apps.architectures-available")
@pytest.mark.parametrize("name", [n if n in CHEAP_TO_BUILD else pytest.param(n, marks=pytest.mark.slow)
                                  for n in ARCHITECTURES])
def test_named_architecture_builds_with_its_parameter_count(name, measured):
    # Without the top (its size depends only on the last feature map, reference.applications) and on
    # small images, so no 100-million-weight classifier is initialised for nothing.
    model = getattr(tf.keras.applications, name)(weights=None, include_top=False, input_shape=(32, 32, 3))
    count = int(model.count_params())
    total = count + apps_ref.TOP_PARAMETERS[name]
    measured(f"{name}: parameters without the top, with it", [count, total],
             handbook=f"{apps_ref.DOCUMENTED_MILLIONS[name]}M (Keras' table)")
    if name in apps_ref.VGG_CONFIGURATIONS:
        want = apps_ref.vgg_convolution_parameters(name)
        assert count == want, f"{name} without its top has {count} parameters; the paper's configuration has {want}"
    assert round(total / 1e6, 1) == apps_ref.DOCUMENTED_MILLIONS[name], (
        f"{name}: {total} parameters with the 1000-class top, Keras' table lists {apps_ref.DOCUMENTED_MILLIONS[name]}M"
    )


class _WeightsRequested(Exception):
    """Raised instead of loading the weights: the test only wants to see that they were asked for."""


@pytest.mark.claim("keras-apps.mobilenetv2-defaults-pretrained")
def test_mobilenetv2_defaults_ask_for_imagenet_weights(monkeypatch, measured):
    parameters = inspect.signature(tf.keras.applications.MobileNetV2).parameters
    defaults = {name: parameters[name].default for name in ("weights", "include_top", "classes")}
    assert defaults == {"weights": "imagenet", "include_top": True, "classes": 1000}, f"defaults {defaults}"
    # Observed, offline: MobileNetV2() with no arguments builds the 1000-class model, asks get_file for
    # the ImageNet weights file of that model and loads it (both intercepted here).
    module = sys.modules[tf.keras.applications.MobileNetV2.__module__]
    utils = [m for m in vars(module).values() if inspect.ismodule(m) and hasattr(m, "get_file")]
    assert utils, f"{module.__name__} uses no module with a get_file"
    requests, loads = [], []

    def get_file(*args, **kwargs):
        fname, origin = (list(args) + [None, None])[:2]
        requests.append((kwargs.get("fname", fname), kwargs.get("origin", origin)))
        return "/nonexistent/" + str(requests[-1][0])

    def load_weights(self, filepath, *args, **kwargs):
        loads.append((tuple(self.output_shape), filepath))
        raise _WeightsRequested

    for util in utils:
        monkeypatch.setattr(util, "get_file", get_file)
    monkeypatch.setattr(tf.keras.Model, "load_weights", load_weights)
    try:
        model = tf.keras.applications.MobileNetV2()
    except _WeightsRequested:
        model = None
    measured("files MobileNetV2() asked for", requests)
    assert model is None and len(requests) == 1 and len(loads) == 1, (
        f"MobileNetV2() asked for {requests} and loaded {loads}: not the pretrained weights"
    )
    (fname, origin), (output_shape, loaded) = requests[0], loads[0]
    assert re.fullmatch(r"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1\.0_224\.h5", str(fname)), (
        f"asked for {fname!r} from {origin!r}: not the ImageNet weights of the full (include_top) α = 1.0, 224 model"
    )
    assert str(origin).endswith("/" + fname) and loaded.endswith(fname), (origin, loaded)
    assert output_shape == (None, 1000), f"the weights were loaded into a model with outputs {output_shape}"


@pytest.mark.network
@pytest.mark.claim("keras-apps.mobilenetv2-pretrained-loads")
def test_mobilenetv2_as_written_loads_imagenet_weights():
    model = tf.keras.applications.MobileNetV2()
    assert tuple(model.input_shape) == (None, 224, 224, 3) and tuple(model.output_shape) == (None, 1000)
    fresh = tf.keras.applications.MobileNetV2(weights=None)
    differing = [a.name for a, b in zip(model.weights, fresh.weights) if not np.array_equal(a.numpy(), b.numpy())]
    assert len(differing) >= len(model.trainable_weights), "the weights look like a fresh initialisation"


@pytest.mark.claim("keras-apps.mobilenetv2-five-classes")
def test_mobilenetv2_five_classes_at_224(device, mobilenet_runs):
    run = mobilenet_run(device, mobilenet_runs)
    model, probabilities = run["model"], run["inference"]
    assert_on_device(probabilities, device)
    assert tuple(model.input_shape) == (None, 224, 224, 3), f"input shape {model.input_shape}"
    assert tuple(model.output_shape) == (None, 5), f"output shape {model.output_shape}"
    assert tuple(probabilities.shape) == (1, 5)
    p = probabilities.numpy()
    assert np.all(p >= 0), f"negative probabilities {p}"
    assert_close(p.sum(axis=1), np.ones(1), what="row sums", rtol=8 * EPS32, device=device)


# ------------------------------------------------------------------ training and inference modes


def _batchnorm_case(device):
    """A BatchNormalization layer with non-trivial parameters and statistics, and a batch for it."""
    rng = np.random.default_rng(1)
    x = rng.normal(2.0, 3.0, size=(8, 3)).astype(np.float32)
    with tf.device(device.name):
        layer = tf.keras.layers.BatchNormalization()
        layer.build((None, 3))
        layer.gamma.assign([1.5, 0.5, 2.0])
        layer.beta.assign([0.1, -0.2, 0.3])
        layer.moving_mean.assign([1.0, -1.0, 0.5])
        layer.moving_variance.assign([4.0, 0.25, 2.0])
    return layer, x


def _params(layer):
    return [v.numpy().astype(np.float64) for v in (layer.gamma, layer.beta, layer.moving_mean, layer.moving_variance)]


@pytest.mark.claim("keras-apps.batchnorm-training-differs")
def test_batchnorm_training_and_inference_modes(device):
    layer, x = _batchnorm_case(device)
    gamma, beta, mean, variance = _params(layer)
    assert (layer.epsilon, layer.momentum) == (1e-3, 0.99), f"epsilon {layer.epsilon}, momentum {layer.momentum}"
    with tf.device(device.name):
        inference = layer(tf.constant(x), training=False)
        after_inference = _params(layer)[2:]
        training = layer(tf.constant(x), training=True)
        after_training = _params(layer)[2:]
    assert_on_device(training, device)
    tol = 64 * EPS32  # a mean and a variance of 8 values, a square root and a division, in float32
    expected_inference = ref.batch_norm_inference(x, gamma, beta, mean, variance, 1e-3)
    assert_close(inference, expected_inference, what="inference output", rtol=tol, atol=tol, device=device)
    assert all(np.array_equal(a, b) for a, b in zip(after_inference, (mean, variance))), "inference moved the statistics"
    expected_training, new_mean, new_variance = ref.batch_norm_training(x, gamma, beta, mean, variance, 1e-3, 0.99)
    assert_close(training, expected_training, what="training output", rtol=tol, atol=tol, device=device)
    assert_close(after_training[0], new_mean, what="moving mean after training", rtol=tol, atol=tol)
    assert_close(after_training[1], new_variance, what="moving variance after training", rtol=tol, atol=tol)


@pytest.mark.claim("keras-apps.training-argument-reaches-nested-layers")
def test_training_argument_reaches_mobilenets_batchnorm_layers(device, mobilenet_runs):
    run = mobilenet_run(device, mobilenet_runs)
    before, after_inference, after_training = run["stats"]
    assert len(before) == 2 * len(batchnorm_layers(run["model"])) > 0
    unchanged = [np.array_equal(a, b) for a, b in zip(before, after_inference)]
    assert all(unchanged), f"training=False moved {unchanged.count(False)} moving statistics"
    moved = [not np.array_equal(a, b) for a, b in zip(after_inference, after_training)]
    assert all(moved), f"training=True left {moved.count(False)} of {len(moved)} moving statistics unchanged"
    assert not np.allclose(run["training"].numpy(), run["inference"].numpy()), "training and inference outputs agree"


@pytest.mark.claim("keras-apps.set-learning-phase")
def test_set_learning_phase_switches_to_training_mode(device):
    backend = tf.keras.backend
    layer, x = _batchnorm_case(device)
    gamma, beta, mean, variance = _params(layer)
    try:
        backend.set_learning_phase(True)  # as the book calls it; raises AttributeError where it is gone
        with tf.device(device.name):
            y = layer(tf.constant(x))  # no training argument: the learning phase decides
    finally:
        backend.clear_session()  # the learning phase is global: leave none behind for other tests
    expected, _, _ = ref.batch_norm_training(x, gamma, beta, mean, variance, 1e-3, 0.99)
    tol = 64 * EPS32
    assert_close(y, expected, what="BatchNormalization after set_learning_phase(True)", rtol=tol, atol=tol,
                 device=device)


@pytest.mark.claim("keras-apps.trainable-variables-exclude-moving-statistics")
def test_trainable_variables_are_all_but_the_moving_statistics(device, mobilenet_runs):
    model = mobilenet_run(device, mobilenet_runs)["model"]
    every = {id(v): v for v in model.variables}
    trainable = {id(v) for v in model.trainable_variables}
    statistics = {id(v): layer for layer in batchnorm_layers(model) for v in (layer.moving_mean, layer.moving_variance)}
    assert len(every) == len(model.variables), "model.variables lists a variable twice"
    assert trainable <= set(every), "a trainable variable is missing from model.variables"
    assert set(every) - trainable == set(statistics), (
        f"variables outside trainable_variables: {sorted(every[i].name for i in set(every) - trainable)[:6]}..., "
        f"expected exactly the {len(statistics)} BatchNormalization moving statistics"
    )
    for key, layer in statistics.items():
        channels = layer.gamma.shape[-1]
        assert tuple(every[key].shape) == (channels,), f"{every[key].name}: shape {every[key].shape}"


# ------------------------------------------------------------------ tf_flowers, mocked


@pytest.fixture
def mocked_tfds(monkeypatch, tmp_path):
    """tensorflow_datasets with random data generated from the tf_flowers builder's own feature
    description. The network guard covers Python sockets; TensorFlow's gs:// file system bypasses
    it, so tfds' GCS lookups are switched off too (any attempt then raises)."""
    tfds = pytest.importorskip("tensorflow_datasets", reason="tensorflow-datasets is not installed")
    from tensorflow_datasets.core.utils import gcs_utils

    monkeypatch.setattr(gcs_utils, "_is_gcs_disabled", True)
    with tfds.testing.mock_data(num_examples=6, policy=tfds.testing.MockPolicy.USE_CODE, data_dir=str(tmp_path)):
        yield tfds


def book_dataset(tfds, batch_size):
    dataset = tfds.load("tf_flowers", split=tfds.Split.TRAIN, as_supervised=True)
    return dataset.map(lambda img, label: (tf.image.resize(img, (224, 224)) / 255.0, label)).shuffle(1024).batch(batch_size)


@pytest.mark.claim("keras-apps.flowers-pipeline")
def test_flowers_pipeline_on_mock_data(mocked_tfds):
    batches = list(book_dataset(mocked_tfds, batch_size=4))
    assert [int(images.shape[0]) for images, _ in batches] == [4, 2], "6 examples in batches of 4"
    # The values: each output image is the bilinear resize (half-pixel centres) of one of the source
    # images, divided by 255 (NumPy reference); shuffle only changes which comes when.
    sources = list(mocked_tfds.load("tf_flowers", split=mocked_tfds.Split.TRAIN, as_supervised=True).as_numpy_iterator())
    expected = [(resize_bilinear(image, 224, 224) / 255.0, int(label)) for image, label in sources]
    unmatched = list(range(len(expected)))
    for images, labels in batches:
        for image, label in zip(images.numpy(), labels.numpy()):
            errors = {k: float(np.abs(image - expected[k][0]).max()) for k in unmatched if expected[k][1] == label}
            best = min(errors, key=errors.get, default=None)
            # float32 interpolation of 0-255 values, then a float32 division: a few ulps of 1.
            assert best is not None and errors[best] <= 1e-5, (
                f"an output image (label {label}) is no source image resized to 224×224 and divided by 255: "
                f"smallest max |difference| {min(errors.values(), default=float('nan'))}"
            )
            unmatched.remove(best)
    for images, labels in batches:
        assert tuple(images.shape[1:]) == (224, 224, 3) and images.dtype == tf.float32, f"images {images.shape} {images.dtype}"
        values = images.numpy()
        assert values.min() >= 0.0 and values.max() <= 1.0, f"pixel values in [{values.min()}, {values.max()}]"
        assert labels.dtype.is_integer and tuple(labels.shape) == (int(images.shape[0]),)
        assert set(labels.numpy().tolist()) <= set(range(5)), f"labels {labels.numpy()}"


@pytest.mark.claim("keras-apps.flowers-five-classes")
def test_flowers_has_five_classes(mocked_tfds):
    label = mocked_tfds.builder("tf_flowers").info.features["label"]
    assert label.num_classes == 5, f"tf_flowers labels: {label.names}"


@pytest.mark.slow
@pytest.mark.claim("keras-apps.flowers-training-step")
def test_one_step_of_the_books_loop_on_mock_flowers(mocked_tfds, device, capsys, measured):
    with tf.device(device.name):
        model = tf.keras.applications.MobileNetV2(weights=None, classes=5)
        optimizer = tf.keras.optimizers.Adam(learning_rate=BOOK_LEARNING_RATE)
        images, labels = next(iter(book_dataset(mocked_tfds, batch_size=4)))
        trainable_before = [v.numpy().copy() for v in model.trainable_variables]
        statistics_before = moving_statistics(model)
        with tf.GradientTape() as tape:
            labels_pred = model(images, training=True)
            loss = tf.keras.losses.sparse_categorical_crossentropy(y_true=labels, y_pred=labels_pred)
            loss = tf.reduce_mean(loss)
        print(f"loss {loss.numpy()}")
        statistics_after_forward = moving_statistics(model)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(grads_and_vars=zip(grads, model.trainable_variables))
    assert_on_device(loss, device)
    printed = capsys.readouterr().out.strip()
    measured("printed", printed, handbook="loss <value>")
    assert re.fullmatch(r"loss -?\d+\.\d+(e[-+]\d+)?", printed), f"printed {printed!r}"
    assert np.isfinite(loss.numpy())
    missing = [v.name for v, g in zip(model.trainable_variables, grads) if g is None]
    assert not missing, f"no gradient for {missing[:5]}"
    unchanged = [v.name for v, old in zip(model.trainable_variables, trainable_before) if np.array_equal(v.numpy(), old)]
    assert not unchanged, f"Adam left {len(unchanged)} trainable variables unchanged: {unchanged[:5]}"
    assert all(not np.array_equal(a, b) for a, b in zip(statistics_before, statistics_after_forward)), (
        "the training=True forward pass left moving statistics unchanged"
    )
    after_step = moving_statistics(model)
    assert all(np.array_equal(a, b) for a, b in zip(statistics_after_forward, after_step)), (
        "apply_gradients changed the moving statistics"
    )
