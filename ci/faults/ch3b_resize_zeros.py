"""tf.image.resize returns an image of zeros of the requested size."""
TARGETS = ["spec/test_ch3_applications.py"]  # run first and in full (ci.fault_injection)
import tensorflow as tf

_resize = tf.image.resize


def resize(images, size, *args, **kwargs):
    return tf.zeros_like(_resize(images, size, *args, **kwargs))


tf.image.resize = resize
