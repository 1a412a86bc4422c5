"""三、TensorFlow模型建立与训练 / （七）自定义层、损失函数和评估指标: the book's MyLinearLayer (build with
the first input's shape, add_weight with initialisers, variables created at the first call), its
MyMeanSquaredError and its MySparseCategoricalAccuracy, each against NumPy and the built-ins."""
from __future__ import annotations

import math

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fixtures.tolerances import machine_epsilon
from reference import keras_custom as ref
from reference.statistics import dkw_bound, ks_statistic_uniform
from spec.assertions import assert_close, assert_exact, assert_on_device


# ------------------------------------------------------------------ the book's classes, as written


class MyLinearLayer(tf.keras.layers.Layer):
    def __init__(self, units):
        super(MyLinearLayer, self).__init__()
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(
            name="w",
            shape=[input_shape[-1], self.units],
            initializer=tf.keras.initializers.glorot_normal(),
        )
        self.b = self.add_weight(name="b", shape=[self.units], initializer=tf.zeros_initializer())

    def call(self, inputs):
        y_pred = tf.matmul(inputs, self.w) + self.b
        return y_pred


class MyMeanSquaredError(tf.keras.losses.Loss):
    def call(self, y_true, y_pred):
        return tf.reduce_mean(tf.square(y_pred - y_true))


class MySparseCategoricalAccuracy(tf.keras.metrics.Metric):
    def __init__(self):
        super(MySparseCategoricalAccuracy, self).__init__()
        self.total = self.add_weight(name="total", dtype=tf.int32, initializer=tf.zeros_initializer())
        self.count = self.add_weight(name="count", dtype=tf.int32, initializer=tf.zeros_initializer())

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = tf.cast(tf.equal(y_true, tf.argmax(y_pred, axis=-1, output_type=tf.int32)), tf.int32)
        self.total.assign_add(tf.shape(y_true)[0])
        self.count.assign_add(tf.reduce_sum(values))

    def result(self):
        return self.count / self.total


class RecordingLinearLayer(MyLinearLayer):
    """The book's layer, noting each input_shape its build() receives."""

    def __init__(self, units):
        super().__init__(units)
        self.build_shapes = []

    def build(self, input_shape):
        self.build_shapes.append(input_shape)
        super().build(input_shape)


# ------------------------------------------------------------------ 1. 自定义层


def _first_two_calls(device):
    with tf.device(device.name):
        layer = RecordingLinearLayer(units=3)
        first = layer(tf.ones([2, 4]))
        layer(tf.ones([5, 4]))
    return layer, first


@pytest.mark.claim("keras-custom.layer-build-gets-first-input-shape")
def test_build_receives_the_first_calls_input_shape_once(device):
    layer, first = _first_two_calls(device)
    assert_on_device(first, device)
    assert len(layer.build_shapes) == 1, f"build ran {len(layer.build_shapes)} times over two calls"
    assert list(layer.build_shapes[0]) == [2, 4], f"build got {layer.build_shapes[0]!r}, the first input was (2, 4)"


@pytest.mark.claim("keras-custom.layer-build-gets-tensorshape")
def test_build_receives_a_tensorshape(device, measured):
    layer, _ = _first_two_calls(device)
    got = layer.build_shapes[0]
    measured("type build() receives", f"{type(got).__module__}.{type(got).__qualname__}", handbook="TensorShape")
    assert isinstance(got, tf.TensorShape), f"build got {type(got).__module__}.{type(got).__qualname__} {got!r}"


@pytest.mark.claim("keras-custom.layer-variables-created-lazily")
@pytest.mark.parametrize("in_dim, units", [(7, 4), (1, 2)])
def test_variables_appear_at_the_first_call_shaped_by_it(device, in_dim, units):
    with tf.device(device.name):
        layer = MyLinearLayer(units=units)
        assert layer.variables == [] and layer.trainable_variables == [], "variables exist before the first call"
        assert not hasattr(layer, "w") and not hasattr(layer, "b")
        y = layer(tf.ones([3, in_dim]))
    assert_on_device(y, device)
    assert [v is layer.w or v is layer.b for v in layer.trainable_variables] == [True, True]
    assert layer.trainable_variables[0] is layer.w and layer.trainable_variables[1] is layer.b
    assert tuple(layer.w.shape) == (in_dim, units), f"w shape {tuple(layer.w.shape)}"
    assert tuple(layer.b.shape) == (units,), f"b shape {tuple(layer.b.shape)}"
    assert layer.non_trainable_variables == []


