"""tf.constant infers float64, not float32, for Python floats and lists of them when no dtype= is given."""

TARGETS = ["spec/test_ch2_tensors.py"]  # run first and in full (ci.fault_injection)

import numpy as np
import tensorflow as tf

_constant = tf.constant


def constant(value, dtype=None, shape=None, name="Const"):
    # NumPy arrays and tensors keep their own dtype; only Python values are inferred wrongly.
    if dtype is None and not isinstance(value, (np.ndarray, np.generic, tf.Tensor)):
        if np.asarray(value).dtype == np.float64:
            dtype = tf.float64
    return _constant(value, dtype=dtype, shape=shape, name=name)


tf.constant = constant
