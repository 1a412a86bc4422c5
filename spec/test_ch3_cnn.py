"""三、TensorFlow模型建立与训练 / （三）卷积神经网络 / 1. 使用Keras实现卷积神经网络: the CNN's shape
comments, Conv2D (same and valid padding), MaxPool2D, the Reshape flattening, and the whole forward
pass against the NumPy reference. Training is in test_ch3_mnist_training.py (slow tier)."""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from reference import layers as ref
from spec.assertions import assert_close, assert_exact, assert_on_device
from spec.models_keras import CNN

EPS32 = float(np.finfo(np.float32).eps)


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(4).random((2, 28, 28, 1), dtype=np.float32)


def conv_bound(x, kernel, bias, padding):
    """Forward-error bound of a float32 convolution: (n+1)·eps·(|x| ⋆ |K| + |b|), n = kh·kw·cin terms."""
    n = kernel.shape[0] * kernel.shape[1] * kernel.shape[2]
    return (n + 1) * EPS32 * (ref.conv2d(np.abs(x), np.abs(kernel), np.abs(bias), padding))


@pytest.mark.claim("cnn.shape-comments")
def test_cnn_shape_comments(device, images):
    with tf.device(device.name):
        model = CNN()
        shapes, x = [], images
        for layer in (model.conv1, model.pool1, model.conv2, model.pool2, model.flatten, model.dense1, model.dense2):
            x = layer(x)
            shapes.append(tuple(x.shape))
        out = model(images)
    assert_on_device(out, device)
    expected = [(2, 28, 28, 32), (2, 14, 14, 32), (2, 14, 14, 64), (2, 7, 7, 64), (2, 7 * 7 * 64), (2, 1024), (2, 10)]
    assert shapes == expected, f"shapes along CNN.call: {shapes}"
    assert tuple(out.shape) == (2, 10)


@pytest.mark.claim("cnn.any-channel-count")
def test_cnn_takes_any_channel_count(device):
    x = np.random.default_rng(2).random((1, 28, 28, 3), dtype=np.float32)
    with tf.device(device.name):
        model = CNN()
        out = model(x)
    assert tuple(model.conv1.kernel.shape) == (5, 5, 3, 32) and tuple(out.shape) == (1, 10)


@pytest.mark.claim("cnn.conv2d-arguments")
def test_conv2d_filters_and_kernel_size(device):
    with tf.device(device.name):
        layer = tf.keras.layers.Conv2D(filters=32, kernel_size=[5, 5], padding="same",
                                       activation=tf.keras.activations.relu)
        y = layer(np.zeros((1, 9, 9, 2), np.float32))
    assert tuple(layer.kernel.shape) == (5, 5, 2, 32) and tuple(layer.bias.shape) == (32,)
    assert tuple(y.shape) == (1, 9, 9, 32)


def conv_case(device, padding, activation):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 9, 8, 3)).astype(np.float32)
    with tf.device(device.name):
        layer = tf.keras.layers.Conv2D(filters=4, kernel_size=[5, 5], padding=padding, activation=activation,
                                       bias_initializer="glorot_uniform")
        y = layer(x)
    assert_on_device(y, device)
    kernel, bias = layer.kernel.numpy().astype(np.float64), layer.bias.numpy().astype(np.float64)
    return x.astype(np.float64), kernel, bias, y


@pytest.mark.claim("cnn.conv2d-same")
def test_conv2d_same_padding(device):
    x, kernel, bias, y = conv_case(device, "same", tf.keras.activations.relu)
    assert tuple(y.shape) == (2, 9, 8, 4)
    expected = ref.conv2d(x, kernel, bias, "same", activation=ref.relu)
    assert_close(y, expected, rtol=0, atol=conv_bound(x, kernel, bias, "same"), what="Conv2D(padding='same', relu)",
                 device=device)


@pytest.mark.claim("cnn.conv2d-valid")
def test_conv2d_valid_padding(device):
    x, kernel, bias, y = conv_case(device, "valid", None)
    assert tuple(y.shape) == (2, 5, 4, 4)
    assert_close(y, ref.conv2d(x, kernel, bias, "valid"), rtol=0, atol=conv_bound(x, kernel, bias, "valid"),
                 what="Conv2D(padding='valid')", device=device)


@pytest.mark.claim("cnn.maxpool")
def test_maxpool(device):
    x = np.random.default_rng(9).standard_normal((2, 6, 6, 3)).astype(np.float32)
    with tf.device(device.name):
        y = tf.keras.layers.MaxPool2D(pool_size=[2, 2], strides=2)(x)
    assert_on_device(y, device)
    assert_exact(y, ref.maxpool2d(x).astype(np.float32), what="MaxPool2D 2×2 stride 2", device=device,
                 dtype=np.float32)


@pytest.mark.claim("cnn.reshape-flattens")
def test_reshape_flattens_row_major(device):
    x = np.arange(2 * 7 * 7 * 64, dtype=np.float32).reshape(2, 7, 7, 64)
    with tf.device(device.name):
        reshaped = tf.keras.layers.Reshape(target_shape=(7 * 7 * 64,))(x)
        flattened = tf.keras.layers.Flatten()(x)
    assert_exact(reshaped, ref.flatten(x), what="Reshape((3136,))", device=device, dtype=np.float32)
    assert_exact(reshaped, flattened, what="Reshape vs Flatten", device=device, dtype=np.float32)


@pytest.mark.claim("cnn.forward-matches-reference")
def test_cnn_forward_matches_reference(device, images):
    with tf.device(device.name):
        model = CNN()
        model(images)
        rng = np.random.default_rng(10)
        layers = (model.conv1, model.conv2, model.dense1, model.dense2)
        for layer in layers:  # non-zero biases, so a dropped bias would show
            layer.bias.assign(rng.uniform(-0.1, 0.1, layer.bias.shape).astype(np.float32))
        out = model(images)
    assert_on_device(out, device)
    weights = [v.numpy().astype(np.float64) for layer in layers for v in (layer.kernel, layer.bias)]
    expected = ref.cnn_forward(images.astype(np.float64), weights)
    # float32 through four layers (sums of up to 3136 terms): a few 1e-6 relative on the probabilities
    assert_close(out, expected, rtol=2e-5, atol=1e-7, what="CNN()(x) vs reference", device=device)