@pytest.mark.claim("keras-custom.layer-initializers")
def test_add_weight_uses_the_glorot_normal_and_zeros_initializers(device):
    fan_in, fan_out = 300, 500
    with tf.device(device.name):
        layer = MyLinearLayer(units=fan_out)
        layer(tf.zeros([1, fan_in]))
    w = layer.w.numpy().astype(np.float64).ravel()
    assert_exact(layer.b, np.zeros(fan_out, np.float32), what="b after the first call", dtype=np.float32)
    target, bound = ref.glorot_normal_moments(fan_in, fan_out)
    n = w.size
    # The seeded draw against the distribution itself: KS distance within the DKW bound at a 1e-6
    # false-alarm rate (glorot_uniform, with the same variance, is 0.07 away), plus the moments.
    distance = ks_statistic_uniform(ref.glorot_normal_cdf(w, fan_in, fan_out))
    assert distance <= dkw_bound(n, 1e-6), f"w is not Glorot-normal: KS distance {distance:.4f}"
    assert np.max(np.abs(w)) <= bound * (1 + machine_epsilon(np.float32)), f"max |w| {np.max(np.abs(w))} > {bound}"
    assert abs(w.mean()) <= 5 * target / math.sqrt(n), f"mean of w {w.mean():.3g}"
    assert abs(w.std() / target - 1) <= 5 / math.sqrt(2 * n), f"std of w {w.std():.5f}, expected {target:.5f}"


@pytest.mark.claim("keras-custom.layer-call-linear")
def test_call_is_matmul_plus_bias(device):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 6)).astype(np.float32)
    with tf.device(device.name):
        layer = MyLinearLayer(units=3)
        layer(tf.zeros([1, 6]))
        layer.b.assign(rng.normal(size=3).astype(np.float32))  # zeros would hide a dropped bias
        y = layer(tf.constant(x))
    assert_on_device(y, device)
    expected = ref.dense(x, layer.w.numpy(), layer.b.numpy())
    # float32 dot products of length 6: error below 6·ε·Σ|x_i w_i| + ε·|b|.
    scale = np.abs(x) @ np.abs(layer.w.numpy()) + np.abs(layer.b.numpy())
    assert_close(y, expected, what="MyLinearLayer(x)", rtol=0, atol=8 * machine_epsilon(np.float32) * scale,
                 device=device)


# ------------------------------------------------------------------ 2. 自定义损失函数和评估指标

_feature_matrices = hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=5)


@pytest.mark.claim("keras-custom.loss-mean-squared-error")
@given(data=st.data())
def test_custom_mse_is_the_mean_of_squared_differences(data, device):
    shape = data.draw(_feature_matrices, label="shape")
    values = st.floats(-100, 100, width=32, allow_subnormal=False)
    y_true = data.draw(hnp.arrays(np.float32, shape, elements=values), label="y_true")
    y_pred = data.draw(hnp.arrays(np.float32, shape, elements=values), label="y_pred")
    with tf.device(device.name):
        got = MyMeanSquaredError()(tf.constant(y_true), tf.constant(y_pred))
        builtin = tf.keras.losses.MeanSquaredError()(tf.constant(y_true), tf.constant(y_pred))
    assert_on_device(got, device)
    expected = ref.mean_squared_error(y_true, y_pred)
    # float32: one rounding per difference and square, then a sum of at most 25 non-negative terms;
    # a square below float32's smallest normal number is flushed to zero on the CPU (atol).
    rtol = (y_true.size + 4) * machine_epsilon(np.float32)
    atol = float(np.finfo(np.float32).tiny)
    assert_close(got, expected, what="MyMeanSquaredError", rtol=rtol, atol=atol, device=device)
    assert_close(builtin, expected, what="tf.keras.losses.MeanSquaredError", rtol=rtol, atol=atol, device=device)


@st.composite
def labelled_batches(draw):
    """1-3 batches of int32 labels and float32 scores over one class count, with many tied scores.

    At least two classes: given (n, 1) scores, Keras 2's built-in squeezes them like a label column
    and fails for n != 1, so a single class has no built-in value to compare with there.
    """
    classes = draw(st.integers(2, 5), label="classes")
    batches = []
    for _ in range(draw(st.integers(1, 3), label="batches")):
        n = draw(st.integers(0, 6))
        labels = draw(hnp.arrays(np.int32, (n,), elements=st.integers(0, classes - 1)))
        # Few distinct values, so rows often have several equal maxima.
        scores = draw(hnp.arrays(np.float32, (n, classes), elements=st.sampled_from([0.0, 0.25, 1.0])))
        batches.append((labels, scores))
    return batches


