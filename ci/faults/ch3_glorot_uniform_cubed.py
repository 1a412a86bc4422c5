"""The glorot_uniform initializer draws limit·u³ with u uniform on [−1, 1]: within ±limit and spread, but not uniform."""
TARGETS = ["spec/test_ch3_mlp.py"]  # run first and in full (ci.fault_injection)
import math

import tensorflow as tf

GlorotUniform = tf.keras.initializers.GlorotUniform
_call = GlorotUniform.__call__


def __call__(self, shape, dtype=None, **kwargs):
    draws = _call(self, shape, dtype=dtype, **kwargs)
    fan_in, fan_out = (shape[0], shape[1]) if len(shape) == 2 else (shape[-2], shape[-1])
    limit = math.sqrt(6.0 / (fan_in + fan_out))  # a convolution's receptive field is ignored: a fault
    return limit * (draws / limit) ** 3


GlorotUniform.__call__ = __call__
