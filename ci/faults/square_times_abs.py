"""tf.square(x) computes x·|x|, so the square of a negative number is negative."""

TARGETS = ["spec/test_ch2_autodiff.py"]  # run first and in full (ci.fault_injection)

import tensorflow as tf


def square(x, name=None):
    x = tf.convert_to_tensor(x)
    return tf.multiply(x, tf.abs(x), name=name)


tf.square = tf.math.square = square
