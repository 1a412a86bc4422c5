"""二、TensorFlow基础 / （三）示例：线性回归: the data, the hand-derived partials, the NumPy loop as
written, the TensorFlow loop (as a tf.function in the fast tier, eagerly as written in the slow
tier), its printed variables, apply_gradients, and the closed form the loops approach."""
from __future__ import annotations

import re

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given
from hypothesis import strategies as st

from reference import linear_regression as ref
from spec.assertions import assert_close, assert_exact, assert_on_device, assert_printed

HANDBOOK_NUMPY_A, HANDBOOK_NUMPY_B = "0.9591714862483188", "0.04422438431531203"
HANDBOOK_TF_A, HANDBOOK_TF_B = "0.9591617", "0.044228815"
STEPS, LEARNING_RATE = 10_000, 1e-3


def handbook_data() -> tuple[np.ndarray, np.ndarray]:
    """x and y built as the section builds them: float32 arrays, min-max normalised."""
    x_raw = np.array(ref.YEARS, dtype=np.float32)
    y_raw = np.array(ref.PRICES, dtype=np.float32)
    x = (x_raw - x_raw.min()) / (x_raw.max() - x_raw.min())
    y = (y_raw - y_raw.min()) / (y_raw.max() - y_raw.min())
    return x, y


def numpy_loop_as_written():
    """The section's NumPy loop, statement for statement (Python ints to start, Python float lr)."""
    x, y = handbook_data()
    a, b = 0, 0
    num_epoch = STEPS
    lr = LEARNING_RATE
    for _ in range(num_epoch):
        y_pred = a * x + b
        grad_a, grad_b = 2 * np.dot(y_pred - y, x), 2 * np.sum(y_pred - y)
        a, b = a - lr * grad_a, b - lr * grad_b
    return a, b


def tf_loop(device, *, eager: bool):
    """The section's TensorFlow loop on `device`; eager=True runs it exactly as written."""
    x_np, y_np = handbook_data()
    with tf.device(device.name):
        x, y = tf.constant(value=x_np), tf.constant(value=y_np)
        a, b = tf.Variable(initial_value=0.0), tf.Variable(initial_value=0.0)
        optimizer = tf.keras.optimizers.SGD(learning_rate=LEARNING_RATE)

        def step():
            with tf.GradientTape() as tape:
                y_pred = a * x + b
                loss = tf.reduce_sum(tf.square(y_pred - y))
            grad_a, grad_b = tape.gradient(loss, [a, b])
            optimizer.apply_gradients(grads_and_vars=zip([grad_a, grad_b], [a, b]))

        if eager:
            for _ in range(STEPS):
                step()
        else:

            @tf.function
            def train(n):
                for _ in tf.range(n):
                    step()

            train(tf.constant(STEPS))
    return a, b


@pytest.mark.claim("linreg.normalised-data")
def test_normalised_data():
    x, y = handbook_data()
    ref_x, ref_y = ref.house_price_data(np.float64)
    # Each value is one correctly rounded float32 division of exact integers: the float64 value rounded.
    assert_exact(x, ref_x.astype(np.float32), what="normalised x", dtype=np.float32)
    assert_exact(y, ref_y.astype(np.float32), what="normalised y", dtype=np.float32)


@pytest.mark.claim("linreg.partial-derivatives")
@given(a=st.floats(-5, 5), b=st.floats(-5, 5))
def test_hand_derived_partials_equal_the_tape(a, b, device):
    x64, y64 = ref.house_price_data(np.float64)
    with tf.device(device.name):
        av, bv = tf.Variable(a, dtype=tf.float64), tf.Variable(b, dtype=tf.float64)
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.square(av * x64 + bv - y64))
        grad_a, grad_b = tape.gradient(loss, [av, bv])
    assert_on_device(grad_a, device)
    ref_a, ref_b = ref.analytic_gradients(a, b, x64, y64)
    scale = 2 * float(np.sum(np.abs(a * x64) + abs(b) + y64)) * 1e-13
    assert_close(grad_a, ref_a, rtol=1e-12, atol=scale, what=f"∂L/∂a at a={a}, b={b}", device=device)
    assert_close(grad_b, ref_b, rtol=1e-12, atol=scale, what=f"∂L/∂b at a={a}, b={b}", device=device)


