"""tf.data.Dataset.shuffle loses one element per pass over the data (the first one it would emit)."""
import tensorflow as tf

TARGETS = ["spec/test_ch1_data_pipeline.py"]

_shuffle = tf.data.Dataset.shuffle


def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=None, name=None):
    return _shuffle(self, buffer_size, seed=seed, reshuffle_each_iteration=reshuffle_each_iteration, name=name).skip(1)


tf.data.Dataset.shuffle = shuffle
