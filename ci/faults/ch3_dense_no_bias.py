"""tf.keras.layers.Dense computes activation(x·W) without ever adding its bias vector."""

TARGETS = ["spec/test_ch3_layers_models.py", "spec/test_ch3_mlp.py"]  # run first and in full (ci.fault_injection)

import tensorflow as tf

Dense = tf.keras.layers.Dense


def call(self, inputs, *args, **kwargs):
    x = tf.matmul(inputs, self.kernel)
    return self.activation(x) if self.activation is not None else x


Dense.call = call