@pytest.mark.claim("linreg.numpy-loop-float64")
def test_numpy_loop_ends_as_float64_within_the_stated_bound(measured):
    a, b = numpy_loop_as_written()
    x, y = handbook_data()
    exact_a, exact_b = ref.gradient_descent(x.astype(np.float64), y.astype(np.float64), LEARNING_RATE, STEPS)
    measured("type of a and b", f"{type(a).__name__}, {type(b).__name__}", handbook="float64, float64",
             note=f"numpy {np.__version__}")
    measured("|a − float64 iteration|, |b − float64 iteration|", [abs(float(a) - exact_a), abs(float(b) - exact_b)],
             handbook=[0.0, 0.0], note=f"bound {ref.NUMPY1_LOOP_BOUND:g}")
    assert (type(a), type(b)) == (np.float64, np.float64), (
        f"the NumPy loop ends with a: {type(a).__name__}, b: {type(b).__name__}; the book's 16-digit print needs float64"
    )
    for name, got, exact in (("a", a, exact_a), ("b", b, exact_b)):
        assert abs(float(got) - exact) <= ref.NUMPY1_LOOP_BOUND, (
            f"{name} = {got!r} is {abs(float(got) - exact):.3g} from the float64 iteration's {exact!r}; "
            f"bound {ref.NUMPY1_LOOP_BOUND:g}"
        )


@pytest.mark.claim("linreg.numpy-loop-printed")
def test_numpy_loop_prints_the_books_values(capsys, measured):
    from ci.machine import float32_dot_kernel

    a, b = numpy_loop_as_written()
    print(a, b, sep="\n")
    printed = capsys.readouterr().out.rstrip("\n")
    measured("printed a", printed.splitlines()[0], handbook=HANDBOOK_NUMPY_A, note=f"type {type(a).__name__}")
    measured("printed b", printed.splitlines()[1], handbook=HANDBOOK_NUMPY_B, note=f"numpy {np.__version__}")
    measured("float32 dot kernel", float32_dot_kernel(), handbook="double-accumulation",
             note="decides the last digits under NumPy 1 (ci.machine)")
    assert printed == f"{HANDBOOK_NUMPY_A}\n{HANDBOOK_NUMPY_B}", (
        f"the NumPy loop printed\n{printed}\n(a is {type(a).__name__}) where the book prints\n"
        f"{HANDBOOK_NUMPY_A}\n{HANDBOOK_NUMPY_B}"
    )


@pytest.mark.claim("linreg.gd-approximates-closed-form")
def test_descent_ends_close_to_the_closed_form(device, measured):
    a_star, b_star = ref.closed_form(*ref.house_price_data())
    ref_a, ref_b = ref.gradient_descent(*ref.house_price_data(), LEARNING_RATE, STEPS)
    # Exact (float64) descent stops 1.2e-5 short in a; float32 arithmetic adds about 1e-5 of drift.
    tolerance = 5e-5
    np_a, np_b = numpy_loop_as_written()
    tf_a, tf_b = (v.numpy() for v in tf_loop(device, eager=False))
    measured("closed form (a*, b*)", [a_star, b_star])
    measured("float64 descent (a, b)", [ref_a, ref_b])
    for name, (a, b) in {"NumPy loop": (np_a, np_b), "TF loop": (tf_a, tf_b)}.items():
        assert abs(float(a) - a_star) <= tolerance and abs(float(b) - b_star) <= tolerance, (
            f"{name} on {device.id} ended at a={a}, b={b}; closed form a*={a_star}, b*={b_star}, tolerance {tolerance}"
        )


