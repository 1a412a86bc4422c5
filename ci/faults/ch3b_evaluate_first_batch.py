"""Model.evaluate returns the loss and metrics of the first batch only instead of the whole data set."""

TARGETS = ["spec/test_ch3_keras_pipeline.py"]  # run first and in full (ci.fault_injection)

import tensorflow as tf

Model = tf.keras.Model
_evaluate = Model.evaluate


def evaluate(self, x=None, y=None, batch_size=None, *args, **kwargs):
    size = batch_size or 32  # Keras' default batch size
    if hasattr(x, "__getitem__") and hasattr(x, "shape"):
        x = x[:size]
        y = y[:size] if y is not None else None
    return _evaluate(self, x, y, batch_size, *args, **kwargs)


Model.evaluate = evaluate
