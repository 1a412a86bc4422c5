"""Model.save_weights writes zeros in place of every weight value, in every format."""
TARGETS = ["spec/test_ch4_checkpoint.py"]  # run first and in full (ci.fault_injection)
import numpy as np
import tensorflow as tf

_save_weights = tf.keras.Model.save_weights


def save_weights(self, filepath, *args, **kwargs):
    kept = [w.numpy() for w in self.weights]
    for w in self.weights:
        w.assign(np.zeros(w.shape, w.dtype.as_numpy_dtype if hasattr(w.dtype, "as_numpy_dtype") else w.dtype))
    try:
        return _save_weights(self, filepath, *args, **kwargs)
    finally:
        for w, value in zip(self.weights, kept):
            w.assign(value)


tf.keras.Model.save_weights = save_weights
