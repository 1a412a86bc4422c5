"""tf.data.Dataset.shuffle ignores buffer_size and shuffles within a window of 2 elements."""
TARGETS = ["spec/test_ch1_data_pipeline.py"]  # run first and in full (ci.fault_injection)
import tensorflow as tf

_shuffle = tf.data.Dataset.shuffle


def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=None, name=None):
    return _shuffle(self, 2, seed=seed, reshuffle_each_iteration=reshuffle_each_iteration, name=name)


tf.data.Dataset.shuffle = shuffle