@pytest.fixture(scope="module")
def metric_pairs():
    """Per device, the book's metric and the built-in one, reused across examples after
    reset_state(): creating Keras metrics costs more than updating them."""
    return {}


def _metric_pair(device, cache):
    if device.id not in cache:
        with tf.device(device.name):
            cache[device.id] = (MySparseCategoricalAccuracy(), tf.keras.metrics.SparseCategoricalAccuracy())
    return cache[device.id]


@pytest.mark.claim("keras-custom.metric-equals-builtin")
@given(batches=labelled_batches())
def test_custom_accuracy_equals_the_builtin_one(batches, device, metric_pairs):
    labels = np.concatenate([b[0] for b in batches])
    assume(labels.size > 0)  # no examples at all: keras-custom.metric-empty-result
    scores = np.concatenate([b[1] for b in batches])
    with tf.device(device.name):
        mine, builtin = _metric_pair(device, metric_pairs)
        mine.reset_state()
        builtin.reset_state()
        for y_true, y_pred in batches:
            mine.update_state(tf.constant(y_true), tf.constant(y_pred))
            builtin.update_state(tf.constant(y_true), tf.constant(y_pred))
        got, expected_tf = mine.result(), builtin.result()
    expected = ref.sparse_categorical_accuracy(labels, scores)
    assert_close(expected_tf, expected, what="tf.keras.metrics.SparseCategoricalAccuracy", device=device)
    # Both are the fraction correct / seen, each correctly rounded in its own dtype (no cast: the
    # book's dtype differs between Keras versions, keras-custom.metric-result-dtype).
    correct = int(np.sum(ref.argmax_first(scores) == labels))
    for name, value in (("MySparseCategoricalAccuracy", got.numpy()), ("the built-in", expected_tf.numpy())):
        assert value.dtype.kind == "f", f"{name} returned {value!r} of dtype {value.dtype}"
        fraction = np.divide(np.array(correct, value.dtype), np.array(labels.size, value.dtype))
        assert value == fraction, (
            f"{name} reports {value!r} ({value.dtype}), expected {correct}/{labels.size} = {fraction!r} "
            f"on labels {labels.tolist()} (built-in {expected_tf.numpy()!r}, book's {got.numpy()!r})"
        )


@pytest.mark.claim("keras-custom.metric-result-dtype")
def test_custom_accuracy_result_has_the_builtins_dtype(device, measured):
    labels, scores = np.array([0, 1, 1], np.int32), np.array([[1, 0], [0, 1], [1, 0]], np.float32)  # 2 of 3
    with tf.device(device.name):
        mine, builtin = MySparseCategoricalAccuracy(), tf.keras.metrics.SparseCategoricalAccuracy()
        for metric in (mine, builtin):
            metric.update_state(tf.constant(labels), tf.constant(scores))
        got, expected = mine.result(), builtin.result()
    measured("dtype of result()", got.dtype.name, handbook=expected.dtype.name, note=f"value {got.numpy()!r}")
    assert expected.dtype == tf.float32, f"the built-in's result is {expected.dtype.name}"
    assert got.dtype == expected.dtype, (
        f"MySparseCategoricalAccuracy.result() is {got.dtype.name} {got.numpy()!r}, the built-in's "
        f"{expected.dtype.name} {expected.numpy()!r}"
    )


@pytest.mark.claim("keras-custom.metric-empty-result")
def test_custom_accuracy_without_examples_reports_zero(device, measured):
    with tf.device(device.name):
        mine, builtin = MySparseCategoricalAccuracy(), tf.keras.metrics.SparseCategoricalAccuracy()
        fresh_builtin = float(builtin.result().numpy())
        empty = (tf.zeros([0], tf.int32), tf.zeros([0, 3], tf.float32))
        mine.update_state(*empty)
        builtin.update_state(*empty)
        got, expected = float(mine.result().numpy()), float(builtin.result().numpy())
    # The built-in first, before the book's value is recorded: a change there is not the book's deviation.
    assert fresh_builtin == 0.0 and expected == 0.0, f"the built-in reports {fresh_builtin} / {expected}"
    measured("result() without examples", got, handbook=expected)
    assert got == expected, f"MySparseCategoricalAccuracy without examples reports {got}, the built-in {expected}"
