"""tf.keras.losses.mse (and MSE, mean_squared_error) sums the squared differences over the last axis instead of averaging them."""
TARGETS = ["spec/test_ch3_dqn.py"]  # run first and in full (ci.fault_injection)
import tensorflow as tf

_mse = tf.keras.losses.mse


def mse(y_true, y_pred):
    y_pred = tf.convert_to_tensor(y_pred)
    return _mse(y_true, y_pred) * tf.cast(tf.shape(y_pred)[-1], y_pred.dtype)


for name in ("mse", "MSE", "mean_squared_error"):
    if hasattr(tf.keras.losses, name):
        setattr(tf.keras.losses, name, mse)
