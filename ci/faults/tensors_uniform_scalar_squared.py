"""tf.random.uniform(shape=()) returns u² for scalar float draws: in [0, 1) and distinct, but not uniform (vector draws are right)."""
TARGETS = ["spec/test_ch2_tensors.py"]  # run first and in full (ci.fault_injection)
import tensorflow as tf

_uniform = tf.random.uniform


def uniform(shape, *args, **kwargs):
    draws = _uniform(shape, *args, **kwargs)
    return draws * draws if draws.shape.rank == 0 and draws.dtype.is_floating else draws


tf.random.uniform = uniform
