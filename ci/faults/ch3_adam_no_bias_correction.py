"""tf.keras.optimizers.Adam leaves out the bias correction: it steps by lr·m/(√v + ε) with the raw moment estimates."""

TARGETS = ["spec/test_ch3_mlp.py"]  # run first and in full (ci.fault_injection)

import tensorflow as tf

Adam = tf.keras.optimizers.Adam
_update_step = Adam.update_step


def update_step(self, gradient, variable, learning_rate):
    # Keras 3 puts both corrections into the step size, α_t = lr·√(1−β2^t)/(1−β1^t); undo them.
    t = tf.cast(self.iterations + 1, variable.dtype)
    beta_1 = tf.cast(self.beta_1, variable.dtype)
    beta_2 = tf.cast(self.beta_2, variable.dtype)
    undo = (1 - tf.pow(beta_1, t)) / tf.sqrt(1 - tf.pow(beta_2, t))
    return _update_step(self, gradient, variable, tf.cast(learning_rate, variable.dtype) * undo)


Adam.update_step = update_step
