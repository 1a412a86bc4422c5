"""三、TensorFlow模型建立与训练 / （四）循环神经网络: the prose after the RNN class, "变换后的序列张量形状为
[seq_length, num_chars] … 在t时刻，将上一个时刻t-1的RNN单元状态state和序列的第t个元素inputs[t, :]送入RNN单元",
against what the book's call() (spec.models_rnn_rl.RNN) does with a batch from get_batch: the one-hot
tensor call() builds is observed by wrapping tf.one_hot for the duration of one forward pass, and the
cell's inputs are observed the same way on the LSTM cell."""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from spec import models_rnn_rl as M

NUM_CHARS = 57  # the corpus' distinct characters after .lower() (rnn.sorted-character-set)


@pytest.mark.claim("rnn.one-hot-shape-as-written")
def test_the_sequence_tensor_has_the_shape_the_prose_gives(monkeypatch, measured):
    model = M.RNN(num_chars=NUM_CHARS, batch_size=M.BATCH_SIZE, seq_length=M.SEQ_LENGTH)
    x = np.random.default_rng(3).integers(0, NUM_CHARS, size=(M.BATCH_SIZE, M.SEQ_LENGTH))  # get_batch's shape
    one_hot_shapes, cell_input_shapes = [], []
    real_one_hot = tf.one_hot

    def observed_one_hot(*args, **kwargs):
        result = real_one_hot(*args, **kwargs)
        one_hot_shapes.append(tuple(result.shape))
        return result

    model(x[:1].repeat(M.BATCH_SIZE, axis=0))  # build the cell and the dense layer first
    real_cell_call = model.cell.call

    def observed_cell_call(inputs, *args, **kwargs):
        cell_input_shapes.append(tuple(inputs.shape))
        return real_cell_call(inputs, *args, **kwargs)

    monkeypatch.setattr(tf, "one_hot", observed_one_hot)
    monkeypatch.setattr(model.cell, "call", observed_cell_call)
    model(x)
    monkeypatch.undo()
    assert len(one_hot_shapes) == 1, one_hot_shapes
    sequence = one_hot_shapes[0]
    measured("shape of the one-hot sequence in call()", list(sequence),
             handbook="[seq_length, num_chars] = [40, 57]", note=f"batch_size {M.BATCH_SIZE}")
    measured("shape of what the cell gets at each step", sorted({str(list(s)) for s in cell_input_shapes}))
    encoded = tf.one_hot(x, depth=NUM_CHARS)
    measured("shape of inputs[t, :] of that tensor", list(encoded[0, :].shape), note="t = 0")
    assert len(cell_input_shapes) == M.SEQ_LENGTH, f"the cell was called {len(cell_input_shapes)} times"
    assert set(cell_input_shapes) == {(M.BATCH_SIZE, NUM_CHARS)}, set(cell_input_shapes)
    assert sequence == (M.SEQ_LENGTH, NUM_CHARS), (
        f"the one-hot sequence tensor has shape {list(sequence)}, not [seq_length, num_chars] = "
        f"[{M.SEQ_LENGTH}, {NUM_CHARS}]: its first axis is the batch, so inputs[t, :] is example t, "
        f"shape {list(encoded[0, :].shape)}; the cell gets step t of every example, inputs[:, t, :]")
