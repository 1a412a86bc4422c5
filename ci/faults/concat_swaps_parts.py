"""tf.concat joins its first two parts in swapped order."""

TARGETS = ["spec/test_ch2_autodiff.py", "spec/test_ch2_tensors.py"]  # run first and in full (ci.fault_injection)

import tensorflow as tf

_concat = tf.concat


def concat(values, axis, name="concat"):
    values = list(values)
    if len(values) >= 2:
        values[0], values[1] = values[1], values[0]
    return _concat(values, axis, name=name)


tf.concat = concat
