"""tf.nn.softmax normalises along the first (batch) axis instead of the last when no axis is given."""

TARGETS = ["spec/test_ch3_mlp.py"]  # run first and in full (ci.fault_injection)

import tensorflow as tf

_softmax = tf.nn.softmax


def softmax(logits, axis=None, name=None):
    return _softmax(logits, axis=0 if axis is None else axis, name=name)


tf.nn.softmax = softmax
