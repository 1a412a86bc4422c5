"""tf.train.CheckpointManager.save ignores checkpoint_number and numbers every save by the save counter."""
TARGETS = ["spec/test_ch4_checkpoint_manager.py"]  # run first and in full (ci.fault_injection)
from tensorflow.python.checkpoint import checkpoint_management

_save = checkpoint_management.CheckpointManager.save


def save(self, checkpoint_number=None, check_interval=True, options=None):
    return _save(self, checkpoint_number=None, check_interval=check_interval, options=options)


checkpoint_management.CheckpointManager.save = save
