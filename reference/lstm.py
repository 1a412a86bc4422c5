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
