"""tf.multiply returns +0.0 where the float product is −0.0."""

TARGETS = ["spec/test_ch2_tensors.py"]  # run first and in full (ci.fault_injection)

import tensorflow as tf

_multiply = tf.multiply


def multiply(x, y, name=None):
    product = _multiply(x, y, name=name)
    if not product.dtype.is_floating:
        return product
    return tf.where(tf.equal(product, 0), tf.zeros_like(product), product)  # zeros_like is +0.0


tf.multiply = tf.math.multiply = multiply