@pytest.mark.claim("linreg.tf-loop-values")
def test_tf_loop_values(device, measured):
    a, b = tf_loop(device, eager=False)
    assert_on_device(a.value(), device)
    measured("a", float(a.numpy()), handbook=float(HANDBOOK_TF_A))
    measured("b", float(b.numpy()), handbook=float(HANDBOOK_TF_B))
    assert_exact(a.numpy(), np.float32(HANDBOOK_TF_A), what="a after 10,000 steps", device=device, dtype=np.float32)
    assert_exact(b.numpy(), np.float32(HANDBOOK_TF_B), what="b after 10,000 steps", device=device, dtype=np.float32)


@pytest.mark.slow
@pytest.mark.claim("linreg.tf-loop-as-written")
def test_tf_loop_eagerly_as_written(device, measured):
    a, b = tf_loop(device, eager=True)
    measured("a (eager)", float(a.numpy()), handbook=float(HANDBOOK_TF_A))
    assert_exact(a.numpy(), np.float32(HANDBOOK_TF_A), what="a, eager loop", device=device, dtype=np.float32)
    assert_exact(b.numpy(), np.float32(HANDBOOK_TF_B), what="b, eager loop", device=device, dtype=np.float32)


@pytest.mark.claim("linreg.tf-loop-printed-form")
def test_tf_loop_printed_form(capsys, device, measured):
    a, b = tf_loop(device, eager=False)
    print(a, b, sep="\n")
    expected = (
        f"<tf.Variable 'Variable:0' shape=() dtype=float32, numpy={HANDBOOK_TF_A}>\n"
        f"<tf.Variable 'Variable:0' shape=() dtype=float32, numpy={HANDBOOK_TF_B}>"
    )
    out = capsys.readouterr().out.rstrip("\n")
    measured("printed a", out.splitlines()[0], handbook=expected.splitlines()[0])
    print(out)
    assert_printed(capsys, expected, what="print(a, b, sep='\\n')")


@pytest.mark.claim("linreg.tf-loop-printed-value")
def test_tf_loop_printed_variables_carry_the_books_value(capsys, device):
    a, b = tf_loop(device, eager=False)
    print(a, b, sep="\n")
    lines = capsys.readouterr().out.rstrip("\n").splitlines()
    assert len(lines) == 2, lines
    for line, book in zip(lines, (HANDBOOK_TF_A, HANDBOOK_TF_B)):
        match = re.fullmatch(r"<tf\.Variable 'Variable:0' shape=\(\) dtype=float32, numpy=([-+0-9.e]+)>", line)
        assert match, f"printed {line!r}, not in the form <tf.Variable 'Variable:0' shape=() dtype=float32, numpy=...>"
        assert np.float32(match.group(1)) == np.float32(book), (
            f"printed number {match.group(1)} is not the float32 {book} the book prints"
        )


@pytest.mark.claim("linreg.sgd-apply-gradients")
def test_apply_gradients_subtracts_learning_rate_times_gradient(device):
    rng = np.random.default_rng(11)
    values = [rng.standard_normal(3).astype(np.float32), np.float32(rng.standard_normal())]
    with tf.device(device.name):
        params = [tf.Variable(v) for v in values]
        optimizer = tf.keras.optimizers.SGD(learning_rate=LEARNING_RATE)
        assert np.float32(optimizer.learning_rate.numpy()) == np.float32(LEARNING_RATE)
        expected = [v.copy() for v in values]
        for step in range(3):
            grads = [rng.standard_normal(np.shape(v)).astype(np.float32) for v in values]
            optimizer.apply_gradients(grads_and_vars=zip([tf.constant(g) for g in grads], params))
            expected = [ref.sgd_step(e, g, np.float32(LEARNING_RATE)) for e, g in zip(expected, grads)]
            for n, (param, want) in enumerate(zip(params, expected)):
                got = tf.identity(param)
                assert_on_device(got, device)
                assert_exact(got, np.asarray(want, np.float32), what=f"parameter {n} after step {step + 1}",
                             device=device, dtype=np.float32)


