"""二、TensorFlow基础 / （二）自动求导机制: the GradientTape example, variables versus constants,
reduce_sum's axis, reshape/concat/slicing as in NumPy, and the tape against analytic gradients and
finite differences."""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import assume, given
from hypothesis import strategies as st

from fixtures.tolerances import machine_epsilon
from reference import autodiff as ref
from spec import strategies as S
from spec.assertions import assert_close, assert_exact, assert_on_device, assert_printed

X = [[1.0, 2.0], [3.0, 4.0]]
Y = [[1.0], [2.0]]
W0 = [[1.0], [2.0]]
B0 = 1.0


def tape_example(device):
    """The section's example, computed on `device`: (loss, w_grad, b_grad)."""
    with tf.device(device.name):
        x, y = tf.constant(X), tf.constant(Y)
        w, b = tf.Variable(initial_value=W0), tf.Variable(initial_value=B0)
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.square(tf.matmul(x, w) + b - y))
        w_grad, b_grad = tape.gradient(target=loss, sources=[w, b])
    return loss, w_grad, b_grad


@pytest.mark.claim("autodiff.tape-example-loss")
def test_tape_example_loss(device):
    loss, _, _ = tape_example(device)
    assert_on_device(loss, device)
    expected = ref.matmul_square_loss(np.array(X), np.array(W0), B0, np.array(Y))
    assert expected == 125.0  # the reference agrees with the book before TF is asked
    assert_exact(loss, np.float32(expected), what="loss", device=device, dtype=np.float32)


@pytest.mark.claim("autodiff.tape-example-gradients")
def test_tape_example_gradients(device):
    _, w_grad, b_grad = tape_example(device)
    assert_on_device(w_grad, device)
    ref_w, ref_b = ref.matmul_square_loss_gradients(np.array(X), np.array(W0), B0, np.array(Y))
    assert_exact(w_grad, ref_w.astype(np.float32), what="∂loss/∂w", device=device, dtype=np.float32)
    assert_exact(b_grad, np.float32(ref_b), what="∂loss/∂b", device=device, dtype=np.float32)


@pytest.mark.claim("autodiff.tape-example-printed-form")
def test_tape_example_printed_form(capsys, device):
    print(*tape_example(device), sep="\n")
    assert_printed(
        capsys,
        "tf.Tensor(125.0, shape=(), dtype=float32)\n"
        "tf.Tensor(\n[[ 70.]\n [100.]], shape=(2, 1), dtype=float32)\n"
        "tf.Tensor(30.0, shape=(), dtype=float32)",
        what="print(loss, w_grad, b_grad, sep='\\n')",
    )


def summation_bound(array: np.ndarray, axis=None) -> np.ndarray:
    """Worst-case rounding error of summing n terms in the array's dtype: (n−1)·ε·Σ|x| + n·tiny."""
    n = array.size if axis is None else array.shape[axis]
    magnitude = np.sum(np.abs(array.astype(np.float64)), axis=axis)
    return max(n - 1, 0) * machine_epsilon(array.dtype) * magnitude + n * float(np.finfo(array.dtype).tiny)


@pytest.mark.claim("autodiff.reduce-sum-axis")
@given(dtype=S.dtypes, data=st.data())
def test_reduce_sum_all_or_along_an_axis(dtype, data):
    array = data.draw(S.arrays(dtype, S.shapes(min_dims=1), bound=1000), label="x")
    axis = data.draw(st.integers(-array.ndim, array.ndim - 1), label="axis")
    if array.dtype.kind == "f":
        # The rounding bound presumes no partial sum overflows: Σ|x| must be finite in the dtype
        # (float16 tops out at 65504; 80 draws of 819 do not fit, and inf is then the right sum).
        assume(np.sum(np.abs(array.astype(np.float64))) <= float(np.finfo(array.dtype).max))
    for kwargs in ({}, {"axis": axis}):
        got = tf.reduce_sum(array, **kwargs)
        expected = np.sum(array.astype(np.float64), **kwargs)
        what = f"reduce_sum of {array.dtype} {array.shape}, {kwargs or 'all axes'}"
        if array.dtype.kind == "i":
            assert_exact(got, expected.astype(array.dtype), what=what, dtype=array.dtype)
            continue
        assert got.dtype == array.dtype, f"{what}: dtype {got.dtype.name}"
        error = np.abs(got.numpy().astype(np.float64) - expected)
        bound = summation_bound(array, kwargs.get("axis"))
        assert np.all(error <= bound), f"{what}: error {np.max(error):.3g} exceeds the bound {np.max(bound):.3g}"


