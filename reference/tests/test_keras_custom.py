"""reference.keras_custom against hand-worked values."""
import math

import numpy as np
import pytest

from reference import keras_custom as ref


def test_dense_relu_softmax_by_hand():
    x = np.array([[1.0, 2.0]])
    w = np.array([[1.0, -1.0], [0.5, 0.0]])
    b = np.array([0.0, 0.5])
    assert np.array_equal(ref.dense(x, w, b), [[2.0, -0.5]])
    assert np.array_equal(ref.relu([[2.0, -0.5]]), [[2.0, 0.0]])
    # softmax of (log 1, log 3) is (1/4, 3/4); a shift of the logits changes nothing.
    assert ref.softmax([[0.0, math.log(3)]]) == pytest.approx(np.array([[0.25, 0.75]]))
    assert ref.softmax([[1000.0, 1000.0 + math.log(3)]]) == pytest.approx(np.array([[0.25, 0.75]]))


def test_mlp_forward_flattens_then_composes():
    x = np.arange(4.0).reshape(1, 2, 2, 1)  # flattens to [0, 1, 2, 3]
    w1 = np.eye(4)[:, :2]  # picks [0, 1]
    b1 = np.array([-0.5, -0.5])  # relu([-0.5, 0.5]) = [0, 0.5]
    w2 = np.array([[0.0, 0.0], [0.0, 2 * math.log(3)]])  # logits [0, log 3]
    b2 = np.zeros(2)
    assert ref.mlp_forward(x, w1, b1, w2, b2) == pytest.approx(np.array([[0.25, 0.75]]))


def test_sparse_cross_entropy_by_hand():
    p = np.array([[0.25, 0.75], [0.5, 0.5]])
    assert ref.sparse_categorical_crossentropy([1, 0], p) == pytest.approx([-math.log(0.75), math.log(2)])
    # rows are renormalised: scores (1, 3) are probabilities (1/4, 3/4)
    assert ref.sparse_categorical_crossentropy([0], [[1.0, 3.0]]) == pytest.approx([math.log(4)])
    # a zero probability is clipped to 1e-7 instead of giving infinity
    assert ref.sparse_categorical_crossentropy([0], [[0.0, 1.0]]) == pytest.approx([-math.log(1e-7)])


def test_accuracy_takes_the_first_of_tied_maxima():
    scores = np.array([[1.0, 1.0, 0.0], [0.0, 2.0, 2.0], [3.0, 0.0, 1.0]])
    assert list(ref.argmax_first(scores)) == [0, 1, 0]
    assert ref.sparse_categorical_accuracy([0, 2, 0], scores) == pytest.approx(2 / 3)
    assert ref.sparse_categorical_accuracy(np.array([[1], [1], [0]]), scores) == pytest.approx(2 / 3)


def test_mean_squared_error_by_hand():
    assert ref.mean_squared_error([[1.0, 2.0]], [[0.0, 0.0]]) == 2.5
    assert ref.mean_squared_error([[1.0], [3.0]], [[1.0], [1.0]]) == 2.0


def test_batch_norm_modes_by_hand():
    x = np.array([[1.0], [3.0]])  # batch mean 2, biased variance 1
    out, mean, var = ref.batch_norm_training(x, gamma=2.0, beta=1.0, moving_mean=0.0, moving_variance=1.0,
                                             epsilon=0.0, momentum=0.9)
    assert out == pytest.approx(np.array([[-1.0], [3.0]]))
    assert mean == pytest.approx([0.2]) and var == pytest.approx([1.0])  # 0.9·1 + 0.1·1
    inference = ref.batch_norm_inference(x, gamma=1.0, beta=0.0, moving_mean=1.0, moving_variance=3.0, epsilon=1.0)
    assert inference == pytest.approx(np.array([[0.0], [1.0]]))


def test_glorot_normal_moments():
    # The standard deviation of a standard normal truncated to ±2 is 0.8796256610342398 (tabulated).
    assert ref.truncated_std_normal_std(2.0) == pytest.approx(0.8796256610342398, rel=1e-12)
    target, bound = ref.glorot_normal_moments(300, 500)
    assert target == pytest.approx(0.05)
    assert bound == pytest.approx(2 * 0.05 / 0.8796256610342398)
    # Truncating far out changes nothing.
    assert ref.truncated_std_normal_std(30.0) == pytest.approx(1.0)


def test_glorot_normal_cdf_at_landmarks():
    target, bound = ref.glorot_normal_moments(300, 500)
    cdf = ref.glorot_normal_cdf([-bound, -2 * bound, 0.0, bound, 2 * bound], 300, 500)
    assert cdf == pytest.approx([0.0, 0.0, 0.5, 1.0, 1.0], abs=1e-15)
    # One pre-truncation standard deviation (bound / 2) holds (Φ(1) − Φ(−2)) / (Φ(2) − Φ(−2)) of the mass.
    phi = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    expected = (phi(1) - phi(-2)) / (phi(2) - phi(-2))
    assert ref.glorot_normal_cdf([bound / 2], 300, 500) == pytest.approx([expected], rel=1e-12)
