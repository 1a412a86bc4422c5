"""tf.keras.layers.Softmax normalises along the batch axis instead of the last axis."""
TARGETS = ["spec/test_ch3_keras_pipeline.py"]  # run first and in full (ci.fault_injection)
import tensorflow as tf

Softmax = tf.keras.layers.Softmax


def call(self, inputs, *args, **kwargs):
    return tf.exp(inputs) / tf.reduce_sum(tf.exp(inputs), axis=0, keepdims=True)


Softmax.call = call