@pytest.mark.claim("autodiff.variable-shape-dtype-value")
def test_variables_have_shape_dtype_and_value(device):
    with tf.device(device.name):
        w = tf.Variable(initial_value=W0)
        b = tf.Variable(initial_value=B0)
        w_value = tf.identity(w)
    assert_on_device(w_value, device)
    assert (w.shape, w.dtype) == (tf.TensorShape([2, 1]), tf.float32), (w.shape, w.dtype)
    assert (b.shape, b.dtype) == (tf.TensorShape([]), tf.float32), (b.shape, b.dtype)
    assert_exact(w.numpy(), np.array(W0, np.float32), what="w.numpy()", dtype=np.float32)
    assert b.numpy() == np.float32(1.0)


@pytest.mark.claim("autodiff.variables-watched-constants-not")
def test_tape_watches_variables_not_constants(device):
    with tf.device(device.name):
        variable, constant = tf.Variable(3.0), tf.constant(3.0)
        with tf.GradientTape(persistent=True) as tape:
            from_variable = tf.square(variable)
            from_constant = tf.square(constant)
        assert tape.gradient(from_constant, constant) is None, "an unwatched constant got a gradient"
        assert tape.gradient(from_variable, variable).numpy() == 6.0
        with tf.GradientTape() as watching:
            watching.watch(constant)
            watched = tf.square(constant)
        grad = watching.gradient(watched, constant)
    assert_on_device(grad, device)
    assert grad.numpy() == 6.0, f"d(c²)/dc at 3 should be 6 once watched, got {grad.numpy()}"


@st.composite
def regression_problem(draw):
    n, m = draw(st.integers(1, 6)), draw(st.integers(1, 4))
    arr = lambda shape: draw(S.arrays(np.float64, shape, bound=10))  # noqa: E731
    return arr((n, m)), arr((m, 1)), draw(st.floats(-10, 10)), arr((n, 1))


@pytest.mark.claim("autodiff.tape-matches-analytic")
@given(problem=regression_problem())
def test_tape_gradients_equal_the_analytic_ones(problem, device):
    x, w0, b0, y = problem
    with tf.device(device.name):
        w, b = tf.Variable(w0), tf.Variable(b0, dtype=tf.float64)
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.square(tf.matmul(x, w) + b - y))
        w_grad, b_grad = tape.gradient(loss, [w, b])
    assert_on_device(w_grad, device)
    ref_w, ref_b = ref.matmul_square_loss_gradients(x, w0, b0, y)
    # float64 on both sides; the scale term covers cancellation in sums of mixed-sign terms, the
    # smallest-normal term results that underflow (TF flushes subnormals to zero on CPU).
    magnitude = np.abs(x) @ np.abs(w0) + abs(b0) + np.abs(y)  # bounds every partial sum of the residual
    underflow = 8 * np.finfo(np.float64).tiny
    w_atol = 1e-12 * 2 * float((np.abs(x).T @ magnitude).max()) + underflow
    b_atol = 1e-12 * 2 * float(magnitude.sum()) + underflow
    assert_close(w_grad, ref_w, rtol=1e-12, atol=w_atol, what="∂L/∂w", device=device)
    assert_close(b_grad, ref_b, rtol=1e-12, atol=b_atol, what="∂L/∂b", device=device)


TF_UNARY = {  # the TensorFlow side of reference.autodiff.UNARY
    "sin": tf.sin,
    "tanh": tf.tanh,
    "exp/4": lambda v: tf.exp(v / 4.0),
    "square": tf.square,
    "softplus": tf.math.softplus,
}
compositions = st.lists(st.sampled_from(sorted(TF_UNARY)), min_size=1, max_size=4)
points = S.arrays(np.float64, st.integers(1, 5).map(lambda n: (n,)), bound=2)


def no_subnormal_on_the_way(names, at) -> bool:
    """True when no value the chain rule forms (each map's output, each factor, each term) is
    subnormal: TensorFlow flushes those to zero on the CPU, NumPy does not, so that range is outside
    the claim (as for the other float properties, spec.strategies.elements)."""
    tiny = np.finfo(np.float64).tiny
    values, derivative, v = [np.asarray(at, np.float64)], np.ones_like(at, dtype=np.float64), np.asarray(at, np.float64)
    for name in names:
        function, slope = ref.UNARY[name]
        derivative = derivative * slope(v)
        v = function(v)
        values += [v, derivative]
    values += [v * np.cos(at), derivative * np.cos(at), v * np.sin(at)]
    return all(not np.any((np.abs(x) < tiny) & (x != 0)) for x in values)


