"""The LSTM cell, one-hot, softmax and cross-entropy against hand-worked cases."""
import math

import numpy as np
import pytest

from reference import lstm


def test_zero_weights_halve_the_carry():
    # All pre-activations 0: every gate is ½ and the candidate tanh(0) = 0, so c' = c/2, h' = ½·tanh(c/2).
    units = 3
    c = np.array([[2.0, -1.0, 0.5]])
    out, (h, c_new) = lstm.lstm_cell_step(np.ones((1, 2)), np.zeros((1, units)), c,
                                           np.zeros((2, 4 * units)), np.zeros((units, 4 * units)), np.zeros(4 * units))
    assert np.array_equal(c_new, c / 2)
    assert np.allclose(h, 0.5 * np.tanh(c / 2), rtol=1e-15)
    assert out is h


def test_one_unit_by_hand():
    # x = 1, h = c = 0, kernel columns (i, f, c, o) = (0, 5, ln 3, 0), no bias:
    # i = o = ½, candidate tanh(ln 3) = 0.8, c' = 0.4, h' = ½·tanh(0.4). The forget gate sees c = 0.
    kernel = np.array([[0.0, 5.0, math.log(3.0), 0.0]])
    out, (h, c) = lstm.lstm_cell_step(np.array([[1.0]]), np.zeros((1, 1)), np.zeros((1, 1)),
                                      kernel, np.zeros((1, 4)), np.zeros(4))
    assert c[0, 0] == pytest.approx(0.4, rel=1e-15)
    assert h[0, 0] == pytest.approx(0.5 * math.tanh(0.4), rel=1e-15)
    # The gate order matters: with the forget column moved to the input slot the result changes.
    swapped = kernel[:, [1, 0, 2, 3]]
    _, (_, c_swapped) = lstm.lstm_cell_step(np.array([[1.0]]), np.zeros((1, 1)), np.zeros((1, 1)),
                                            swapped, np.zeros((1, 4)), np.zeros(4))
    assert c_swapped[0, 0] == pytest.approx(0.8 / (1 + math.exp(-5)), rel=1e-15)


def test_sigmoid_is_stable_and_symmetric():
    z = np.array([-800.0, -1.0, 0.0, 1.0, 800.0])
    s = lstm.sigmoid(z)
    assert np.array_equal(s[[0, 2, 4]], [0.0, 0.5, 1.0])
    assert s[1] + s[3] == pytest.approx(1.0, rel=1e-15)


def test_one_hot_softmax_and_cross_entropy():
    assert np.array_equal(lstm.one_hot([[2, 0]], 3), [[[0, 0, 1], [1, 0, 0]]])
    p = lstm.softmax([[0.0, math.log(2.0)]])
    assert np.allclose(p, [[1 / 3, 2 / 3]], rtol=1e-15)
    assert lstm.sparse_categorical_crossentropy([1], p)[0] == pytest.approx(math.log(1.5), rel=1e-14)
    assert lstm.sparse_categorical_crossentropy([0], [[0.0, 1.0]])[0] == pytest.approx(-math.log(1e-7))


def test_unrolled_logits_by_hand():
    # One unit, zero kernels, bias only on the candidate: z = (0, 0, b, 0), so each step gives
    # c' = c/2 + tanh(b)/2; after two steps c = ¾·tanh(b), h = ½·tanh(c).
    b = 0.3
    bias = np.array([0.0, 0.0, b, 0.0])
    logits = lstm.char_rnn_logits(np.array([[0, 1]]), 2, np.zeros((2, 4)), np.zeros((1, 4)), bias,
                                  np.array([[2.0, -1.0]]), np.array([0.5, 0.0]))
    h = 0.5 * math.tanh(0.75 * math.tanh(b))
    assert np.allclose(logits, [[2 * h + 0.5, -h]], rtol=1e-15)


def _rnn_weights(rng, num_chars=3, units=2):
    return [rng.standard_normal(s) * 0.7 for s in
            [(num_chars, 4 * units), (units, 4 * units), (4 * units,), (units, num_chars), (num_chars,)]]


def test_loss_and_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    weights = _rnn_weights(rng)
    indices, targets = rng.integers(0, 3, size=(4, 3)), rng.integers(0, 3, size=4)
    loss, grads = lstm.char_rnn_loss_and_gradients(indices, targets, 3, *weights)
    probs = lstm.softmax(lstm.char_rnn_logits(indices, 3, *weights))
    assert loss == pytest.approx(np.mean(lstm.sparse_categorical_crossentropy(targets, probs)), rel=1e-14)
    step = 1e-6
    for k, w in enumerate(weights):
        assert grads[k].shape == w.shape
        for index in np.ndindex(w.shape):
            plus, minus = [x.copy() for x in weights], [x.copy() for x in weights]
            plus[k][index] += step
            minus[k][index] -= step
            numeric = (lstm.char_rnn_loss_and_gradients(indices, targets, 3, *plus)[0]
                       - lstm.char_rnn_loss_and_gradients(indices, targets, 3, *minus)[0]) / (2 * step)
            assert grads[k][index] == pytest.approx(numeric, rel=1e-5, abs=1e-9), (k, index)


def test_gradients_by_hand_for_zero_weights():
    # All weights zero: every gate is ½ and the candidate tanh(0) = 0, so c and h stay 0, the
    # logits are 0, p = (½, ½) and the loss is ln 2. Only the dense bias gets a gradient,
    # p − one_hot(0) = (−½, ½): the dense kernel's is h·(…) = 0, and dL/dh = d_logits·Wᵀ = 0 for a
    # zero read-out, so nothing flows back into the cell.
    zeros = [np.zeros(s) for s in [(2, 4), (1, 4), (4,), (1, 2), (2,)]]
    loss, grads = lstm.char_rnn_loss_and_gradients(np.array([[0, 1]]), np.array([0]), 2, *zeros)
    assert loss == pytest.approx(math.log(2.0), rel=1e-15)
    assert np.array_equal(grads[4], [-0.5, 0.5])
    assert all(not g.any() for g in grads[:4])


def test_out_of_range_probability_is_refused():
    weights = [np.zeros(s) for s in [(2, 4), (1, 4), (4,), (1, 2), (2,)]]
    weights[4] = np.array([40.0, 0.0])  # p(target 1) = e^-40 < 1e-7: Keras would clip it
    with pytest.raises(ValueError, match="clipping"):
        lstm.char_rnn_loss_and_gradients(np.array([[0, 1]]), np.array([1]), 2, *weights)
