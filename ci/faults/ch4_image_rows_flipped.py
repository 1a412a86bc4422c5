"""tf.summary.image stores every image upside down (its PNGs encode the rows in reverse order)."""
TARGETS = ["spec/test_ch4_tensorboard.py"]  # run first and in full (ci.fault_injection)
import tensorflow as tf

_encode_png = tf.image.encode_png


def encode_png(image, compression=-1, name=None):
    return _encode_png(tf.reverse(image, axis=[-3]), compression=compression, name=name)


tf.image.encode_png = encode_png
tf.compat.v2.image.encode_png = encode_png  # TensorBoard's image summary calls it through tf.compat.v2
