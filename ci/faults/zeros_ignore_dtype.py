"""tf.zeros ignores its dtype= argument and always returns float32."""

TARGETS = ["spec/test_ch2_tensors.py"]  # run first and in full (ci.fault_injection)

import tensorflow as tf

_zeros = tf.zeros


def zeros(shape, dtype=tf.float32, name=None, **kwargs):
    return _zeros(shape, dtype=tf.float32, name=name, **kwargs)


tf.zeros = zeros
