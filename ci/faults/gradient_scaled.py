"""tf.GradientTape.gradient returns every gradient multiplied by 1.001."""

TARGETS = ["spec/test_ch2_autodiff.py"]  # run first and in full (ci.fault_injection)

import tensorflow as tf

_gradient = tf.GradientTape.gradient


def gradient(self, target, sources, *args, **kwargs):
    grads = _gradient(self, target, sources, *args, **kwargs)
    # None stands for "not connected" (an unwatched constant) and must stay None.
    return tf.nest.map_structure(lambda g: None if g is None else g * 1.001, grads)


tf.GradientTape.gradient = gradient
