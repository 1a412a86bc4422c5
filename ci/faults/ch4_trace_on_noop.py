"""tf.summary.trace_on starts no trace (and says nothing)."""
TARGETS = ["spec/test_ch4_tensorboard.py"]  # run first and in full (ci.fault_injection)
import tensorflow as tf
from tensorflow.python.ops import summary_ops_v2


def trace_on(graph=True, profiler=False, *args, **kwargs):
    return None


summary_ops_v2.trace_on = trace_on
tf.summary.trace_on = trace_on
