"""The chapter 三 layer, loss, metric and optimizer references against values worked out by hand
(and the vectorised convolution against a plain loop)."""
import numpy as np
import pytest

from reference import layers as L


def test_dense_by_hand():
    x = np.array([[1.0, 2.0]])
    kernel = np.array([[1.0, -1.0, 0.5], [2.0, 0.0, -1.0]])
    np.testing.assert_array_equal(L.dense(x, kernel), [[5.0, -1.0, -1.5]])
    np.testing.assert_array_equal(L.dense(x, kernel, np.array([0.0, 3.0, 1.0])), [[5.0, 2.0, -0.5]])
    np.testing.assert_array_equal(L.dense(x, kernel, np.array([0.0, 3.0, 1.0]), L.relu), [[5.0, 2.0, 0.0]])


def test_relu_by_hand():
    np.testing.assert_array_equal(L.relu(np.array([-2.0, 0.0, 3.5])), [0.0, 0.0, 3.5])


def test_softmax_by_hand():
    # e^0 : e^ln3 = 1 : 3
    np.testing.assert_allclose(L.softmax(np.array([[0.0, np.log(3.0)]])), [[0.25, 0.75]], rtol=1e-15)
    # columns, not rows, when asked for axis 0
    np.testing.assert_allclose(L.softmax(np.array([[0.0, 5.0], [np.log(3.0), 5.0]]), axis=0),
                               [[0.25, 0.5], [0.75, 0.5]], rtol=1e-15)
    # no overflow for large inputs
    np.testing.assert_allclose(L.softmax(np.array([1000.0, 1000.0])), [0.5, 0.5])


def test_flatten_is_row_major():
    x = np.arange(12).reshape(1, 2, 3, 2)
    np.testing.assert_array_equal(L.flatten(x), [list(range(12))])
    x = np.array([[[1, 2], [3, 4]]])  # one 2×2 image
    np.testing.assert_array_equal(L.flatten(x), [[1, 2, 3, 4]])  # rows one after the other, not columns


def test_conv2d_valid_by_hand():
    x = np.arange(9.0).reshape(1, 3, 3, 1)  # [[0 1 2] [3 4 5] [6 7 8]]
    kernel = np.array([[1.0, 0.0], [0.0, -1.0]]).reshape(2, 2, 1, 1)  # top-left minus bottom-right
    np.testing.assert_array_equal(L.conv2d(x, kernel)[0, :, :, 0], [[-4.0, -4.0], [-4.0, -4.0]])


def test_conv2d_same_pads_zeros_evenly_for_odd_kernels():
    x = np.ones((1, 3, 3, 1))
    kernel = np.ones((3, 3, 1, 1))  # counts the in-image neighbours
    np.testing.assert_array_equal(L.conv2d(x, kernel, padding="same")[0, :, :, 0],
                                  [[4, 6, 4], [6, 9, 6], [4, 6, 4]])


def test_conv2d_same_puts_the_extra_padding_after_for_even_kernels():
    # a 2×2 kernel on 3×3: one padding row/column, at the bottom/right (TensorFlow's convention)
    x = np.arange(1.0, 10.0).reshape(1, 3, 3, 1)
    kernel = np.ones((2, 2, 1, 1))
    np.testing.assert_array_equal(L.conv2d(x, kernel, padding="same")[0, :, :, 0],
                                  [[12, 16, 9], [24, 28, 15], [15, 17, 9]])


