"""SGD.apply_gradients ascends: it applies θ + α·g instead of θ − α·g."""

TARGETS = ["spec/test_ch1_overview.py", "spec/test_ch2_linear_regression.py"]  # run first and in full (ci.fault_injection)

import tensorflow as tf

SGD = tf.keras.optimizers.SGD
_apply = SGD.apply_gradients


def apply_gradients(self, grads_and_vars, *args, **kwargs):
    return _apply(self, [(-g, v) for g, v in grads_and_vars], *args, **kwargs)


SGD.apply_gradients = apply_gradients
