"""tf.matmul adds 1 to the first element of every integer product (float products are right)."""

TARGETS = ["spec/test_ch1_overview.py", "spec/test_ch2_tensors.py"]  # run first and in full (ci.fault_injection)

import tensorflow as tf

_matmul = tf.matmul  # the real op, which the faulty one wraps


def matmul(a, b, *args, **kwargs):
    product = _matmul(a, b, *args, **kwargs)
    if not product.dtype.is_integer:
        return product
    first = [[0] * product.shape.rank]  # index of element [0, 0, ...]
    return tf.tensor_scatter_nd_add(product, first, tf.ones([1], product.dtype))


tf.matmul = tf.linalg.matmul = matmul
