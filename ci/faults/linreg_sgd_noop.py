"""SGD.apply_gradients leaves every variable unchanged."""
TARGETS = ["spec/test_ch2_linear_regression.py"]  # run first and in full (ci.fault_injection)
import tensorflow as tf

SGD = tf.keras.optimizers.SGD


def apply_gradients(self, grads_and_vars, *args, **kwargs):
    list(grads_and_vars)  # consumed, as the real method does, and then ignored
    return None


SGD.apply_gradients = apply_gradients
