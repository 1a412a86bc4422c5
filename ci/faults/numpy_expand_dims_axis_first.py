"""np.expand_dims(a, axis=-1) inserts the new axis first instead of last (a NumPy fault, in the library the book's MNISTLoader uses)."""
TARGETS = ["spec/test_ch3_mlp.py"]  # run first and in full (ci.fault_injection)
# The loader's claims (三（二）1) check the book's NumPy code, which no TensorFlow fault reaches; the
# suite still answers whether the installed NumPy does what the book's lines rely on.
import numpy as np

_expand_dims = np.expand_dims


def expand_dims(a, axis):
    return _expand_dims(a, 0 if axis == -1 else axis)


np.expand_dims = expand_dims
