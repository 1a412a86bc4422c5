"""二、TensorFlow基础, the opening paragraph and （一）张量与运算: eager mode, creating tensors,
shape/dtype/numpy(), dtype inference and dtype=, tf.add and tf.matmul, and elementwise ops and
matmul against NumPy."""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import assume, given
from hypothesis import strategies as st

from fixtures.tolerances import machine_epsilon
from reference.statistics import dkw_bound, ks_statistic_uniform
from spec import strategies as S
from spec.assertions import assert_exact, assert_on_device, assert_printed
from spec.subprocesses import as_written_then_graph_mode, describe, split_at_marker

A_VALUES = [[1.0, 2.0], [3.0, 4.0]]
B_VALUES = [[5.0, 6.0], [7.0, 8.0]]


@pytest.mark.claim("basics.eager-by-default")
def test_eager_execution_is_on_by_default():
    assert tf.executing_eagerly(), "TensorFlow 2 should execute eagerly without any call"
    value = tf.constant(2.0) * 3.0
    assert value.numpy() == 6.0, "an eager op returns its value at once"


@pytest.mark.subprocess
@pytest.mark.claim("basics.disable-eager")
def test_disable_eager_execution_switches_to_graphs():
    result = as_written_then_graph_mode()  # the ch. 一 installation check runs first, in the same child
    assert result.returncode == 0, describe(result)
    _, after = split_at_marker(result.stdout)
    assert "eager_before True" in after, describe(result)
    assert "eager_after False" in after, describe(result)
    assert "eager_tensor False" in after, "after disable_eager_execution ops still return EagerTensors"
    assert "graph_value 6.0" in after, describe(result)


@pytest.mark.claim("tensors.random-uniform-scalar")
def test_random_uniform_scalar(device):
    with tf.device(device.name):
        draws = [tf.random.uniform(shape=()) for _ in range(200)]
    assert_on_device(draws[0], device)
    assert all(d.shape == () and d.dtype == tf.float32 for d in draws), {(d.shape, d.dtype) for d in draws}
    values = np.array([d.numpy() for d in draws])
    assert np.all((values >= 0.0) & (values < 1.0)), f"draws outside [0, 1): {values[(values < 0) | (values >= 1)]}"
    assert len(np.unique(values)) > 190, "200 scalar draws should almost all differ"


@pytest.mark.claim("tensors.random-uniform-scalar")
def test_scalar_draws_are_uniform(device, measured):
    # The distribution of the scalar draws themselves (a vector draw is another code path): n calls
    # of tf.random.uniform(shape=()), KS distance within the DKW bound at a false-alarm rate of 1e-6
    # (0.060 for 2000 draws: u² is 0.25 away from uniform).
    n, false_alarm = 2_000, 1e-6
    with tf.device(device.name):
        values = np.array([tf.random.uniform(shape=()).numpy() for _ in range(n)])
    distance, bound = ks_statistic_uniform(values), dkw_bound(n, false_alarm)
    measured("KS distance of scalar draws to U(0,1)", distance, note=f"{n} draws; bound {bound:.4f}")
    assert distance <= bound, f"KS distance {distance:.4f} of {n} scalar draws to U(0, 1) exceeds {bound:.4f}"


@pytest.mark.claim("tensors.random-uniform-scalar")
def test_random_uniform_is_uniform_on_the_half_open_interval(device, measured):
    n, false_alarm = 1_000_000, 1e-6
    with tf.device(device.name):
        draws = tf.random.uniform(shape=(n,))
    assert_on_device(draws, device)
    values = draws.numpy()
    assert values.min() >= 0.0 and values.max() < 1.0, f"range [{values.min()}, {values.max()}] is not within [0, 1)"
    distance, bound = ks_statistic_uniform(values), dkw_bound(n, false_alarm)
    measured("Kolmogorov-Smirnov distance to U(0,1)", distance, note=f"bound {bound:.5f} at false-alarm rate {false_alarm}")
    assert distance <= bound, f"KS distance {distance:.5f} to U(0, 1) exceeds {bound:.5f} (false-alarm rate {false_alarm})"


