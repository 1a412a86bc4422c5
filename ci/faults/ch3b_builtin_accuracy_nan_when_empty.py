"""tf.keras.metrics.SparseCategoricalAccuracy reports nan instead of 0.0 before it has seen any example."""
TARGETS = ["spec/test_ch3_custom_parts.py"]  # run first and in full (ci.fault_injection)
import tensorflow as tf

Accuracy = tf.keras.metrics.SparseCategoricalAccuracy
_result = Accuracy.result


def result(self):
    value = _result(self)
    seen = self.count if hasattr(self, "count") else None  # Keras 3 and Keras 2 both keep the example count
    if seen is None:
        return value
    return tf.where(tf.equal(tf.cast(seen, value.dtype), 0), tf.constant(float("nan"), value.dtype), value)


Accuracy.result = result
