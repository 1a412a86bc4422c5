"""Char-RNN forward pass in NumPy (float64): one-hot, the LSTM cell, the dense read-out, softmax and
the sparse cross-entropy of 三、TensorFlow模型建立与训练 / （四）循环神经网络.

Weights use Keras' layout so a test can copy them in: kernel [input_dim, 4·units], recurrent kernel
[units, 4·units], bias [4·units], gates in the order input, forget, cell candidate, output
(Hochreiter & Schmidhuber 1997 with the forget gate of Gers et al. 2000). Activations: sigmoid for
the gates, tanh for the candidate and the output.
"""
from __future__ import annotations

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    # Split by sign so exp never overflows.
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    e = np.exp(z[~pos])
    out[~pos] = e / (1.0 + e)
    return out


def one_hot(indices, depth: int) -> np.ndarray:
    """indices [...] -> [..., depth] with a 1 at each index (out-of-range indices give all zeros)."""
    indices = np.asarray(indices)
    return (indices[..., None] == np.arange(depth)).astype(np.float64)


def lstm_cell_step(x, h, c, kernel, recurrent_kernel, bias):
    """One LSTM step: returns (output, (h_new, c_new)); the output is h_new."""
    x, h, c = (np.asarray(a, dtype=np.float64) for a in (x, h, c))
    z = x @ np.asarray(kernel, np.float64) + h @ np.asarray(recurrent_kernel, np.float64) + np.asarray(bias, np.float64)
    units = h.shape[-1]
    z_i, z_f, z_c, z_o = (z[..., k * units:(k + 1) * units] for k in range(4))
    i, f, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o)
    c_new = f * c + i * np.tanh(z_c)
    h_new = o * np.tanh(c_new)
    return h_new, (h_new, c_new)


def softmax(z, axis: int = -1) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def char_rnn_logits(indices, num_chars: int, kernel, recurrent_kernel, bias, dense_kernel, dense_bias):
    """indices [batch, seq_length] -> logits [batch, num_chars]: the cell unrolled from the zero state
    over the one-hot sequence, the dense layer applied to the last output."""
    inputs = one_hot(indices, num_chars)
    batch, seq_length = inputs.shape[0], inputs.shape[1]
    units = np.shape(recurrent_kernel)[0]
    h = np.zeros((batch, units))
    c = np.zeros((batch, units))
    output = h
    for t in range(seq_length):
        output, (h, c) = lstm_cell_step(inputs[:, t, :], h, c, kernel, recurrent_kernel, bias)
    return output @ np.asarray(dense_kernel, np.float64) + np.asarray(dense_bias, np.float64)


def sparse_categorical_crossentropy(y_true, probs, eps: float = 1e-7) -> np.ndarray:
    """−log p[y] per row, with Keras' clipping of probabilities to [eps, 1 − eps] after renormalising."""
    probs = np.asarray(probs, dtype=np.float64)
    probs = probs / probs.sum(axis=-1, keepdims=True)
    probs = np.clip(probs, eps, 1 - eps)
    y_true = np.asarray(y_true).astype(np.int64)
    return -np.log(probs[np.arange(len(y_true)), y_true])


def char_rnn_loss_and_gradients(indices, targets, num_chars: int, kernel, recurrent_kernel, bias, dense_kernel,
                                dense_bias):
    """The training loss, mean over the batch of −log softmax(logits)[target], and its gradient for
    each of the five weights (kernel, recurrent kernel, bias, dense kernel, dense bias), by
    back-propagation through time from the zero state.

    The gradient is that of the unclipped cross-entropy: Keras' clipping to [1e-7, 1 − 1e-7] only
    matters for probabilities that far out, and the callers' are not (it raises if they are).
    """
    kernel, recurrent_kernel, bias, dense_kernel, dense_bias = (
        np.asarray(w, np.float64) for w in (kernel, recurrent_kernel, bias, dense_kernel, dense_bias))
    inputs = one_hot(indices, num_chars)
    batch, seq_length = inputs.shape[0], inputs.shape[1]
    units = recurrent_kernel.shape[0]
    h, c = np.zeros((batch, units)), np.zeros((batch, units))
    steps = []  # per step: x, h_prev, c_prev, gates (i, f, g, o), c_new
    for t in range(seq_length):
        x = inputs[:, t, :]
        z = x @ kernel + h @ recurrent_kernel + bias
        i, f = sigmoid(z[:, :units]), sigmoid(z[:, units:2 * units])
        g, o = np.tanh(z[:, 2 * units:3 * units]), sigmoid(z[:, 3 * units:])
        c_new = f * c + i * g
        steps.append((x, h, c, i, f, g, o, c_new))
        h, c = o * np.tanh(c_new), c_new
    logits = h @ dense_kernel + dense_bias
    probs = softmax(logits)
    targets = np.asarray(targets).astype(np.int64).reshape(-1)
    chosen = probs[np.arange(batch), targets]
    if np.any(chosen < 1e-7) or np.any(chosen > 1 - 1e-7):
        raise ValueError("a target probability is outside Keras' clipping range; the gradient would differ")
    loss = float(np.mean(-np.log(chosen)))
    d_logits = (probs - np.eye(num_chars)[targets]) / batch
    g_dense_kernel, g_dense_bias = h.T @ d_logits, d_logits.sum(axis=0)
    d_h, d_c = d_logits @ dense_kernel.T, np.zeros((batch, units))
    g_kernel, g_recurrent, g_bias = np.zeros_like(kernel), np.zeros_like(recurrent_kernel), np.zeros_like(bias)
    for x, h_prev, c_prev, i, f, g, o, c_new in reversed(steps):
        tanh_c = np.tanh(c_new)
        d_c = d_c + d_h * o * (1 - tanh_c**2)
        d_z = np.concatenate([d_c * g * i * (1 - i), d_c * c_prev * f * (1 - f), d_c * i * (1 - g**2),
                              d_h * tanh_c * o * (1 - o)], axis=1)
        g_kernel += x.T @ d_z
        g_recurrent += h_prev.T @ d_z
        g_bias += d_z.sum(axis=0)
        d_h, d_c = d_z @ recurrent_kernel.T, d_c * f
    return loss, [g_kernel, g_recurrent, g_bias, g_dense_kernel, g_dense_bias]