@pytest.mark.claim("tensors.zeros-vector")
def test_zeros_vector(device):
    with tf.device(device.name):
        zero_vector = tf.zeros(shape=(2))
    assert_on_device(zero_vector, device)
    assert_exact(zero_vector, np.zeros(2, np.float32), what="tf.zeros(shape=(2))", device=device, dtype=np.float32)


@pytest.mark.claim("tensors.constant-matrix")
def test_constant_matrix(device):
    with tf.device(device.name):
        a = tf.constant(A_VALUES)
    assert_on_device(a, device)
    assert_exact(a, np.array(A_VALUES, np.float32), what="tf.constant(A)", device=device, dtype=np.float32)


@pytest.mark.claim("tensors.shape-dtype-numpy-printed")
def test_shape_dtype_numpy_printed(capsys):
    a = tf.constant(A_VALUES)
    print(a.shape)
    print(a.dtype)
    print(a.numpy())
    assert_printed(capsys, "(2, 2)\n<dtype: 'float32'>\n[[1. 2.]\n [3. 4.]]", what="print(A.shape/dtype/numpy())")


@pytest.mark.claim("tensors.numpy-returns-ndarray")
@given(array=S.arrays(np.float32, S.shapes()) | S.arrays(np.int32, S.shapes()))
def test_numpy_returns_an_equal_ndarray(array):
    converted = tf.constant(array).numpy()
    # A 0-d tensor converts to a NumPy scalar (np.generic), which has the same shape/dtype interface.
    assert isinstance(converted, np.ndarray if array.ndim else (np.ndarray, np.generic)), type(converted)
    assert converted.dtype == array.dtype and converted.shape == array.shape
    assert np.array_equal(converted, array)


@pytest.mark.claim("tensors.default-dtype-inference")
def test_default_dtype_inference():
    inferred = {
        "tf.constant(1.)": tf.constant(1.0).dtype,
        "tf.constant([[1., 2.]])": tf.constant([[1.0, 2.0]]).dtype,
        "tf.zeros(shape=(2,))": tf.zeros(shape=(2,)).dtype,
        "tf.ones(shape=(2,))": tf.ones(shape=(2,)).dtype,
        "tf.random.uniform(shape=())": tf.random.uniform(shape=()).dtype,
        "tf.random.normal(shape=())": tf.random.normal(shape=()).dtype,
    }
    wrong = {k: v.name for k, v in inferred.items() if v != tf.float32}
    assert not wrong, f"expected float32 by default, got {wrong}"
    assert_exact(tf.ones(shape=(2,)), np.ones(2, np.float32), what="tf.ones(shape=(2,))", dtype=np.float32)
    assert_exact(tf.zeros(shape=(2,)), np.zeros(2, np.float32), what="tf.zeros(shape=(2,))", dtype=np.float32)
    assert tf.constant(1).dtype == tf.int32, "integer literals infer int32"
    assert tf.constant(True).dtype == tf.bool
    assert tf.constant(np.array([1.0])).dtype == tf.float64, "a float64 NumPy array keeps its dtype (inferred from the value)"


@pytest.mark.claim("tensors.dtype-argument")
@pytest.mark.parametrize("dtype", [tf.int32, tf.int64, tf.float16, tf.float64, tf.bool], ids=lambda d: d.name)
def test_dtype_argument_sets_the_element_type(dtype, device):
    with tf.device(device.name):
        zeros = tf.zeros(shape=(2,), dtype=dtype)
        const = tf.constant([True, False] if dtype == tf.bool else [1, 0], dtype=dtype)
    assert_on_device(zeros, device)
    assert zeros.dtype == dtype and const.dtype == dtype, (zeros.dtype, const.dtype)
    assert_exact(zeros, np.zeros(2, dtype.as_numpy_dtype), what=f"tf.zeros(dtype={dtype.name})", device=device)


@pytest.mark.claim("ops.add-matmul-values")
def test_add_and_matmul_values(device):
    with tf.device(device.name):
        a, b = tf.constant(A_VALUES), tf.constant(B_VALUES)
        c, d = tf.add(a, b), tf.matmul(a, b)
    assert_on_device(c, device)
    assert_on_device(d, device)
    assert_exact(c, np.array([[6, 8], [10, 12]], np.float32), what="tf.add(A, B)", device=device, dtype=np.float32)
    assert_exact(d, np.array([[19, 22], [43, 50]], np.float32), what="tf.matmul(A, B)", device=device, dtype=np.float32)


