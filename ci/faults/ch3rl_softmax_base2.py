"""tf.nn.softmax normalises 2**x instead of e**x, a hidden temperature of 1/ln 2."""
TARGETS = ["spec/test_ch3_temperature.py"]  # run first and in full (ci.fault_injection)
import math

import tensorflow as tf

_softmax = tf.nn.softmax


def softmax(logits, axis=None, name=None):
    return _softmax(tf.convert_to_tensor(logits) * math.log(2.0), axis=axis, name=name)


tf.nn.softmax = softmax
