"""三、TensorFlow模型建立与训练 / （七）自定义层、损失函数和评估指标 / 1. 自定义层: the comment inside the book's
build(), "如果已经可以完全确定输入的形状，也可以在__init__部分创建模型参数变量" — MyLinearLayer with its add_weight
calls moved from build() into __init__ (the input size given to the constructor), checked against the
NumPy reference and against what the book's lazily built layer does (spec/test_ch3_custom_parts.py)."""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from fixtures.tolerances import machine_epsilon
from reference import keras_custom as ref
from spec.assertions import assert_close, assert_exact, assert_on_device


class LinearWithWeightsInInit(tf.keras.layers.Layer):
    """MyLinearLayer, its parameters created in __init__ as the comment allows."""

    def __init__(self, units, input_dim):
        super().__init__()
        self.units = units
        self.w = self.add_weight(name="w", shape=[input_dim, units], initializer=tf.keras.initializers.glorot_normal())
        self.b = self.add_weight(name="b", shape=[units], initializer=tf.zeros_initializer())

    def call(self, inputs):
        return tf.matmul(inputs, self.w) + self.b


class TwoLayers(tf.keras.Model):
    def __init__(self):
        super().__init__()
        self.first = LinearWithWeightsInInit(units=5, input_dim=3)
        self.second = LinearWithWeightsInInit(units=2, input_dim=5)

    def call(self, inputs):
        return self.second(tf.nn.relu(self.first(inputs)))


def values(variables) -> list[np.ndarray]:
    return [np.array(v.numpy()) for v in variables]


@pytest.mark.claim("keras-custom.layer-weights-in-init")
def test_weights_created_in_init_exist_before_the_first_call(device, measured):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(4, 3)).astype(np.float32)
    with tf.device(device.name):
        layer = LinearWithWeightsInInit(units=5, input_dim=3)
        before = list(layer.trainable_variables)
        measured("trainable variables right after construction", [(v.name, tuple(v.shape)) for v in before])
        assert len(before) == 2 and before[0] is layer.w and before[1] is layer.b, (
            f"right after construction the layer's trainable variables are {before}, not [w, b]")
        assert tuple(layer.w.shape) == (3, 5) and tuple(layer.b.shape) == (5,), (layer.w.shape, layer.b.shape)
        assert_exact(layer.b, np.zeros(5, np.float32), what="b before any call", dtype=np.float32)
        layer.b.assign(rng.normal(size=5).astype(np.float32))  # zeros would hide a dropped bias
        y = layer(tf.constant(x))
    assert_on_device(y, device)
    after = list(layer.trainable_variables)
    assert len(after) == 2 and after[0] is layer.w and after[1] is layer.b, f"the first call changed the weights: {after}"
    assert layer.non_trainable_variables == []
    scale = np.abs(x) @ np.abs(layer.w.numpy()) + np.abs(layer.b.numpy())
    assert_close(y, ref.dense(x, layer.w.numpy(), layer.b.numpy()), what="layer(x) with weights made in __init__",
                 rtol=0, atol=8 * machine_epsilon(np.float32) * scale, device=device)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(tf.constant(x)))
    grads = tape.gradient(loss, [layer.w, layer.b])
    # d(sum(xw + b))/dw = xᵀ·1, /db = batch size: exactly representable here.
    assert_close(grads[0], x.T @ np.ones((4, 5), np.float32), what="dL/dw", rtol=0, atol=1e-5)
    assert_exact(grads[1], np.full(5, 4.0, np.float32), what="dL/db", dtype=np.float32)


@pytest.mark.claim("keras-custom.layer-weights-in-init")
def test_a_model_of_such_layers_saves_and_restores_before_any_call(tmp_path):
    model = TwoLayers()
    assert len(model.trainable_variables) == 4, (
        f"a model whose layers made their weights in __init__ tracks {len(model.trainable_variables)} variables "
        "before its first call, not 4")
    path = tf.train.Checkpoint(model=model).save(str(tmp_path / "ckpt"))
    fresh = TwoLayers()  # never called: the variables exist, so the restore applies at once
    tf.train.Checkpoint(model=fresh).restore(path).assert_existing_objects_matched()
    for got, want in zip(values(fresh.trainable_variables), values(model.trainable_variables)):
        assert_exact(got, want, what="restored weight", dtype=np.float32)
    x = tf.constant(np.random.default_rng(8).normal(size=(2, 3)).astype(np.float32))
    assert_exact(fresh(x), model(x), what="outputs of the restored model", dtype=np.float32)