@pytest.mark.claim("ops.add-matmul-printed-form")
def test_add_and_matmul_printed_form(capsys):
    a, b = tf.constant(A_VALUES), tf.constant(B_VALUES)
    print(tf.add(a, b), tf.matmul(a, b), sep="\n")
    assert_printed(
        capsys,
        "tf.Tensor(\n[[ 6.  8.]\n [10. 12.]], shape=(2, 2), dtype=float32)\n"
        "tf.Tensor(\n[[19. 22.]\n [43. 50.]], shape=(2, 2), dtype=float32)",
        what="print(C, D, sep='\\n')",
    )


ELEMENTWISE = {
    "add": (tf.add, np.add),
    "subtract": (tf.subtract, np.subtract),
    "multiply": (tf.multiply, np.multiply),
    "maximum": (tf.maximum, np.maximum),
    "square(x)": (lambda x, _: tf.square(x), lambda x, _: np.square(x)),
}


@pytest.mark.claim("ops.elementwise-match-numpy")
@pytest.mark.parametrize("op", list(ELEMENTWISE))
@given(pair=S.same_shape_pair(bound=100))
def test_elementwise_ops_match_numpy(op, pair, device):
    # +, −, ×, max and x² are correctly rounded in IEEE arithmetic, so TF and NumPy agree bit for bit.
    # Results in the subnormal range are left out: TF runs with flush-to-zero on CPU, NumPy does not.
    # max(−0, +0) is either zero under IEEE 754 (TF's float32 kernel returns the first argument,
    # NumPy +0); those ties are left out, every other sign of zero must match.
    x, y = pair
    tf_op, np_op = ELEMENTWISE[op]
    assume(not np.any(S.is_subnormal(np_op(x, y))))
    if op == "maximum" and x.dtype.kind == "f":
        assume(not np.any((x == 0) & (y == 0) & (np.signbit(x) != np.signbit(y))))
    with tf.device(device.name):
        got = tf_op(tf.constant(x), tf.constant(y))
    assert_on_device(got, device)
    assert_exact(got, np_op(x, y), what=f"{op} of {x.dtype} arrays {x.shape}", device=device, dtype=x.dtype)


@st.composite
def matmul_operands(draw):
    dtype = draw(S.dtypes)
    n, k, m = (draw(st.integers(1, S.MAX_SIDE)) for _ in range(3))
    return draw(S.arrays(dtype, (n, k), bound=50)), draw(S.arrays(dtype, (k, m), bound=50))


@pytest.mark.claim("ops.matmul-matches-numpy")
@given(operands=matmul_operands())
def test_matmul_matches_the_matrix_product(operands, device):
    a, b = operands
    with tf.device(device.name):
        got = tf.matmul(tf.constant(a), tf.constant(b))
    assert_on_device(got, device)
    exact = a.astype(np.float64) @ b.astype(np.float64)
    if a.dtype.kind == "i":
        assert_exact(got, exact.astype(a.dtype), what=f"matmul of {a.dtype} {a.shape}·{b.shape}", device=device)
        return
    # Rounding-error bound of a length-k dot product: (k+1)·ε·Σ|aᵢ||bᵢ|, plus (k+1) times the smallest
    # normal number for underflow (TF flushes subnormal partial results to zero).
    k = a.shape[1]
    magnitude = np.abs(a.astype(np.float64)) @ np.abs(b.astype(np.float64))
    bound = (k + 1) * (machine_epsilon(a.dtype) * magnitude + np.finfo(a.dtype).tiny)
    error = np.abs(got.numpy().astype(np.float64) - exact)
    assert np.all(error <= bound), (
        f"matmul of {a.dtype} {a.shape}·{b.shape} on {device.id}: max error {error.max():.3g} "
        f"exceeds the bound {bound.max():.3g}\nA={a!r}\nB={b!r}\ngot={got.numpy()!r}"
    )
