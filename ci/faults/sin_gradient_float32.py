"""The gradient of tf.sin at float64 points is computed in float32 (cos x rounded to float32)."""

TARGETS = ["spec/test_ch2_autodiff.py"]  # run first and in full (ci.fault_injection)

import tensorflow as tf

_sin = tf.sin


@tf.custom_gradient
def _sin_with_low_precision_gradient(x):
    def grad(upstream):
        cos = tf.cos(x)
        if cos.dtype == tf.float64:
            cos = tf.cast(tf.cast(cos, tf.float32), tf.float64)
        return upstream * cos

    return _sin(x), grad


def sin(x, name=None):
    # Convert first: a tf.Variable read here is recorded on the tape, so its gradient still flows
    # through the custom gradient above (which only sees tensors).
    return _sin_with_low_precision_gradient(tf.convert_to_tensor(x))


tf.sin = tf.math.sin = sin
