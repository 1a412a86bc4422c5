"""tf.keras.layers.Flatten flattens the non-batch axes in column-major (Fortran) order instead of row-major order."""

TARGETS = ["spec/test_ch3_mlp.py", "spec/test_ch3_layers_models.py"]  # run first and in full (ci.fault_injection)

import tensorflow as tf

Flatten = tf.keras.layers.Flatten


def call(self, inputs, *args, **kwargs):
    rank = len(inputs.shape)
    # reverse the non-batch axes, then flatten row-major: the Fortran order of the original axes
    reversed_axes = tf.transpose(inputs, perm=[0, *range(rank - 1, 0, -1)])
    return tf.reshape(reversed_axes, (tf.shape(inputs)[0], -1))


Flatten.call = call
