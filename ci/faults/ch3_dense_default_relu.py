"""tf.keras.layers.Dense defaults to a ReLU activation instead of none (the linear layer)."""

TARGETS = ["spec/test_ch3_layers_models.py", "spec/test_ch3_mlp.py"]  # run first and in full (ci.fault_injection)

import tensorflow as tf

Dense = tf.keras.layers.Dense
_init = Dense.__init__


def __init__(self, units, *args, **kwargs):
    if not args and "activation" not in kwargs:
        kwargs["activation"] = "relu"
    _init(self, units, *args, **kwargs)


Dense.__init__ = __init__
