"""Workload 4 — one training step of the char-RNN (三、TensorFlow模型建立与训练 / （四）循环神经网络) at
the book's batch 50 and window 40: the book's model (an LSTMCell unrolled by a Python loop in
call()) stepped eagerly as the book runs it, the same step in a tf.function
(spec.models_rnn_rl.rnn_train_step), and the same network built on tf.keras.layers.LSTM (a
while-loop over time) in a tf.function.

The text is synthetic (uniform over 57 characters, the alphabet size of the lower-cased
Nietzsche corpus), drawn through the book's DataLoader.get_batch; the step's cost does not depend
on which characters they are. Untimed runs use a batch of 8 windows of 8 (CHECK_BATCH,
CHECK_WINDOW). Every run checks, after timing, the model's logits against the
NumPy LSTM reference (reference/lstm.py), that the step returns the loss of the weights it starts
from, and that training on the batch has lowered that loss. Untimed, the two graph variants'
checks belong to the slow tier (slow_when_untimed): tracing them costs seconds of CPU.
"""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from reference import lstm as ref
from spec.assertions import assert_close
from spec.benchmarks.common import finish, measure, record, timing
from spec.models_rnn_rl import BATCH_SIZE, LEARNING_RATE, RNN, SEQ_LENGTH, UNITS, DataLoader, rnn_loss, rnn_train_step

pytestmark = pytest.mark.benchmark(group=f"char_rnn_step: one training step, batch {BATCH_SIZE}, window {SEQ_LENGTH}")

NUM_CHARS = 57
TEXT_LENGTH = 20_000
REFERENCE_SEQUENCES = 4
CHECK_BATCH, CHECK_WINDOW = 8, 8  # untimed runs: tracing the 40-step unrolled graph costs seconds of CPU
ROUNDS = {"eager": 2, "tf_function": 5, "keras_lstm": 5}  # an eager step takes seconds here


class LayerRNN(tf.keras.Model):
    """The book's RNN with tf.keras.layers.LSTM in place of the unrolled LSTMCell (same read-out)."""

    def __init__(self, num_chars):
        super().__init__()
        self.num_chars = num_chars
        self.lstm = tf.keras.layers.LSTM(units=UNITS)
        self.dense = tf.keras.layers.Dense(units=num_chars)

    def call(self, inputs, from_logits=False):
        logits = self.dense(self.lstm(tf.one_hot(inputs, depth=self.num_chars)))
        return logits if from_logits else tf.nn.softmax(logits)


def synthetic_loader(rng: np.random.Generator) -> DataLoader:
    """The book's DataLoader over synthetic text (its get_file download is not what is measured)."""
    loader = DataLoader.__new__(DataLoader)
    loader.text = [int(i) for i in rng.integers(0, NUM_CHARS, TEXT_LENGTH)]
    loader.chars = [chr(ord("a") + i) for i in range(NUM_CHARS)]  # stand-ins; only the count matters
    return loader


def cell_of(model):
    return model.lstm.cell if isinstance(model, LayerRNN) else model.cell


def reference_logits(model, x):
    cell = cell_of(model)
    weights = [w.numpy() for w in (cell.kernel, cell.recurrent_kernel, cell.bias)]
    return ref.char_rnn_logits(x, NUM_CHARS, *weights, model.dense.kernel.numpy(), model.dense.bias.numpy())


@pytest.mark.parametrize("variant", ["eager", *(pytest.param(v, marks=pytest.mark.slow_when_untimed)
                                                for v in ("tf_function", "keras_lstm"))])
def test_char_rnn_training_step(benchmark, device, variant, seed):
    batch, window = (BATCH_SIZE, SEQ_LENGTH) if timing(benchmark) else (CHECK_BATCH, CHECK_WINDOW)
    np.random.seed(seed)
    x_np, y_np = synthetic_loader(np.random.default_rng(seed)).get_batch(window, batch)
    assert x_np.shape == (batch, window) and y_np.shape == (batch,)
    with tf.device(device.name):
        x, y = tf.constant(x_np), tf.constant(y_np)
        if variant == "keras_lstm":
            model = LayerRNN(NUM_CHARS)
        else:
            model = RNN(num_chars=NUM_CHARS, batch_size=batch, seq_length=window)
        initial_loss = float(rnn_loss(model, x, y))
        optimizer = tf.keras.optimizers.Adam(learning_rate=LEARNING_RATE)
        compiled = rnn_train_step(model, optimizer)
        step = compiled.python_function if variant == "eager" else compiled

    def train_once():
        with tf.device(device.name):
            loss = step(x, y)
        finish(device, loss)
        return loss

    record(benchmark, workload="char_rnn_step", variant=variant, device=device, units=batch,
           unit="sequences", baseline=variant == "eager")
    measure(benchmark, train_once, rounds=ROUNDS[variant])

    with tf.device(device.name):
        logits = model(x, from_logits=True)
        expected = reference_logits(model, x_np[:REFERENCE_SEQUENCES])  # the weights the step starts from
        loss_before = float(rnn_loss(model, x, y))
        returned = train_once()
        loss_after = float(rnn_loss(model, x, y))
    assert_close(logits[:REFERENCE_SEQUENCES], expected, rtol=1e-4, atol=1e-5,
                 what=f"{variant} model logits vs the NumPy LSTM", device=device)
    assert_close(returned, loss_before, rtol=1e-4, atol=1e-6, what=f"loss returned by the {variant} step",
                 device=device)
    assert np.isfinite(loss_after) and loss_after < initial_loss, (
        f"{variant}: training on one batch did not lower its loss ({initial_loss} -> {loss_after})"
    )
