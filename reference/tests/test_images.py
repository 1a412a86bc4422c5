"""Bilinear resizing with half-pixel centres against values worked out by hand."""
import numpy as np

from reference.images import resize_bilinear


def test_same_size_is_the_identity():
    image = np.arange(12.0).reshape(2, 3, 2)
    assert np.array_equal(resize_bilinear(image, 2, 3), image)


def test_doubling_a_row_by_hand():
    # 2 → 4 columns: u = (i + ½)/2 − ½ = −0.25, 0.25, 0.75, 1.25 → pixel 0, ¾·a + ¼·b, ¼·a + ¾·b, b.
    image = np.array([[[0.0], [4.0]]])
    assert np.allclose(resize_bilinear(image, 1, 4)[0, :, 0], [0.0, 1.0, 3.0, 4.0], rtol=0, atol=1e-15)


def test_halving_averages_pairs():
    # 4 → 2: u = 0.5 and 2.5, the midpoints of pixels (0, 1) and (2, 3).
    image = np.array([[[0.0], [2.0], [10.0], [20.0]]])
    assert np.allclose(resize_bilinear(image, 1, 2)[0, :, 0], [1.0, 15.0], rtol=0, atol=1e-15)


def test_constant_images_stay_constant():
    image = np.full((5, 7, 3), 200.0)
    assert np.array_equal(resize_bilinear(image, 224, 224), np.full((224, 224, 3), 200.0))
