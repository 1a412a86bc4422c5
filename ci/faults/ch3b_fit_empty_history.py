"""Model.fit trains but returns a History whose .history dict and .epoch list are empty."""

TARGETS = ["spec/test_ch3_keras_pipeline.py"]  # run first and in full (ci.fault_injection)

import tensorflow as tf

Model = tf.keras.Model
_fit = Model.fit


def fit(self, *args, **kwargs):
    history = _fit(self, *args, **kwargs)
    history.history = {}
    history.epoch = []
    return history


Model.fit = fit
