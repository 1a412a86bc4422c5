"""tf.saved_model.load returns an object whose first float variable is 0.1% larger than the one saved."""
import tensorflow as tf

TARGETS = ["spec/test_ch1_export.py"]

_load = tf.saved_model.load


def load(export_dir, tags=None, options=None):
    loaded = _load(export_dir, tags=tags, options=options)
    variables = list(getattr(loaded, "variables", []))
    for function in getattr(loaded, "signatures", {}).values():  # a plain tf.Module has no .variables
        variables += list(function.variables)
    for variable in variables:
        if variable.dtype.is_floating:
            variable.assign(variable * 1.001)
            break
    return loaded


tf.saved_model.load = load
