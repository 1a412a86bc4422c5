"""tf.keras.metrics.SparseCategoricalAccuracy forgets earlier batches: every update_state call resets its counts first."""

TARGETS = ["spec/test_ch3_mlp.py", "spec/test_ch3_custom_parts.py"]  # run first and in full (ci.fault_injection)

import tensorflow as tf

Accuracy = tf.keras.metrics.SparseCategoricalAccuracy
_update_state = Accuracy.update_state


def update_state(self, *args, **kwargs):
    self.reset_state()
    return _update_state(self, *args, **kwargs)


Accuracy.update_state = update_state
