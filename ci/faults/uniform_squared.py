"""tf.random.uniform returns u² for float draws: still in [0, 1) and distinct, but with mean 1/3."""

TARGETS = ["spec/test_ch2_tensors.py"]  # run first and in full (ci.fault_injection)

import tensorflow as tf

_uniform = tf.random.uniform


def uniform(*args, **kwargs):
    draws = _uniform(*args, **kwargs)
    return draws * draws if draws.dtype.is_floating else draws


tf.random.uniform = uniform
