"""Chapter 三 (（一）–（三）1.): the layers, losses, metric and optimizers of the MLP and CNN, in NumPy.

float64 throughout unless the caller passes another dtype. Layouts are Keras': images NHWC, dense
kernels [in, out], convolution kernels [height, width, in_channels, out_channels].
"""
from __future__ import annotations

import numpy as np


# ---------------------------------------------------------------- layers

def dense(x, kernel, bias=None, activation=None):
    """activation(x @ kernel + bias); activation None is the identity (Dense's default)."""
    y = np.asarray(x) @ np.asarray(kernel)
    if bias is not None:
        y = y + np.asarray(bias)
    return y if activation is None else activation(y)


def relu(x):
    return np.maximum(x, 0)


def softmax(x, axis=-1):
    """exp(x) / Σ exp(x) along axis, shifted by the maximum so large inputs do not overflow."""
    x = np.asarray(x)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def flatten(x):
    """Keep the first (batch) axis, flatten the rest in row-major (C) order."""
    x = np.asarray(x)
    return x.reshape(x.shape[0], -1, order="C")


def _same_padding(size_in, kernel, stride):
    """TensorFlow's SAME padding: output ceil(n / stride); the odd padding pixel goes after."""
    size_out = -(-size_in // stride)
    total = max((size_out - 1) * stride + kernel - size_in, 0)
    return total // 2, total - total // 2


def conv2d(x, kernel, bias=None, padding="valid", stride=1, activation=None):
    """2-D cross-correlation (what Conv2D computes), NHWC input, kernel [kh, kw, cin, cout].

    padding "valid": no padding, output (H − kh)//stride + 1; "same": zeros around, output ceil(H/stride).
    """
    x = np.asarray(x)
    kernel = np.asarray(kernel)
    kh, kw, cin, cout = kernel.shape
    if x.shape[-1] != cin:
        raise ValueError(f"input has {x.shape[-1]} channels, kernel expects {cin}")
    if padding == "same":
        (top, bottom), (left, right) = _same_padding(x.shape[1], kh, stride), _same_padding(x.shape[2], kw, stride)
        x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    elif padding != "valid":
        raise ValueError(f"padding must be 'same' or 'valid', not {padding!r}")
    # windows: [N, H_out, W_out, C, kh, kw] views of the (padded) input
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::stride, ::stride]
    y = np.einsum("nhwcij,ijco->nhwo", windows, kernel)
    if bias is not None:
        y = y + np.asarray(bias)
    return y if activation is None else activation(y)


def maxpool2d(x, pool_size=2, stride=2):
    """Maximum over pool_size × pool_size windows taken every `stride` pixels (valid padding)."""
    x = np.asarray(x)
    windows = np.lib.stride_tricks.sliding_window_view(x, (pool_size, pool_size), axis=(1, 2))
    return windows[:, ::stride, ::stride].max(axis=(-2, -1))


# ---------------------------------------------------------------- losses and the metric

def categorical_crossentropy(y_true_one_hot, y_pred):
    """−Σ_c y_c · log(p_c / Σ p) per example (Keras normalises probabilities that do not sum to 1).

    Keras also clips p into [1e-7, 1 − 1e-7]; callers keep p inside that range, so no clipping here.
    """
    p = np.asarray(y_pred, dtype=np.float64)
    p = p / p.sum(axis=-1, keepdims=True)
    return -np.sum(np.asarray(y_true_one_hot) * np.log(p), axis=-1)


def sparse_categorical_crossentropy(y_true, y_pred):
    """−log(p[y] / Σ p) per example, y an integer class index."""
    p = np.asarray(y_pred, dtype=np.float64)
    p = p / p.sum(axis=-1, keepdims=True)
    y = np.asarray(y_true).astype(np.int64).reshape(-1)
    return -np.log(p[np.arange(p.shape[0]), y])


def one_hot(labels, num_classes):
    labels = np.asarray(labels).astype(np.int64)
    out = np.zeros((labels.size, num_classes))
    out[np.arange(labels.size), labels] = 1.0
    return out


