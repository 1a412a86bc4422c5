"""tf.train.Checkpoint.restore reads nothing and assigns nothing, and its status reports success."""
TARGETS = ["spec/test_ch4_checkpoint.py"]  # run first and in full (ci.fault_injection)
from tensorflow.python.checkpoint import checkpoint


class _NothingRestored:
    def assert_consumed(self):
        return self

    def assert_existing_objects_matched(self):
        return self

    def assert_nontrivial_match(self):
        return self

    def expect_partial(self):
        return self

    def run_restore_ops(self, session=None):
        return None

    def initialize_or_restore(self, session=None):
        return None


def restore(self, save_path, options=None):
    return _NothingRestored()


checkpoint.Checkpoint.restore = restore
