"""tf.random.uniform on [0, 1) returns exactly 1.0 for the top 0.01% of its float draws."""

TARGETS = ["spec/test_ch2_tensors.py"]  # run first and in full (ci.fault_injection)

import tensorflow as tf

_uniform = tf.random.uniform


def uniform(shape, minval=0, maxval=None, dtype=tf.float32, seed=None, name=None):
    draws = _uniform(shape, minval=minval, maxval=maxval, dtype=dtype, seed=seed, name=name)
    if maxval is not None or not draws.dtype.is_floating:
        return draws
    # So few draws move that the distribution test cannot see it: only the range check can.
    return tf.where(draws >= 1 - 1e-4, tf.ones_like(draws), draws)


tf.random.uniform = uniform
