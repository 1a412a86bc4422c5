"""fit()'s History callback records 0.0 for every accuracy metric of every epoch."""
TARGETS = ["spec/test_ch3_keras_pipeline.py"]  # run first and in full (ci.fault_injection)
import tensorflow as tf

History = tf.keras.callbacks.History
_on_epoch_end = History.on_epoch_end


def on_epoch_end(self, epoch, logs=None):
    logs = {key: (0.0 if "accuracy" in key else value) for key, value in (logs or {}).items()}
    return _on_epoch_end(self, epoch, logs)


History.on_epoch_end = on_epoch_end
