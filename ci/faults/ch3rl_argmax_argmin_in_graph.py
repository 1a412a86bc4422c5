"""tf.argmax returns the index of the smallest value inside a tf.function (graph mode), while eager calls are right."""
TARGETS = ["spec/test_ch3_dqn.py"]  # run first and in full (ci.fault_injection)
import tensorflow as tf

_argmax, _argmin = tf.argmax, tf.argmin


def argmax(input, axis=None, output_type=tf.int64, name=None):  # noqa: A002 - TensorFlow's parameter name
    function = _argmax if tf.executing_eagerly() else _argmin
    return function(input, axis=axis, output_type=output_type, name=name)


tf.argmax = tf.math.argmax = argmax
