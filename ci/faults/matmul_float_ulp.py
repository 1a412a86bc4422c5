"""tf.matmul returns float16/32/64 products one unit in the last place too large (times 1 + ε)."""

TARGETS = ["spec/test_ch2_tensors.py"]  # run first and in full (ci.fault_injection)

import numpy as np
import tensorflow as tf

_matmul = tf.matmul
_FLOATS = (tf.float16, tf.float32, tf.float64)  # bfloat16 etc. have no np.finfo; the suite uses these three


def matmul(a, b, *args, **kwargs):
    product = _matmul(a, b, *args, **kwargs)
    if product.dtype not in _FLOATS:
        return product
    return product * (1 + np.finfo(product.dtype.as_numpy_dtype).eps)


tf.matmul = tf.linalg.matmul = matmul