def tape_gradient_of_composition(names, at, device):
    """d/dv Σ g(v)·cos(v) by the tape, g the composition of `names`, in float64 on `device`."""
    assume(no_subnormal_on_the_way(names, at))
    with tf.device(device.name):
        v = tf.Variable(at)
        with tf.GradientTape() as tape:
            g = v
            for name in names:
                g = TF_UNARY[name](g)
            total = tf.reduce_sum(g * tf.cos(v))
        grad = tape.gradient(total, v)
    assert_on_device(grad, device)
    return grad


@pytest.mark.claim("autodiff.tape-matches-finite-differences")
@given(names=compositions, at=points)
def test_tape_agrees_with_the_chain_rule(names, at, device):
    grad = tape_gradient_of_composition(names, at, device)
    exact, magnitude = ref.composed_times_cos_gradient(names, at)
    # Both sides in float64: a few roundings per factor of the product the chain rule forms.
    assert_close(grad, exact, rtol=0, atol=1e-13 * (magnitude + 1e-300) * (len(names) + 2),
                 what=f"d/dv Σ {'∘'.join(names)}(v)·cos(v) against the chain rule", device=device)


@pytest.mark.claim("autodiff.tape-matches-finite-differences")
@given(names=compositions, at=points)
def test_tape_agrees_with_central_differences(names, at, device):
    grad = tape_gradient_of_composition(names, at, device)
    step = 1e-6
    numeric = ref.central_difference(lambda p: float(np.sum(ref.compose(names, p) * np.cos(p))), at, step=step)
    # Central differences with h = 1e-6 in float64 carry truncation (h² times the third derivative, measured up
    # to about 2e-7 relative on these maps) and cancellation errors: f is the sum over every element, so each
    # partial inherits about ε·Σ|terms|/h of rounding, however small the partial itself (a term of 4e7 beside
    # a partial of 0.9 leaves 1e-5 on it). The chain-rule test above is the exact check.
    terms = float(np.sum(np.abs(ref.compose(names, np.asarray(at, np.float64)) * np.cos(at))))
    cancellation = 8 * float(np.finfo(np.float64).eps) * terms / step
    assert_close(grad, numeric, rtol=1e-6, atol=1e-6 + cancellation, what=f"d/dv Σ {'∘'.join(names)}(v)·cos(v)",
                 device=device)


@pytest.mark.claim("tensors.reshape-like-numpy")
@given(array=S.arrays(np.int32, S.shapes(max_dims=4)), data=st.data())
def test_reshape_like_numpy(array, data):
    size = array.size
    divisors = [d for d in range(1, size + 1) if size % d == 0] or [1]
    first = data.draw(st.sampled_from(divisors), label="first dimension")
    target = data.draw(st.sampled_from([(first, -1), (-1, first), (size,), (first, size // first if first else 0)]))
    if size == 0 and -1 in target:
        target = (0,)
    assert_exact(tf.reshape(array, target), np.reshape(array, target), what=f"reshape {array.shape} -> {target}")


@pytest.mark.claim("tensors.concat-like-numpy")
@given(data=st.data(), dtype=S.dtypes)
def test_concat_like_numpy(data, dtype):
    shape = data.draw(S.shapes(min_dims=1), label="shape")
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    parts = []
    for _ in range(data.draw(st.integers(1, 3), label="parts")):
        part_shape = list(shape)
        part_shape[axis] = data.draw(st.integers(0, S.MAX_SIDE))
        parts.append(data.draw(S.arrays(dtype, tuple(part_shape))))
    assert_exact(tf.concat(parts, axis=axis), np.concatenate(parts, axis=axis), what=f"concat axis={axis}")


@st.composite
def index_for(draw, shape):
    index = []
    for side in shape[: draw(st.integers(0, len(shape)))]:
        if side and draw(st.booleans()):
            index.append(draw(st.integers(-side, side - 1)))
        else:
            start = draw(st.none() | st.integers(-side - 2, side + 2))
            stop = draw(st.none() | st.integers(-side - 2, side + 2))
            step = draw(st.none() | st.integers(-3, 3).filter(bool))
            index.append(slice(start, stop, step))
    return tuple(index)


@pytest.mark.claim("tensors.slicing-like-numpy")
@given(array=S.arrays(np.int32, S.shapes(min_dims=1)), data=st.data())
def test_slicing_like_numpy(array, data):
    index = data.draw(index_for(array.shape), label="index")
    assert_exact(tf.constant(array)[index], array[index], what=f"x[{index}] of shape {array.shape}")
