"""The linear-regression reference against values worked out by hand."""
import numpy as np
import pytest

from reference import linear_regression as lr


def test_normalised_data_by_hand():
    x, y = lr.house_price_data()
    np.testing.assert_allclose(x, [0, 0.2, 0.4, 0.6, 0.8, 1.0], rtol=0, atol=1e-15)
    np.testing.assert_allclose(y, np.array([0, 2000, 3000, 4500, 5500, 7000]) / 7000, rtol=0, atol=1e-15)


def test_closed_form_by_hand():
    # Σ(x−x̄)² = 0.7 and Σ(x−x̄)y = 4.7/7, so a = 47/49 and b = 22/42 − a/2 = 13/294.
    a, b = lr.closed_form(*lr.house_price_data())
    assert a == pytest.approx(47 / 49, rel=1e-14)
    assert b == pytest.approx(13 / 294, rel=1e-13)


def test_analytic_gradients_at_origin_by_hand():
    # At a = b = 0: ∂L/∂a = −2Σxy = −31.4/7, ∂L/∂b = −2Σy = −44/7.
    ga, gb = lr.analytic_gradients(0.0, 0.0, *lr.house_price_data())
    assert ga == pytest.approx(-31.4 / 7, rel=1e-14)
    assert gb == pytest.approx(-44 / 7, rel=1e-14)


def test_one_descent_step_by_hand():
    a, b = lr.gradient_descent(*lr.house_price_data(), learning_rate=1e-3, steps=1)
    assert a == pytest.approx(31.4e-3 / 7, rel=1e-13)
    assert b == pytest.approx(44e-3 / 7, rel=1e-13)


def test_sgd_step_is_theta_minus_alpha_grad():
    theta = np.array([1.0, -2.0, 0.5])
    grad = np.array([0.5, 0.25, -4.0])
    np.testing.assert_array_equal(lr.sgd_step(theta, grad, 0.1), [0.95, -2.025, 0.9])


def test_sum_of_squares_by_hand():
    assert lr.sum_of_squares(1.0, 0.0, np.array([1.0, 2.0]), np.array([0.0, 0.0])) == 5.0


def test_descent_approaches_closed_form():
    x, y = lr.house_price_data()
    a_star, b_star = lr.closed_form(x, y)
    a, b = lr.gradient_descent(x, y, steps=10_000)
    assert abs(a - a_star) < 2e-5 and abs(b - b_star) < 1e-5
    a_long, b_long = lr.gradient_descent(x, y, steps=100_000)
    assert abs(a_long - a_star) < 1e-12 and abs(b_long - b_star) < 1e-12


def test_numpy1_promotion_reproduces_the_printed_values():
    # The handbook's numbers come from NumPy 1.x arithmetic with a float32 dot that rounds each
    # product and sums in double (OpenBLAS's sdot.c); emulating both gives them to the digit.
    a, b = lr.gradient_descent(*lr.house_price_data(np.float32), promotion="numpy1", dot="double-accumulation")
    assert (repr(a), repr(b)) == ("0.9591714862483188", "0.04422438431531203")


def test_numpy1_promotion_with_the_generic_sse3_dot_prints_other_digits():
    # The digits OpenBLAS's generic kernel (Prescott, Core2, Barcelona) gives, as reported from a
    # machine running it.
    a, b = lr.gradient_descent(*lr.house_price_data(np.float32), promotion="numpy1", dot="float32-lanes")
    assert (repr(a), repr(b)) == ("0.9591714861914504", "0.044224384151399204")


@pytest.mark.parametrize("dot", lr.FLOAT32_DOT_KERNELS)
def test_numpy1_promotion_stays_within_the_stated_bound_of_the_float64_iteration(dot):
    x, y = lr.house_price_data(np.float32)
    a, b = lr.gradient_descent(x, y, promotion="numpy1", dot=dot)
    a64, b64 = lr.gradient_descent(x.astype(np.float64), y.astype(np.float64))
    assert abs(a - a64) <= lr.NUMPY1_LOOP_BOUND and abs(b - b64) <= lr.NUMPY1_LOOP_BOUND
    a2, b2 = lr.gradient_descent(x, y, promotion="numpy2", dot=dot)
    assert abs(float(a2) - a64) > 4 * lr.NUMPY1_LOOP_BOUND  # the bound tells NumPy 2's float32 loop apart


def test_float32_dot_kernels_by_hand():
    u = np.array([1.0, 2.0 ** -24, 2.0 ** -24, 0.0, 0.0, 0.0], np.float32)
    v = np.ones(6, np.float32)
    # Summed in double, 1 + 2⁻²⁴ + 2⁻²⁴ = 1 + 2⁻²³ is a float32. In lanes, l0 + l1 = 1 + 2⁻²⁴ is a
    # tie that rounds to even, 1; adding l2 + l3 = 2⁻²⁴ ties back to 1 again.
    assert lr.float32_dot(u, v, "double-accumulation") == np.float32(1.0 + 2.0 ** -23)
    assert lr.float32_dot(u, v, "float32-lanes") == np.float32(1.0)
    lanes = lr.float32_dot(np.array([1, 2, 3, 4, 5, 6], np.float32), np.ones(6, np.float32), "float32-lanes")
    assert lanes == np.float32(21.0)
    with pytest.raises(ValueError, match="unknown float32 dot kernel"):
        lr.float32_dot(u, v, "avx512")


def test_numpy2_promotion_stays_float32():
    a, b = lr.gradient_descent(*lr.house_price_data(np.float32), promotion="numpy2")
    assert isinstance(a, np.float32) and isinstance(b, np.float32)
    assert abs(float(a) - 0.9591714862483188) < 2e-5


def test_unknown_promotion_is_an_error():
    with pytest.raises(ValueError, match="unknown promotion"):
        lr.gradient_descent(*lr.house_price_data(), promotion="float16")
