"""tf.reduce_sum along an axis returns float sums with a relative error of 1e-6 (full sums are right)."""

TARGETS = ["spec/test_ch2_tensors.py", "spec/test_ch2_linear_regression.py"]  # run first and in full (ci.fault_injection)

import tensorflow as tf

_reduce_sum = tf.reduce_sum


def reduce_sum(input_tensor, axis=None, keepdims=False, name=None):
    total = _reduce_sum(input_tensor, axis=axis, keepdims=keepdims, name=name)
    return total * (1 + 1e-6) if axis is not None and total.dtype.is_floating else total


tf.reduce_sum = tf.math.reduce_sum = reduce_sum
