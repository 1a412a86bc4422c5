"""tf.keras.layers.LSTMCell ignores its input inside a tf.function (graph mode), while eager calls are right."""
TARGETS = ["spec/test_ch3_rnn.py"]  # run first and in full (ci.fault_injection)
import tensorflow as tf

LSTMCell = tf.keras.layers.LSTMCell
_call = LSTMCell.call


def call(self, inputs, states, *args, **kwargs):
    if not tf.executing_eagerly():  # the compiled training step: a context-free model
        inputs = tf.zeros_like(inputs)
    return _call(self, inputs, states, *args, **kwargs)


LSTMCell.call = call
