"""tf.reduce_max returns the mean inside a tf.function (graph mode), while eager calls are right."""
TARGETS = ["spec/test_ch3_dqn.py"]  # run first and in full (ci.fault_injection)
import tensorflow as tf

_reduce_max = tf.reduce_max


def reduce_max(input_tensor, axis=None, keepdims=False, name=None):
    if tf.executing_eagerly():
        return _reduce_max(input_tensor, axis=axis, keepdims=keepdims, name=name)
    return tf.reduce_mean(input_tensor, axis=axis, keepdims=keepdims, name=name)


tf.reduce_max = tf.math.reduce_max = reduce_max
