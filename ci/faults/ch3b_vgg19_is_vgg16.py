"""tf.keras.applications.VGG19 builds VGG16."""
TARGETS = ["spec/test_ch3_applications.py"]  # run first and in full (ci.fault_injection)
import functools

import tensorflow as tf

_vgg16 = tf.keras.applications.VGG16


@functools.wraps(tf.keras.applications.VGG19)
def VGG19(*args, **kwargs):  # noqa: N802 - Keras' name
    return _vgg16(*args, **kwargs)


tf.keras.applications.VGG19 = VGG19
