"""BatchNormalization always runs in inference mode: training=True (or a training learning phase) is ignored."""

TARGETS = ["spec/test_ch3_applications.py"]  # run first and in full (ci.fault_injection)

import inspect

import tensorflow as tf

BatchNormalization = tf.keras.layers.BatchNormalization
_call = BatchNormalization.call
_has_mask = "mask" in inspect.signature(_call).parameters

if _has_mask:  # Keras 3: call(inputs, training=None, mask=None)

    def call(self, inputs, training=None, mask=None):
        return _call(self, inputs, training=False, mask=mask)

else:  # Keras 2: call(inputs, training=None)

    def call(self, inputs, training=None):
        return _call(self, inputs, training=False)


BatchNormalization.call = call
