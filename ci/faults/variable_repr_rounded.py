"""A scalar float tf.Variable prints its value rounded to 3 decimals (numpy=0.959)."""

TARGETS = ["spec/test_ch2_linear_regression.py", "spec/test_ch2_autodiff.py"]  # run first and in full (ci.fault_injection)

# tf.Variable instances are ResourceVariables, whose repr lives on a class TensorFlow does not export.
from tensorflow.python.ops.resource_variable_ops import BaseResourceVariable

_repr = BaseResourceVariable.__repr__


def __repr__(self):
    text = _repr(self)
    if self.shape.rank != 0 or not self.dtype.is_floating or "numpy=" not in text:
        return text
    head = text[: text.index("numpy=")]
    return f"{head}numpy={round(float(self.numpy()), 3)}>"


BaseResourceVariable.__repr__ = __repr__
