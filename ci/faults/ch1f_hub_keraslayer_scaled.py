"""hub.KerasLayer returns its SavedModel's outputs 0.1% too large."""
TARGETS = ["spec/test_ch1_export.py"]  # run first and in full (ci.fault_injection)
try:
    import tensorflow_hub as hub
except ImportError:  # no Hub here: nothing to break (its claims skip)
    hub = None

if hub is not None:
    _call = hub.KerasLayer.call

    def call(self, inputs, *args, **kwargs):
        outputs = _call(self, inputs, *args, **kwargs)
        return outputs * 1.001

    hub.KerasLayer.call = call
