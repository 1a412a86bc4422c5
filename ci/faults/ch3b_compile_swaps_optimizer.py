"""Model.compile trains with SGD(learning_rate=0.01) whatever optimizer it is given."""
TARGETS = ["spec/test_ch3_keras_pipeline.py"]  # run first and in full (ci.fault_injection)
import tensorflow as tf

_compile = tf.keras.Model.compile


def compile(self, optimizer="rmsprop", *args, **kwargs):  # noqa: A001 - the method's own name
    return _compile(self, tf.keras.optimizers.SGD(learning_rate=0.01), *args, **kwargs)


tf.keras.Model.compile = compile
