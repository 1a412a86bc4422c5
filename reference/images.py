"""Image resizing in NumPy (三 / （三）2, the tf_flowers pipeline's tf.image.resize): bilinear
interpolation with half-pixel centres, without antialiasing, the default of TensorFlow 2's resize.

Output pixel i of n_out samples the input at u = (i + ½)·n_in/n_out − ½; below 0 it takes pixel 0,
otherwise it mixes pixels ⌊u⌋ and min(⌈u⌉, n_in − 1) with weight u − ⌊u⌋ on the second. Rows, then
columns (the result is the same either way: the interpolation is separable).
"""
from __future__ import annotations

import numpy as np


def _axis_weights(n_in: int, n_out: int):
    u = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
    lower_u = np.floor(u)
    lower = np.clip(lower_u, 0, n_in - 1).astype(np.int64)
    upper = np.clip(np.ceil(u), 0, n_in - 1).astype(np.int64)
    return lower, upper, u - lower_u


def resize_bilinear(image, height: int, width: int) -> np.ndarray:
    """image [h, w, channels] -> float64 [height, width, channels]."""
    image = np.asarray(image, dtype=np.float64)
    lower, upper, frac = _axis_weights(image.shape[0], height)
    rows = image[lower] + (image[upper] - image[lower]) * frac[:, None, None]
    lower, upper, frac = _axis_weights(image.shape[1], width)
    return rows[:, lower] + (rows[:, upper] - rows[:, lower]) * frac[None, :, None]
