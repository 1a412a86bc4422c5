"""The autodiff reference against the tape example worked by hand, and finite differences on
functions with known derivatives."""
import numpy as np
import pytest

from reference import autodiff

X = np.array([[1.0, 2.0], [3.0, 4.0]])
Y = np.array([[1.0], [2.0]])
W = np.array([[1.0], [2.0]])


def test_tape_example_by_hand():
    # x·w + b − y = [[6], [12]] − [[1], [2]] = [[5], [10]]: loss 25 + 100.
    assert autodiff.matmul_square_loss(X, W, 1.0, Y) == 125.0
    grad_w, grad_b = autodiff.matmul_square_loss_gradients(X, W, 1.0, Y)
    np.testing.assert_array_equal(grad_w, [[70.0], [100.0]])  # 2·[[1·5 + 3·10], [2·5 + 4·10]]
    assert grad_b == 30.0


def test_central_difference_of_a_cubic():
    grad = autodiff.central_difference(lambda v: float(np.sum(v**3)), np.array([1.0, -2.0, 0.5]), step=1e-5)
    np.testing.assert_allclose(grad, [3.0, 12.0, 0.75], rtol=1e-9)


def test_central_difference_agrees_with_the_analytic_gradient():
    grad = autodiff.central_difference(lambda w: autodiff.matmul_square_loss(X, w, 1.0, Y), W)
    np.testing.assert_allclose(grad, [[70.0], [100.0]], rtol=1e-7)
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(grad, [[70.07], [100.0]], rtol=1e-5)


def test_chain_rule_by_hand():
    v = np.array([0.0, 1.0])
    # d/dv sin(v²) = cos(v²)·2v: 0 at 0, 2·cos(1) at 1.
    np.testing.assert_allclose(autodiff.compose_derivative(["square", "sin"], v), [0.0, 2 * np.cos(1.0)], rtol=1e-15)
    # d/dv tanh at 0 is 1; softplus' at 0 is σ(0) = 1/2; (exp(v/4))' at 0 is 1/4.
    np.testing.assert_allclose(autodiff.compose_derivative(["tanh"], v[:1]), [1.0])
    np.testing.assert_allclose(autodiff.compose_derivative(["softplus"], v[:1]), [0.5])
    np.testing.assert_allclose(autodiff.compose_derivative(["exp/4"], v[:1]), [0.25])


@pytest.mark.parametrize("names", [["sin"], ["tanh", "square"], ["exp/4", "softplus", "sin"], ["square"] * 3])
def test_chain_rule_agrees_with_central_differences(names):
    v = np.array([-1.3, 0.2, 0.9])
    exact, _ = autodiff.composed_times_cos_gradient(names, v)
    numeric = autodiff.central_difference(lambda p: float(np.sum(autodiff.compose(names, p) * np.cos(p))), v, 1e-5)
    np.testing.assert_allclose(exact, numeric, rtol=1e-7, atol=1e-8)
