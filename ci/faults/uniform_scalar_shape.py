"""tf.random.uniform(shape=()) returns a tensor of shape (1,) instead of a scalar."""

TARGETS = ["spec/test_ch2_tensors.py"]  # run first and in full (ci.fault_injection)

import tensorflow as tf

_uniform = tf.random.uniform


def uniform(*args, **kwargs):
    draws = _uniform(*args, **kwargs)
    return draws[tf.newaxis] if draws.shape.rank == 0 else draws


tf.random.uniform = uniform
