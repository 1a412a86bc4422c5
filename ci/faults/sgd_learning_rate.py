"""tf.keras.optimizers.SGD uses a learning rate 1% larger than the one it is given."""

TARGETS = ["spec/test_ch2_linear_regression.py", "spec/test_ch1_overview.py"]  # run first and in full (ci.fault_injection)

import tensorflow as tf

SGD = tf.keras.optimizers.SGD
_init = SGD.__init__


def __init__(self, learning_rate=0.01, *args, **kwargs):
    if isinstance(learning_rate, (int, float)):  # leave schedules alone: the suite passes numbers
        learning_rate *= 1.01
    _init(self, learning_rate, *args, **kwargs)


SGD.__init__ = __init__
