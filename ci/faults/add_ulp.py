"""tf.add returns float32 sums one unit in the last place too large."""

TARGETS = ["spec/test_ch2_tensors.py"]  # run first and in full (ci.fault_injection)

import numpy as np
import tensorflow as tf

_add = tf.add


def add(x, y, name=None):
    total = _add(x, y, name=name)
    if total.dtype != tf.float32:
        return total
    return tf.math.nextafter(total, tf.fill(tf.shape(total), np.float32(np.inf)))  # next float32 up


tf.add = tf.math.add = add
