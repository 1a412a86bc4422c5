"""tf.keras.applications.MobileNetV2() never loads the ImageNet weights (weights=None whatever is asked), its signature unchanged."""
TARGETS = ["spec/test_ch3_applications.py"]  # run first and in full (ci.fault_injection)
import functools

import tensorflow as tf

_mobilenet_v2 = tf.keras.applications.MobileNetV2


@functools.wraps(_mobilenet_v2)
def MobileNetV2(*args, **kwargs):  # noqa: N802 - Keras' name
    kwargs["weights"] = None
    return _mobilenet_v2(*args, **kwargs)


tf.keras.applications.MobileNetV2 = MobileNetV2
