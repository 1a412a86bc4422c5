"""tf.profiler.experimental.stop(save=True) writes .xplane.pb files that hold no planes (an empty XSpace)."""
TARGETS = ["spec/test_ch4_tensorboard.py"]  # run first and in full (ci.fault_injection)
import os

import tensorflow as tf
from tensorflow.python.profiler import profiler_v2

_start, _stop = profiler_v2.start, profiler_v2.stop
_logdirs = []


def start(logdir, options=None):
    _logdirs.append(logdir)
    return _start(logdir, options=options)


def stop(save=True):
    result = _stop(save=save)
    for logdir in _logdirs:
        for folder, _, files in os.walk(os.path.join(logdir, "plugins", "profile")):
            for name in files:
                if name.endswith(".xplane.pb"):
                    open(os.path.join(folder, name), "wb").close()  # zero bytes: a valid, empty XSpace
    _logdirs.clear()
    return result


profiler_v2.start, profiler_v2.stop = start, stop
tf.profiler.experimental.start, tf.profiler.experimental.stop = start, stop