def accuracy_update(state, y_true, y_pred):
    """SparseCategoricalAccuracy's running state (correct, seen) after one update_state call.

    An example counts as correct when the arg-max of its predicted probabilities is its label.
    """
    correct, seen = state
    hits = np.argmax(np.asarray(y_pred), axis=-1) == np.asarray(y_true).reshape(-1)
    return correct + int(hits.sum()), seen + hits.size


def accuracy_result(state):
    """result(): correct / seen over every example passed since the start (0 before any)."""
    correct, seen = state
    return correct / seen if seen else 0.0


# ---------------------------------------------------------------- optimizers

def sgd_step(param, grad, learning_rate):
    """θ ← θ − α·g."""
    return np.asarray(param) - learning_rate * np.asarray(grad)


def adam_step(param, grad, m, v, t, learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """One Adam update at step t (1-based), in the form Keras implements; returns (param, m, v).

    m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²,  α_t = α·√(1−β2^t)/(1−β1^t),
    θ ← θ − α_t·m/(√v + ε). The bias corrections sit in α_t, so ε is added to the uncorrected √v
    (Kingma & Ba's "ε-hat" form, section 2), not to √v̂ as in their Algorithm 1.
    """
    grad = np.asarray(grad, dtype=np.float64)
    m = beta_1 * m + (1 - beta_1) * grad
    v = beta_2 * v + (1 - beta_2) * grad**2
    alpha = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return np.asarray(param, dtype=np.float64) - alpha * m / (np.sqrt(v) + epsilon), m, v


def adam_run(param, grads, **hyper):
    """Apply adam_step for each gradient in turn from zero moments; return the parameters after each."""
    m = np.zeros_like(np.asarray(param, dtype=np.float64))
    v = np.zeros_like(m)
    out = []
    for t, grad in enumerate(grads, start=1):
        param, m, v = adam_step(param, grad, m, v, t, **hyper)
        out.append(param)
    return out


# ---------------------------------------------------------------- the handbook's two models

def mlp_forward(x, weights):
    """The MLP: flatten, dense(100, relu), dense(10), softmax. weights = [k1, b1, k2, b2]."""
    k1, b1, k2, b2 = weights
    hidden = dense(flatten(x), k1, b1, relu)
    return softmax(dense(hidden, k2, b2))


def cnn_forward(x, weights):
    """The CNN: conv5x5 same relu, pool, conv5x5 same relu, pool, flatten, dense relu, dense, softmax.

    weights = [conv1 kernel, conv1 bias, conv2 kernel, conv2 bias, k1, b1, k2, b2].
    """
    c1, cb1, c2, cb2, k1, b1, k2, b2 = weights
    x = maxpool2d(conv2d(x, c1, cb1, "same", activation=relu))
    x = maxpool2d(conv2d(x, c2, cb2, "same", activation=relu))
    x = dense(flatten(x), k1, b1, relu)
    return softmax(dense(x, k2, b2))


def mlp_loss_and_gradients(x, labels, weights):
    """The MLP's mean sparse cross-entropy over the batch and its gradient for [k1, b1, k2, b2].

    Gradient of the unclipped loss: d loss / d logits = (softmax − one_hot) / N (Keras' clipping to
    [1e-7, 1 − 1e-7] never binds for the callers' probabilities).
    """
    k1, b1, k2, b2 = (np.asarray(w, np.float64) for w in weights)
    flat = flatten(np.asarray(x, np.float64))
    z1 = flat @ k1 + b1
    hidden = relu(z1)
    p = softmax(hidden @ k2 + b2)
    n = flat.shape[0]
    labels = np.asarray(labels).astype(np.int64).reshape(-1)
    loss = float(np.mean(-np.log(p[np.arange(n), labels])))
    d_logits = (p - one_hot(labels, p.shape[1])) / n
    d_z1 = (d_logits @ k2.T) * (z1 > 0)
    return loss, [flat.T @ d_z1, d_z1.sum(axis=0), hidden.T @ d_logits, d_logits.sum(axis=0)]
