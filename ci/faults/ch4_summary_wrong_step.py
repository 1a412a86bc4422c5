"""tf.summary.write (under tf.summary.scalar, text, image, audio) records every summary one step late."""
TARGETS = ["spec/test_ch4_tensorboard.py", "spec/test_ch4_examples.py"]  # run first and in full (ci.fault_injection)
import tensorflow as tf
from tensorflow.python.ops import summary_ops_v2

_write = summary_ops_v2.write


def write(tag, tensor, step=None, metadata=None, name=None):
    if step is not None:
        step = step + 1
    return _write(tag, tensor, step=step, metadata=metadata, name=name)


summary_ops_v2.write = write
tf.summary.write = write
tf.compat.v2.summary.write = write  # TensorBoard's summary functions call it through tf.compat.v2
