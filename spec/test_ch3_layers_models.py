"""三、TensorFlow模型建立与训练 / （一）层与模型: the Layer / Model / Functional / Sequential hierarchy the
section prints, subclassed models with __init__ and call, model(x), and model.variables."""
from __future__ import annotations

import inspect

import numpy as np
import pytest
import tensorflow as tf

from reference import layers as ref
from spec.assertions import assert_close, assert_on_device
from spec.models_keras import CNN, MLP


def functional_class():
    """The class Keras gives a model built from inputs and outputs."""
    inputs = tf.keras.Input(shape=(3,))
    return type(tf.keras.Model(inputs=inputs, outputs=tf.keras.layers.Dense(2)(inputs)))


@pytest.mark.claim("models.module-in-c")
def test_tf_module_is_implemented_in_c(measured):
    source_file = inspect.getsourcefile(tf.Module)
    measured("tf.Module is defined in", source_file and source_file.split("site-packages/")[-1])
    assert source_file is None or not source_file.endswith(".py"), (
        f"tf.Module ({tf.Module.__module__}.{tf.Module.__qualname__}) is a Python class defined in {source_file}"
    )


@pytest.mark.claim("models.layer-subclasses-module")
def test_layer_subclasses_tf_module(measured):
    measured("bases of tf.keras.layers.Layer", [c.__module__ + "." + c.__qualname__ for c in tf.keras.layers.Layer.__mro__[1:]])
    assert issubclass(tf.keras.layers.Layer, tf.Module), (
        f"tf.keras.layers.Layer ({tf.keras.layers.Layer.__module__}) does not subclass tf.Module; its bases: "
        f"{[c.__module__ + '.' + c.__qualname__ for c in tf.keras.layers.Layer.__mro__[1:]]}"
    )


@pytest.mark.claim("models.model-subclasses-layer")
def test_model_subclasses_layer():
    assert issubclass(tf.keras.Model, tf.keras.layers.Layer)
    assert isinstance(MLP(), tf.keras.layers.Layer)


@pytest.mark.claim("models.functional-subclasses-model")
def test_functional_model_class():
    cls = functional_class()
    assert cls.__name__ == "Functional", f"tf.keras.Model(inputs, outputs) is a {cls.__module__}.{cls.__qualname__}"
    assert issubclass(cls, tf.keras.Model)


@pytest.mark.claim("models.sequential-subclasses-functional")
def test_sequential_subclasses_functional(measured):
    functional = functional_class()
    measured("bases of tf.keras.Sequential", [c.__module__ + "." + c.__qualname__ for c in tf.keras.Sequential.__mro__[1:]])
    assert issubclass(tf.keras.Sequential, functional), (
        f"tf.keras.Sequential's bases are {[c.__module__ + '.' + c.__qualname__ for c in tf.keras.Sequential.__mro__[1:4]]}, "
        f"not {functional.__module__}.Functional"
    )


@pytest.mark.claim("models.export-names")
def test_exported_names_are_the_same_classes():
    assert tf.keras.Model is tf.keras.models.Model
    assert tf.keras.Sequential is tf.keras.models.Sequential
    assert tf.keras.layers.Layer.__name__ == "Layer" and issubclass(tf.keras.layers.Dense, tf.keras.layers.Layer)


class Scale(tf.keras.layers.Layer):
    """A custom layer with a variable of its own: x · s, s starting at 2."""

    def build(self, input_shape):
        self.s = self.add_weight(name="s", shape=(input_shape[-1],), initializer=tf.keras.initializers.Constant(2.0))

    def call(self, inputs):
        return inputs * self.s


class MyModel(tf.keras.Model):
    """The section's template: layers declared in __init__, used in call, plus a method of its own."""

    def __init__(self, in_feats, out_feats, **kwargs):
        super(MyModel, self).__init__()
        self.layer1 = tf.keras.layers.Dense(out_feats, bias_initializer="glorot_uniform")
        self.layer2 = Scale()

    def call(self, input):  # noqa: A002  (the book's parameter name)
        x = self.layer1(input)
        return self.layer2(x)

    def kernel_norm(self):
        return tf.norm(self.layer1.kernel)


@pytest.mark.claim("models.subclass-init-call")
def test_subclassed_model_call(device):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    with tf.device(device.name):
        model = MyModel(3, 2)
        y = model(x)
    assert_on_device(y, device)
    kernel, bias, scale = (v.numpy().astype(np.float64) for v in (model.layer1.kernel, model.layer1.bias, model.layer2.s))
    expected = ref.dense(x.astype(np.float64), kernel, bias) * scale
    bound = 3 * np.finfo(np.float32).eps * (np.abs(x) @ np.abs(kernel) + np.abs(bias)) * np.abs(scale)
    assert_close(y, expected, rtol=0, atol=bound, what="MyModel()(x) vs call's layers", device=device)
    assert_close(model.kernel_norm(), np.linalg.norm(kernel), rtol=1e-6, what="custom method", device=device)


@pytest.mark.claim("models.variables-created-at-first-call")
def test_variables_exist_after_the_first_call():
    model = MLP()
    assert list(model.variables) == [], f"before any call: {[v.name for v in model.variables]}"
    model(np.zeros((2, 28, 28, 1), np.float32))
    first = list(model.variables)
    assert [tuple(v.shape) for v in first] == [(784, 100), (100,), (100, 10), (10,)]
    model(np.ones((3, 28, 28, 1), np.float32))
    assert len(model.variables) == 4 and all(a is b for a, b in zip(model.variables, first))


def layer_variables(*layers):
    return [v for layer in layers for v in (layer.kernel, layer.bias)]


@pytest.mark.claim("models.variables-lists-all")
def test_model_variables_lists_every_parameter():
    mlp, cnn, mine = MLP(), CNN(), MyModel(3, 2)
    mlp(np.zeros((1, 28, 28, 1), np.float32))
    cnn(np.zeros((1, 28, 28, 1), np.float32))
    mine(np.zeros((1, 3), np.float32))
    cases = {
        "MLP": (mlp, layer_variables(mlp.dense1, mlp.dense2)),
        "CNN": (cnn, layer_variables(cnn.conv1, cnn.conv2, cnn.dense1, cnn.dense2)),
        "MyModel": (mine, layer_variables(mine.layer1) + [mine.layer2.s]),
    }
    for name, (model, expected) in cases.items():
        got = model.variables  # an attribute, read without calling it
        assert isinstance(got, (list, tuple)), f"{name}.variables is a {type(got).__name__}"
        assert len(got) == len(expected) and all(any(g is e for g in got) for e in expected), (
            f"{name}.variables = {[v.name for v in got]}, expected {[v.name for v in expected]}"
        )
