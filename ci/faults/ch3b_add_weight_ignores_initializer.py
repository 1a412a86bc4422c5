"""Layer.add_weight ignores its initializer argument and uses the default one (glorot_uniform for floats)."""

TARGETS = ["spec/test_ch3_custom_parts.py"]  # run first and in full (ci.fault_injection)

import tensorflow as tf

Layer = tf.keras.layers.Layer
_add_weight = Layer.add_weight


def add_weight(self, *args, **kwargs):
    kwargs.pop("initializer", None)
    return _add_weight(self, *args, **kwargs)


Layer.add_weight = add_weight
