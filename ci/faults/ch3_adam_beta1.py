"""tf.keras.optimizers.Adam defaults to beta_1 = 0.85 instead of 0.9."""

TARGETS = ["spec/test_ch3_mlp.py"]  # run first and in full (ci.fault_injection)

import tensorflow as tf

Adam = tf.keras.optimizers.Adam
_init = Adam.__init__


def __init__(self, learning_rate=0.001, *args, **kwargs):
    if not args and "beta_1" not in kwargs:
        kwargs["beta_1"] = 0.85
    _init(self, learning_rate, *args, **kwargs)


Adam.__init__ = __init__
