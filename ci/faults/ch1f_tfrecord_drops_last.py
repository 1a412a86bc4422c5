"""tf.io.TFRecordWriter silently drops the last record written to each file."""
import tensorflow as tf

TARGETS = ["spec/test_ch1_data_pipeline.py"]

_Writer = tf.io.TFRecordWriter


class _DropsLast:
    # Holds each record back until the next one arrives; the one still held at close() is lost.
    def __init__(self, path, options=None):
        self._writer = _Writer(path, options)
        self._pending = None

    def write(self, record):
        if self._pending is not None:
            self._writer.write(self._pending)
        self._pending = record

    def flush(self):
        self._writer.flush()

    def close(self):
        self._pending = None
        self._writer.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


tf.io.TFRecordWriter = _DropsLast
