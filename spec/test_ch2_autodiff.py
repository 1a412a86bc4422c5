"""二、TensorFlow基础 / （二）自动求导机制: the GradientTape example, variables versus constants,
reduce_sum's axis, reshape/concat/slicing as in NumPy, and the tape against analytic gradients and
finite differences."""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given
from hypothesis import strategies as st

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


@pytest.mark.claim("autodiff.reduce-sum-axis")
@given(array=S.arrays(np.int32, S.shapes(min_dims=1), bound=1000), data=st.data())
def test_reduce_sum_all_or_along_an_axis(array, data):
    axis = data.draw(st.integers(-array.ndim, array.ndim - 1), label="axis")
    assert_exact(tf.reduce_sum(array), np.sum(array), what="reduce_sum(x)")
    assert_exact(tf.reduce_sum(array, axis=axis), np.sum(array, axis=axis), what=f"reduce_sum(x, axis={axis})")


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


UNARY = {
    "sin": (tf.sin, np.sin),
    "tanh": (tf.tanh, np.tanh),
    "exp/4": (lambda v: tf.exp(v / 4.0), lambda v: np.exp(v / 4.0)),
    "square": (tf.square, np.square),
    "softplus": (tf.math.softplus, lambda v: np.logaddexp(0.0, v)),
}


@pytest.mark.claim("autodiff.tape-matches-finite-differences")
@given(
    ops=st.lists(st.sampled_from(sorted(UNARY)), min_size=1, max_size=4),
    at=S.arrays(np.float64, st.integers(1, 5).map(lambda n: (n,)), bound=2),
)
def test_tape_agrees_with_central_differences(ops, at, device):
    def compose(v, library):
        for name in ops:
            v = UNARY[name][library](v)
        return v

    with tf.device(device.name):
        v = tf.Variable(at)
        with tf.GradientTape() as tape:
            total = tf.reduce_sum(compose(v, 0) * tf.cos(v))
        grad = tape.gradient(total, v)
    assert_on_device(grad, device)
    numeric = ref.central_difference(lambda p: float(np.sum(compose(p, 1) * np.cos(p))), at, step=1e-6)
    # Central differences in float64 with h = 1e-6 carry ~1e-9 relative error for these smooth maps.
    assert_close(grad, numeric, rtol=1e-6, atol=1e-6, what=f"d/dv Σ {'∘'.join(ops)}(v)·cos(v)", device=device)


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
