"""tf.keras.optimizers.Adam uses a learning rate 1% larger than the one it is given."""
TARGETS = ["spec/test_ch3_dqn.py"]  # run first and in full (ci.fault_injection)
import tensorflow as tf

Adam = tf.keras.optimizers.Adam
_init = Adam.__init__


def __init__(self, learning_rate=0.001, *args, **kwargs):
    if isinstance(learning_rate, (int, float)):  # leave schedules alone: the suite passes numbers
        learning_rate *= 1.01
    _init(self, learning_rate, *args, **kwargs)


Adam.__init__ = __init__
