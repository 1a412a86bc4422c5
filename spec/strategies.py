"""Hypothesis strategies for the chapter 二 properties: small shapes, dtypes TF and NumPy share,
values bounded so integer results never overflow and float results stay finite."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

INT_DTYPES = (np.int32, np.int64)
FLOAT_DTYPES = (np.float16, np.float32, np.float64)
MAX_SIDE = 5


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 0):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=MAX_SIDE)


def elements(dtype, bound: float = 1000):
    dtype = np.dtype(dtype)
    if dtype.kind == "i":
        return st.integers(-int(bound), int(bound))
    # No subnormals: TensorFlow sets flush-to-zero on CPU, NumPy does not (see is_subnormal).
    return st.floats(
        -bound, bound, width=dtype.itemsize * 8, allow_nan=False, allow_infinity=False, allow_subnormal=False
    )


def arrays(dtype, shape, bound: float = 1000):
    return hnp.arrays(dtype, shape, elements=elements(dtype, bound))


dtypes = st.sampled_from(INT_DTYPES + FLOAT_DTYPES)
float_dtypes = st.sampled_from(FLOAT_DTYPES)


@st.composite
def same_shape_pair(draw, dtype=None, bound: float = 1000):
    dtype = draw(dtypes) if dtype is None else dtype
    shape = draw(shapes())
    return draw(arrays(dtype, shape, bound)), draw(arrays(dtype, shape, bound))


def is_subnormal(values: np.ndarray) -> np.ndarray:
    """Non-zero values below the dtype's smallest normal number (TF flushes these to zero on CPU)."""
    values = np.asarray(values)
    if values.dtype.kind != "f":
        return np.zeros(values.shape, bool)
    magnitude = np.abs(values)
    return (magnitude > 0) & (magnitude < np.finfo(values.dtype).tiny)
