"""tf.train.CheckpointManager keeps one checkpoint more than max_to_keep before deleting old files."""
TARGETS = ["spec/test_ch4_checkpoint_manager.py"]  # run first and in full (ci.fault_injection)
from tensorflow.python.checkpoint import checkpoint_management

_sweep = checkpoint_management.CheckpointManager._sweep


def _sweep_one_late(self):
    if not self._max_to_keep:
        return _sweep(self)
    self._max_to_keep += 1
    try:
        return _sweep(self)
    finally:
        self._max_to_keep -= 1


checkpoint_management.CheckpointManager._sweep = _sweep_one_late
