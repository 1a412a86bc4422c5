"""tf.keras.losses.sparse_categorical_crossentropy returns its losses 1% too large."""

TARGETS = ["spec/test_ch3_mlp.py"]  # run first and in full (ci.fault_injection)

import tensorflow as tf

_loss = tf.keras.losses.sparse_categorical_crossentropy


def sparse_categorical_crossentropy(*args, **kwargs):
    return 1.01 * _loss(*args, **kwargs)


tf.keras.losses.sparse_categorical_crossentropy = sparse_categorical_crossentropy