def naive_conv2d(x, kernel, padding):
    kh, kw, _, cout = kernel.shape
    if padding == "same":
        x = np.pad(x, ((0, 0), ((kh - 1) // 2, kh // 2), ((kw - 1) // 2, kw // 2), (0, 0)))
    n, h, w, _ = x.shape
    out = np.zeros((n, h - kh + 1, w - kw + 1, cout))
    for b in range(n):
        for i in range(h - kh + 1):
            for j in range(w - kw + 1):
                for o in range(cout):
                    out[b, i, j, o] = np.sum(x[b, i:i + kh, j:j + kw, :] * kernel[:, :, :, o])
    return out


@pytest.mark.parametrize("padding", ["same", "valid"])
def test_conv2d_equals_a_plain_loop(padding):
    rng = np.random.default_rng(3)
    x, kernel, bias = rng.standard_normal((2, 6, 7, 3)), rng.standard_normal((5, 5, 3, 4)), rng.standard_normal(4)
    np.testing.assert_allclose(L.conv2d(x, kernel, bias, padding), naive_conv2d(x, kernel, padding) + bias,
                               rtol=1e-12, atol=1e-12)


def test_maxpool_by_hand():
    x = np.array([[1, 5, 2, 0], [3, 4, 8, 1], [0, 0, 1, 1], [9, 0, 1, 2]], dtype=float).reshape(1, 4, 4, 1)
    np.testing.assert_array_equal(L.maxpool2d(x)[0, :, :, 0], [[5, 8], [9, 2]])
    # an odd size drops the last row and column (valid padding)
    np.testing.assert_array_equal(L.maxpool2d(np.arange(9.0).reshape(1, 3, 3, 1))[0, :, :, 0], [[4]])


def test_cross_entropies_by_hand():
    p = np.array([[0.5, 0.25, 0.25], [0.1, 0.1, 0.8]])
    np.testing.assert_allclose(L.sparse_categorical_crossentropy([0, 2], p), [np.log(2), -np.log(0.8)], rtol=1e-15)
    np.testing.assert_allclose(L.categorical_crossentropy(L.one_hot([0, 2], 3), p), [np.log(2), -np.log(0.8)],
                               rtol=1e-15)
    # probabilities summing to 2 are normalised first
    np.testing.assert_allclose(L.sparse_categorical_crossentropy([1], [[1.0, 1.0]]), [np.log(2)], rtol=1e-15)


def test_accuracy_accumulates_counts_not_batch_means():
    state = (0, 0)
    state = L.accuracy_update(state, [0], [[0.9, 0.1]])  # 1 of 1
    state = L.accuracy_update(state, [0, 0, 0], [[0.1, 0.9]] * 3)  # 0 of 3
    assert state == (1, 4)
    assert L.accuracy_result(state) == 0.25  # not (1 + 0) / 2
    assert L.accuracy_result((0, 0)) == 0.0


def test_sgd_step_by_hand():
    np.testing.assert_array_equal(L.sgd_step(np.array([1.0, 2.0]), np.array([10.0, -20.0]), 0.5), [-4.0, 12.0])


def test_adam_first_step_moves_by_the_learning_rate_against_the_gradient_sign():
    # t = 1, ε = 0: m = (1−β1)g, v = (1−β2)g², α_1 = α√(1−β2)/(1−β1), so the step is α·sign(g).
    param, m, v = L.adam_step(np.array([1.0, 1.0]), np.array([3.0, -0.01]), 0.0, 0.0, 1, learning_rate=0.1,
                              epsilon=0.0)
    np.testing.assert_allclose(param, [0.9, 1.1], rtol=1e-15)
    np.testing.assert_allclose(m, [0.3, -0.001], rtol=1e-14)
    np.testing.assert_allclose(v, [0.009, 1e-7], rtol=1e-12)


def test_adam_second_step_by_hand():
    # g1 = 1, g2 = 3, α = 1, ε = 0: step 1 goes to −1 (see above); m2 = 0.9·0.1 + 0.1·3 = 0.39,
    # v2 = 0.999·0.001 + 0.001·9 = 0.009999, α_2 = √(1−0.999²)/(1−0.81).
    params = L.adam_run(np.array(0.0), [np.array(1.0), np.array(3.0)], learning_rate=1.0, epsilon=0.0)
    alpha_2 = np.sqrt(1 - 0.999**2) / (1 - 0.9**2)
    assert params[0] == pytest.approx(-1.0, rel=1e-14)
    assert params[1] == pytest.approx(-1.0 - alpha_2 * 0.39 / np.sqrt(0.009999), rel=1e-13)


def test_adam_epsilon_is_added_to_the_uncorrected_root():
    # t = 1, g = 1, α = 1, ε = 0.1: α_1 = √0.001/0.1, step = α_1·0.1/(√0.001 + 0.1).
    param, _, _ = L.adam_step(0.0, 1.0, 0.0, 0.0, 1, learning_rate=1.0, epsilon=0.1)
    assert param == pytest.approx(-np.sqrt(0.001) / (np.sqrt(0.001) + 0.1), rel=1e-14)


def test_mlp_forward_by_hand():
    # one 1×2×1 "image" [1, −1]; identity-like weights; second unit killed by relu
    k1, b1 = np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0.0, 0.0])
    k2, b2 = np.array([[np.log(3.0), 0.0], [5.0, 5.0]]), np.array([0.0, 0.0])
    out = L.mlp_forward(np.array([[[[1.0], [-1.0]]]]), [k1, b1, k2, b2])
    np.testing.assert_allclose(out, [[0.75, 0.25]], rtol=1e-15)


def test_cnn_forward_shapes_and_probabilities():
    rng = np.random.default_rng(0)
    shapes = [(5, 5, 1, 2), (2,), (5, 5, 2, 3), (3,), (7 * 7 * 3, 4), (4,), (4, 10), (10,)]
    weights = [rng.standard_normal(s) * 0.1 for s in shapes]
    out = L.cnn_forward(rng.random((2, 28, 28, 1)), weights)
    assert out.shape == (2, 10)
    np.testing.assert_allclose(out.sum(axis=1), [1.0, 1.0], rtol=1e-14)


def test_mlp_loss_and_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal(s) * 0.5 for s in [(6, 5), (5,), (5, 3), (3,)]]
    x, labels = rng.standard_normal((4, 2, 3, 1)), rng.integers(0, 3, 4)
    loss, grads = L.mlp_loss_and_gradients(x, labels, weights)
    assert loss == pytest.approx(np.mean(L.sparse_categorical_crossentropy(labels, L.mlp_forward(x, weights))),
                                 rel=1e-14)
    step = 1e-6
    for k, w in enumerate(weights):
        assert grads[k].shape == w.shape
        for index in np.ndindex(w.shape):
            plus, minus = [a.copy() for a in weights], [a.copy() for a in weights]
            plus[k][index] += step
            minus[k][index] -= step
            numeric = (L.mlp_loss_and_gradients(x, labels, plus)[0] - L.mlp_loss_and_gradients(x, labels, minus)[0]) / (
                2 * step)
            assert grads[k][index] == pytest.approx(numeric, rel=1e-5, abs=1e-9), (k, index)


def test_mlp_gradients_by_hand():
    # One example [1, −1], identity first layer: hidden (1, 0) after relu; zero read-out, so p = (½, ½)
    # and d loss/d logits = p − one_hot(1) = (½, −½). The read-out kernel's gradient is hiddenᵀ·that;
    # nothing reaches the first layer through a zero read-out.
    weights = [np.eye(2), np.zeros(2), np.zeros((2, 2)), np.zeros(2)]
    loss, (g_k1, g_b1, g_k2, g_b2) = L.mlp_loss_and_gradients(np.array([[[1.0], [-1.0]]]), [1], weights)
    assert loss == pytest.approx(np.log(2.0), rel=1e-15)
    np.testing.assert_array_equal(g_k2, [[0.5, -0.5], [0.0, 0.0]])
    np.testing.assert_array_equal(g_b2, [0.5, -0.5])
    assert not g_k1.any() and not g_b1.any()