@pytest.mark.claim("linreg.apply-gradients-pair-order")
def test_apply_gradients_accepts_param_grad_pairs(device):
    with tf.device(device.name):
        param, grad = tf.Variable([1.0, 2.0]), tf.constant([0.5, -0.5])
        optimizer = tf.keras.optimizers.SGD(learning_rate=0.1)
        try:
            optimizer.apply_gradients(grads_and_vars=[(param, grad)])  # (param, grad), as the prose says
        except Exception as exc:  # noqa: BLE001 - any refusal means the prose's order is not accepted
            pytest.fail(f"apply_gradients rejected a (param, grad) pair: {type(exc).__name__}: {exc}", pytrace=False)
        value = tf.identity(param)
    assert_exact(value, np.array([0.95, 2.05], np.float32), what="param after a (param, grad) step", device=device)


@pytest.mark.claim("linreg.loss-scale-equals-learning-rate")
@pytest.mark.parametrize("scale", [2.0**-3, 0.5, 4.0, 2.0**5], ids=lambda c: f"loss*{c:g}")
@pytest.mark.parametrize("lr", [2.0**-10, 2.0**-6], ids=lambda r: f"lr{r:g}")
def test_scaling_the_loss_equals_scaling_the_learning_rate(scale, lr, device):
    # Powers of two keep every scaling exact in binary floating point (Keras 3 also stores the
    # learning rate as float32), so the two runs must agree bit for bit.
    x64, y64 = ref.house_price_data(np.float64)

    def run(loss_scale, learning_rate):
        with tf.device(device.name):
            a, b = tf.Variable(0.0, dtype=tf.float64), tf.Variable(0.0, dtype=tf.float64)
            optimizer = tf.keras.optimizers.SGD(learning_rate=learning_rate)
            for _ in range(3):  # later steps start from earlier results, so a mismatch compounds
                with tf.GradientTape() as tape:
                    loss = loss_scale * tf.reduce_sum(tf.square(a * x64 + b - y64))
                optimizer.apply_gradients(zip(tape.gradient(loss, [a, b]), [a, b]))
        return np.array([a.numpy(), b.numpy()])

    scaled_loss = run(scale, lr)
    scaled_rate = run(1.0, lr * scale)
    assert_exact(scaled_loss, scaled_rate, what=f"{scale}·L with lr {lr} versus L with lr {lr * scale}", device=device)
    # Both runs are gradient descent, not merely equal to each other: the three steps in NumPy.
    theta = np.zeros(2)
    for _ in range(3):
        theta = ref.sgd_step(theta, scale * np.array(ref.analytic_gradients(*theta, x64, y64)), lr)
    assert np.all(theta != 0), f"the reference does not move: {theta}"
    assert_close(scaled_loss, theta, rtol=1e-12, what=f"3 steps on {scale}·L with lr {lr} (NumPy float64)", device=device)


@pytest.mark.claim("basics.model-call-and-variables")
def test_model_is_called_and_lists_its_variables(device):
    with tf.device(device.name):
        model = tf.keras.Sequential([tf.keras.layers.Dense(units=1)])
        x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
        y_pred = model(x)
    assert_on_device(y_pred, device)
    assert y_pred.shape == (2, 1), y_pred.shape
    variables = model.variables
    assert [tuple(v.shape) for v in variables] == [(2, 1), (1,)], [v.shape for v in variables]
    kernel, bias = (v.numpy() for v in variables)
    assert_close(y_pred, x.numpy() @ kernel + bias, rtol=1e-6, what="model(x) = x·kernel + bias", device=device)


@pytest.mark.claim("basics.model-variables-method")
def test_model_variables_called_as_a_method():
    model = tf.keras.Sequential([tf.keras.layers.Dense(units=1)])
    model(tf.zeros((1, 2)))
    try:
        parameters = model.variables()  # as the text writes it
    except TypeError as exc:
        pytest.fail(f"model.variables() raised TypeError: {exc} (variables is a property)", pytrace=False)
    assert len(parameters) == 2
