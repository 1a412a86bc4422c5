"""Keras 3 variables divide with tf.math.truediv, so an int32 variable divided by another is float64 instead of float32."""
TARGETS = ["spec/test_ch3_custom_parts.py"]  # run first and in full (ci.fault_injection)
import tensorflow as tf
from keras.src.backend.common.variables import Variable  # Keras 3 only: Keras 2 variables already divide so


def __truediv__(self, other):
    other = other.value if isinstance(other, Variable) else other
    return tf.math.truediv(tf.convert_to_tensor(self.value), other)


Variable.__truediv__ = __truediv__
