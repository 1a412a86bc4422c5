"""TFLiteConverter with Optimize.DEFAULT stores the Keras model's last Dense kernel as zeros, so the quantised model outputs a uniform distribution."""
TARGETS = ["spec/test_ch1_export.py"]  # run first and in full (ci.fault_injection)
import numpy as np
import tensorflow as tf

Converter = tf.lite.TFLiteConverter
_from_keras_model = Converter.from_keras_model


def from_keras_model(model):
    converter = _from_keras_model(model)
    convert = converter.convert

    def convert_quantised_wrongly():
        if tf.lite.Optimize.DEFAULT not in (converter.optimizations or []):
            return convert()
        kernel = [layer for layer in model.layers if isinstance(layer, tf.keras.layers.Dense)][-1].kernel
        kept = kernel.numpy()
        kernel.assign(np.zeros_like(kept))
        try:
            return convert()
        finally:
            kernel.assign(kept)

    converter.convert = convert_quantised_wrongly
    return converter


Converter.from_keras_model = staticmethod(from_keras_model)
