"""SGD.apply_gradients updates only the first variable of the (gradient, variable) pairs."""

TARGETS = ["spec/test_ch2_linear_regression.py", "spec/test_ch1_overview.py"]  # run first and in full (ci.fault_injection)

import tensorflow as tf

SGD = tf.keras.optimizers.SGD
_apply = SGD.apply_gradients


def apply_gradients(self, grads_and_vars, *args, **kwargs):
    return _apply(self, list(grads_and_vars)[:1], *args, **kwargs)


SGD.apply_gradients = apply_gradients
