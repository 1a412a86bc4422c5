"""TensorFlow starts in graph mode: eager execution is off until someone turns it on."""

TARGETS = ["spec/test_ch2_tensors.py", "spec/test_ch1_overview.py"]  # run first and in full (ci.fault_injection)

import tensorflow as tf

tf.compat.v1.disable_eager_execution()
