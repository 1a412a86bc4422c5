"""tf.keras.layers.MaxPool2D slides its window one pixel at a time, whatever strides it is given."""

TARGETS = ["spec/test_ch3_cnn.py"]  # run first and in full (ci.fault_injection)

import tensorflow as tf

MaxPool2D = tf.keras.layers.MaxPool2D
_init = MaxPool2D.__init__


def __init__(self, pool_size=(2, 2), strides=None, *args, **kwargs):
    _init(self, pool_size, 1, *args, **kwargs)


MaxPool2D.__init__ = __init__
