"""tf.reduce_sum over all axes (no axis=) returns float sums with a relative error of 1e-6."""

TARGETS = ["spec/test_ch2_tensors.py", "spec/test_ch2_autodiff.py"]  # run first and in full (ci.fault_injection)

import tensorflow as tf

_reduce_sum = tf.reduce_sum


def reduce_sum(input_tensor, axis=None, keepdims=False, name=None):
    total = _reduce_sum(input_tensor, axis=axis, keepdims=keepdims, name=name)
    # Rounds away in float16 (ε ≈ 1e-3): that dtype stays right, float32/64 do not.
    return total * (1 + 1e-6) if axis is None and total.dtype.is_floating else total


tf.reduce_sum = tf.math.reduce_sum = reduce_sum
