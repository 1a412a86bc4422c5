"""tf.train.latest_checkpoint returns the save before the newest one (when there is one)."""
TARGETS = ["spec/test_ch4_checkpoint.py"]  # run first and in full (ci.fault_injection)
import os
import re

import tensorflow as tf
from tensorflow.python.checkpoint import checkpoint_management

_latest = checkpoint_management.latest_checkpoint


def latest_checkpoint(checkpoint_dir, latest_filename=None):
    newest = _latest(checkpoint_dir, latest_filename)
    if newest is None:
        return None
    state = checkpoint_management.get_checkpoint_state(checkpoint_dir, latest_filename)
    listed = list(state.all_model_checkpoint_paths)
    if len(listed) >= 2:
        return listed[-2]
    match = re.fullmatch(r"(.*)-(\d+)", newest)  # Checkpoint.save lists only its newest save
    if match and int(match[2]) > 1:
        older = f"{match[1]}-{int(match[2]) - 1}"
        if os.path.exists(older + ".index"):
            return older
    return newest


checkpoint_management.latest_checkpoint = latest_checkpoint
tf.train.latest_checkpoint = latest_checkpoint
tf.compat.v2.train.latest_checkpoint = latest_checkpoint
