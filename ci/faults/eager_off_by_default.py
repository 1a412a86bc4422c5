"""TensorFlow starts in graph mode: eager execution is off until someone turns it on."""
import tensorflow as tf

tf.compat.v1.disable_eager_execution()
