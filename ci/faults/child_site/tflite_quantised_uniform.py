"""The fault of ci.faults.ch1f_tflite_quantised_uniform, shared by the test process and child Pythons
(the suite converts to TF Lite in a child process): patch(TFLiteConverter) makes from_keras_model's
converter, when asked for Optimize.DEFAULT, convert with the model's last Dense kernel set to zeros."""
import numpy as np


def patch(converter_class):
    original = converter_class.from_keras_model

    def from_keras_model(model):
        converter = original(model)
        convert = converter.convert

        def convert_quantised_wrongly():
            import tensorflow as tf

            if tf.lite.Optimize.DEFAULT not in (converter.optimizations or []):
                return convert()
            kernel = [layer for layer in model.layers if hasattr(layer, "kernel")][-1].kernel
            kept = kernel.numpy()
            kernel.assign(np.zeros_like(kept))
            try:
                return convert()
            finally:
                kernel.assign(kept)

        converter.convert = convert_quantised_wrongly
        return converter

    converter_class.from_keras_model = staticmethod(from_keras_model)
