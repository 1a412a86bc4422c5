"""三、TensorFlow模型建立与训练 / （六）Keras Pipeline: the book's Sequential and Functional MLPs
against the NumPy forward pass, the Functional API's tensors and their printed form, and
compile / fit / evaluate as written on small synthetic data (the fast tier) and on MNIST (slow)."""
from __future__ import annotations

import math
import re

import numpy as np
import pytest
import tensorflow as tf

from fixtures.tolerances import machine_epsilon
from reference import keras_custom as ref
from reference import layers as layers_ref
from spec.assertions import assert_close, assert_on_device
from spec.seeded import over_seeds

EPS32 = machine_epsilon(np.float32)

# The book's print(type(inputs), inputs, type(outputs), outputs, type(model), model, sep='\n'), with
# the two lines it wraps for the page joined again and its object address kept for masking.
HANDBOOK_FUNCTIONAL_PRINT = (
    "<class 'keras.engine.keras_tensor.KerasTensor'>\n"
    "KerasTensor(type_spec=TensorSpec(shape=(None, 28, 28, 1), dtype=tf.float32, name='input_1'), "
    "name='input_1', description=\"created by layer 'input_1'\")\n"
    "<class 'keras.engine.keras_tensor.KerasTensor'>\n"
    "KerasTensor(type_spec=TensorSpec(shape=(None, 10), dtype=tf.float32, name=None), "
    "name='softmax/Softmax:0', description=\"created by layer 'softmax'\")\n"
    "<class 'keras.engine.functional.Functional'>\n"
    "<keras.engine.functional.Functional object at 0x0000023F2ADABF10>"
)


# ------------------------------------------------------------------ the book's models, as written


def sequential_mlp():
    return tf.keras.models.Sequential([
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(100, activation=tf.keras.activations.relu),
        tf.keras.layers.Dense(10),
        tf.keras.layers.Softmax(),
    ])


def functional_mlp():
    inputs = tf.keras.Input(shape=(28, 28, 1))
    x = tf.keras.layers.Flatten()(inputs)
    x = tf.keras.layers.Dense(units=100, activation=tf.keras.activations.relu)(x)
    x = tf.keras.layers.Dense(units=10)(x)
    outputs = tf.keras.layers.Softmax()(x)
    model = tf.keras.Model(inputs=inputs, outputs=outputs)
    return inputs, outputs, model


def compile_as_written(model):
    """The book's compile call; returns the optimizer it passes (the book writes it inline)."""
    optimizer = tf.keras.optimizers.Adam(learning_rate=0.001)
    model.compile(
        optimizer=optimizer,
        loss=tf.keras.losses.sparse_categorical_crossentropy,
        metrics=[tf.keras.metrics.sparse_categorical_accuracy],
    )
    return optimizer


def dense_weights(model):
    """(W1, b1, W2, b2) of the two Dense layers, in order."""
    dense = [layer for layer in model.layers if isinstance(layer, tf.keras.layers.Dense)]
    assert len(dense) == 2, f"expected two Dense layers, found {[type(layer).__name__ for layer in model.layers]}"
    return [v.numpy() for layer in dense for v in (layer.kernel, layer.bias)]


def reference_with_bound(x, w1, b1, w2, b2):
    """The NumPy forward pass and, per probability, a bound on float32's rounding error.

    Rounding errors are modelled as independent (Higham, Accuracy and Stability of Numerical
    Algorithms, §3.5 / §2.8): a float32 dot product of length n is within 4·√n·ε·Σ|terms| of the exact
    one, and errors carried through the next layer add in quadrature. (The worst case n·ε·Σ|terms|
    is ~10⁴ times looser than anything observed: max relative error 6.5e-7 against 2e-4 here.)
    relu is 1-Lipschitz; softmax moves log p_i by at most 2·max|Δz|, plus a few roundings.
    """
    flat = np.asarray(x, np.float64).reshape(len(x), -1)
    h = ref.relu(ref.dense(flat, w1, b1))
    n1, n2 = w1.shape
    err_h = 4 * math.sqrt(n1) * EPS32 * (np.abs(flat) @ np.abs(w1) + np.abs(b1)) + EPS32 * np.abs(h)
    err_z = 4 * math.sqrt(n2) * EPS32 * (h @ np.abs(w2) + np.abs(b2)) + np.sqrt(err_h**2 @ w2**2)
    p = ref.mlp_forward(x, w1, b1, w2, b2)
    rel = 2 * err_z.max(axis=1, keepdims=True) + 16 * EPS32
    return p, p * np.expm1(rel)


def accuracy_interval(labels, p, bound):
    """(lowest, highest) accuracy float32 rounding can produce: an example whose top scores lie
    within their error bounds of each other may be counted either way."""
    labels = np.asarray(labels).astype(np.int64)
    rows = np.arange(len(labels))
    others = np.where(np.eye(p.shape[1], dtype=bool)[labels], -np.inf, p + bound)
    surely_right = p[rows, labels] - bound[rows, labels] > others.max(axis=1)
    rivals = np.where(np.eye(p.shape[1], dtype=bool)[labels], -np.inf, p - bound)
    possibly_right = p[rows, labels] + bound[rows, labels] >= rivals.max(axis=1)
    return float(surely_right.mean()), float(possibly_right.mean())


def synthetic_mnist(n, seed):
    """MNIST-shaped float32 images in [0, 1) and int32 labels 0-9 (random: only shapes matter here)."""
    rng = np.random.default_rng(seed)
    return rng.random((n, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, n).astype(np.int32)


# ------------------------------------------------------------------ 1. Sequential / Functional


@pytest.mark.claim("keras-pipeline.sequential-chains-layers")
def test_sequential_computes_the_layers_in_order(device):
    x, _ = synthetic_mnist(4, seed=1)
    with tf.device(device.name):
        model = sequential_mlp()
        assert not model.built, "the Sequential model is built before its first call"
        y = model(tf.constant(x))
    assert_on_device(y, device)
    w1, b1, w2, b2 = dense_weights(model)
    assert [w1.shape, b1.shape, w2.shape, b2.shape] == [(784, 100), (100,), (100, 10), (10,)]
    expected, bound = reference_with_bound(x, w1, b1, w2, b2)
    assert_close(y, expected, what="Sequential MLP(x)", rtol=0, atol=bound, device=device)


@pytest.mark.claim("keras-pipeline.functional-computes")
def test_functional_model_computes_the_mlp(device):
    x, _ = synthetic_mnist(4, seed=2)
    with tf.device(device.name):
        _, _, model = functional_mlp()
        y = model(tf.constant(x))
    assert_on_device(y, device)
    expected, bound = reference_with_bound(x, *dense_weights(model))
    assert_close(y, expected, what="Functional MLP(x)", rtol=0, atol=bound, device=device)


@pytest.mark.claim("keras-pipeline.functional-multi-io-shared")
def test_functional_two_inputs_two_outputs_one_shared_layer(device):
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(2, 3)).astype(np.float32), rng.normal(size=(2, 3)).astype(np.float32)
    with tf.device(device.name):
        in_a, in_b = tf.keras.Input(shape=(3,)), tf.keras.Input(shape=(3,))
        shared = tf.keras.layers.Dense(units=2, bias_initializer="ones")
        model = tf.keras.Model(inputs=[in_a, in_b], outputs=[shared(in_a), shared(in_b)])
        out_a, out_b = model([tf.constant(a), tf.constant(b)])
    assert_on_device(out_a, device)
    assert len(model.inputs) == 2 and len(model.outputs) == 2
    assert len(model.trainable_weights) == 2, f"{len(model.trainable_weights)} weights: the layer is not shared"
    kernel, bias = shared.kernel.numpy(), shared.bias.numpy()
    for got, x, name in ((out_a, a, "first"), (out_b, b, "second")):
        scale = np.abs(x) @ np.abs(kernel) + np.abs(bias)
        assert_close(got, ref.dense(x, kernel, bias), what=f"{name} output", rtol=0, atol=4 * EPS32 * scale,
                     device=device)


@pytest.mark.claim("keras-pipeline.functional-types")
def test_functional_types():
    inputs, outputs, model = functional_mlp()
    assert type(inputs).__name__ == "KerasTensor", f"type(inputs) is {type(inputs)}"
    assert type(outputs).__name__ == "KerasTensor", f"type(outputs) is {type(outputs)}"
    assert type(model).__name__ == "Functional", f"type(model) is {type(model)}"
    assert isinstance(model, tf.keras.Model)


@pytest.mark.claim("keras-pipeline.functional-tensor-specs")
def test_functional_tensor_shapes_and_dtypes():
    inputs, outputs, _ = functional_mlp()
    assert tuple(inputs.shape) == (None, 28, 28, 1), f"inputs.shape {inputs.shape}"
    assert tuple(outputs.shape) == (None, 10), f"outputs.shape {outputs.shape}"
    assert tf.as_dtype(inputs.dtype) == tf.float32 and tf.as_dtype(outputs.dtype) == tf.float32


def _normalised(text: str) -> str:
    lines = [re.sub(r"\s+", " ", line).strip() for line in text.strip().splitlines()]
    return re.sub(r"0x[0-9A-Fa-f]+", "0x…", "\n".join(lines))


@pytest.mark.claim("keras-pipeline.functional-printed-form")
def test_functional_printed_form(capsys, measured):
    # Names (input_1, softmax) count the layers made so far; the book prints a fresh session's.
    # clear_session() is Keras' public reset of those counters.
    tf.keras.backend.clear_session()
    inputs, outputs, model = functional_mlp()
    capsys.readouterr()
    print(type(inputs), inputs, type(outputs), outputs, type(model), model, sep="\n")
    printed = capsys.readouterr().out
    measured("printed", printed.strip(), handbook=HANDBOOK_FUNCTIONAL_PRINT)
    assert _normalised(printed) == _normalised(HANDBOOK_FUNCTIONAL_PRINT), (
        f"the book prints\n{HANDBOOK_FUNCTIONAL_PRINT}\nthis install prints\n{printed}"
    )


# ------------------------------------------------------------------ 2. compile / fit / evaluate

N_TRAIN, N_VAL, N_TEST = 100, 20, 40
BATCH_SIZE, EPOCHS, EVAL_BATCH = 32, 3, 16  # 100 / 32 and 40 / 16 leave partial last batches


@pytest.fixture(scope="module")
def fitted_runs():
    """Per device, one run of the book's pipeline on synthetic data (fit costs ~1 s to trace)."""
    return {}


def fitted(device, cache):
    if device.id in cache:
        return cache[device.id]
    x, y = synthetic_mnist(N_TRAIN, seed=4)
    x_val, y_val = synthetic_mnist(N_VAL, seed=5)
    x_test, y_test = synthetic_mnist(N_TEST, seed=6)
    with tf.device(device.name):
        model = sequential_mlp()
        compile_as_written(model)
        model(tf.constant(x[:1]))  # creates the weights; the loss before fit comes from NumPy
        loss_before = float(np.mean(ref.sparse_categorical_crossentropy(y, ref.mlp_forward(x, *dense_weights(model)))))
        history = model.fit(x=x, y=y, batch_size=BATCH_SIZE, epochs=EPOCHS, validation_data=(x_val, y_val), verbose=0)
        run = {
            "model": model, "history": history, "steps": int(model.optimizer.iterations.numpy()),
            "loss_before": loss_before, "loss_after": model.evaluate(x=x, y=y, verbose=0)[0],
            "val": model.evaluate(x=x_val, y=y_val, verbose=0),
            "test": model.evaluate(x=x_test, y=y_test, batch_size=EVAL_BATCH, verbose=0),
            "test_data": (x_test, y_test), "device_of_output": model(tf.constant(x_test[:1])),
        }
    cache[device.id] = run
    return run


@pytest.mark.claim("keras-pipeline.compile-as-written")
def test_compiled_as_written_the_model_trains(device, fitted_runs, measured):
    run = fitted(device, fitted_runs)
    assert_on_device(run["device_of_output"], device)
    measured("training loss before / after fit", [run["loss_before"], run["loss_after"]])
    assert math.isfinite(run["loss_after"]) and run["loss_after"] < run["loss_before"], (
        f"fit did not lower the training loss: {run['loss_before']} -> {run['loss_after']}"
    )


@pytest.mark.claim("keras-pipeline.fit-history")
def test_fit_returns_a_history_per_epoch(device, fitted_runs):
    run = fitted(device, fitted_runs)
    history = run["history"]
    assert isinstance(history, tf.keras.callbacks.History), f"fit returned {type(history)}"
    assert list(history.epoch) == list(range(EPOCHS)), f"history.epoch {history.epoch}"
    keys = {"loss", "sparse_categorical_accuracy", "val_loss", "val_sparse_categorical_accuracy"}
    assert set(history.history) == keys, f"history keys {sorted(history.history)}"
    for key in keys:
        assert len(history.history[key]) == EPOCHS, f"{key}: {history.history[key]}"
    assert run["steps"] == EPOCHS * math.ceil(N_TRAIN / BATCH_SIZE), f"{run['steps']} optimizer steps"
    # The last epoch's validation runs on the final weights: evaluate afterwards gives the same.
    assert_close(history.history["val_loss"][-1], run["val"][0], what="last val_loss vs evaluate", rtol=1e-5)


# One full batch per epoch, in order (shuffle=False), two epochs: each epoch is one optimizer step
# whose loss, accuracy and validation values the NumPy reference gives from the weights around it.
N_STEP, N_STEP_VAL, STEP_EPOCHS = 100, 100, 2


@pytest.fixture(scope="module")
def stepped_runs():
    return {}


def stepped(device, cache):
    """Per device: the book's compile, then fit(batch_size=N, epochs=2, shuffle=False) with the
    weights recorded before training and after each epoch."""
    if device.id in cache:
        return cache[device.id]
    x, y = synthetic_mnist(N_STEP, seed=9)
    x_val, y_val = synthetic_mnist(N_STEP_VAL, seed=10)
    with tf.device(device.name):
        model = sequential_mlp()
        optimizer = compile_as_written(model)
        model(tf.constant(x[:1]))
        weights = [dense_weights(model)]
        record = tf.keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: weights.append(dense_weights(model)))
        history = model.fit(x=x, y=y, batch_size=N_STEP, epochs=STEP_EPOCHS, shuffle=False,
                            validation_data=(x_val, y_val), verbose=0, callbacks=[record])
    cache[device.id] = run = {"model": model, "optimizer": optimizer, "weights": weights, "history": history.history,
                              "data": (x, y), "val": (x_val, y_val)}
    return run


@pytest.mark.claim("keras-pipeline.compile-as-written")
def test_compiled_as_written_fit_steps_with_that_adam(device, stepped_runs):
    run = stepped(device, stepped_runs)
    model, optimizer = run["model"], run["optimizer"]
    assert model.optimizer is optimizer, f"the model trains with {model.optimizer!r}, not the Adam passed to compile"
    assert isinstance(optimizer, tf.keras.optimizers.Adam)
    assert float(optimizer.learning_rate) == float(np.float32(0.001)), f"learning rate {float(optimizer.learning_rate)}"
    assert int(optimizer.iterations.numpy()) == STEP_EPOCHS, f"{int(optimizer.iterations.numpy())} optimizer steps"
    x, y = run["data"]
    moments = [(np.zeros(w.shape), np.zeros(w.shape)) for w in run["weights"][0]]
    for t, (before, after) in enumerate(zip(run["weights"], run["weights"][1:]), start=1):
        _, grads = layers_ref.mlp_loss_and_gradients(x, y, before)
        for k, (b, g, a) in enumerate(zip(before, grads, after)):
            want, m, v = layers_ref.adam_step(b, g, *moments[k], t, learning_rate=0.001)
            moments[k] = (m, v)
            # Moves of ~1e-3; a gradient near ε = 1e-7 turns its float32 error into a visible move.
            assert_close(a.astype(np.float64) - b, want - b, rtol=1e-3, atol=2e-6,
                         what=f"fit step {t}: move of weight {k} {b.shape} (reference Adam step)", device=device)


@pytest.mark.claim("keras-pipeline.fit-history")
def test_fit_history_holds_each_epochs_values(device, stepped_runs, measured):
    run = stepped(device, stepped_runs)
    history, weights = run["history"], run["weights"]
    measured("history", {k: [float(v) for v in values] for k, values in history.items()})
    for key in ("loss", "sparse_categorical_accuracy", "val_loss", "val_sparse_categorical_accuracy"):
        assert len(history.get(key, [])) == STEP_EPOCHS, f"{key}: {history.get(key)}"
    for epoch in range(STEP_EPOCHS):
        # The epoch's one batch is evaluated before its step; validation after it.
        for prefix, (x, y), w in (("", run["data"], weights[epoch]), ("val_", run["val"], weights[epoch + 1])):
            p, bound = reference_with_bound(x, *w)
            want_loss = float(np.mean(ref.sparse_categorical_crossentropy(y, p)))
            assert_close(history[prefix + "loss"][epoch], want_loss, rtol=1e-5,
                         what=f"history['{prefix}loss'][{epoch}]", device=device)
            low, high = accuracy_interval(y, p, bound)
            got = history[prefix + "sparse_categorical_accuracy"][epoch]
            assert low - EPS32 <= got <= high + EPS32, (
                f"history['{prefix}sparse_categorical_accuracy'][{epoch}] = {got}, reference "
                f"{ref.sparse_categorical_accuracy(y, p)} (at most [{low}, {high}] with rounding)"
            )


@pytest.mark.claim("keras-pipeline.fit-call-as-printed")
def test_fit_call_as_printed():
    x, y = synthetic_mnist(8, seed=7)
    x_valid, _ = synthetic_mnist(4, seed=8)
    model = sequential_mlp()
    compile_as_written(model)
    try:  # the book's keywords, spelling included; valid_data stands for the loader's inputs
        model.fit(x=x, y=y, batch_size=4, eopchs=1, validation_data=x_valid, verbose=0)
    except Exception as error:  # noqa: BLE001 - any failure means the call does not run
        pytest.fail(f"the book's fit call fails: {type(error).__name__}: {error}")


@pytest.mark.claim("keras-pipeline.evaluate-returns-loss-and-metric")
def test_evaluate_returns_the_test_loss_and_accuracy(device, fitted_runs, measured):
    run = fitted(device, fitted_runs)
    result = run["test"]
    assert isinstance(result, list) and len(result) == 2, f"evaluate returned {result!r}"
    loss_val, metric_val = result
    x_test, y_test = run["test_data"]
    p, bound = reference_with_bound(x_test, *dense_weights(run["model"]))
    true_p = p[np.arange(N_TEST), y_test]
    expected_loss = float(np.mean(ref.sparse_categorical_crossentropy(y_test, p)))
    expected_acc = ref.sparse_categorical_accuracy(y_test, p)
    measured("evaluate [loss, accuracy]", [loss_val, metric_val], note=f"reference [{expected_loss}, {expected_acc}]")
    # Loss: each -log p moves by at most its probability's relative error; the batched average
    # adds a few float32 roundings per example.
    loss_tol = float(np.mean(np.log1p(bound[np.arange(N_TEST), y_test] / true_p))) + 64 * EPS32 * expected_loss
    assert_close(loss_val, expected_loss, what="evaluate's loss", rtol=0, atol=loss_tol)
    low, high = accuracy_interval(y_test, p, bound)
    assert low == pytest.approx(expected_acc, abs=0.1), f"rounding could move {high - low:.0%} of the examples"
    assert low - EPS32 <= metric_val <= high + EPS32, (
        f"evaluate's accuracy {metric_val}, reference {expected_acc} (at most [{low}, {high}] with rounding)"
    )


PIPELINE_SEEDS = 3
PIPELINE_BAR = 0.97


@pytest.mark.slow
@pytest.mark.book  # already at the book's settings (10 epochs, batch 64): the book tier runs it too
@pytest.mark.claim("keras-pipeline.mnist-trains")
def test_pipeline_trains_mnist(device, local_data_file, measured, claim_seeds):
    from spec.models_keras import BATCH_SIZE as BOOK_BATCH, NUM_EPOCHS, MNISTLoader

    loader = MNISTLoader(local_data_file("mnist.npz"))
    # The book's loader has no validation split; the last 5000 training images play that part.
    x, y = loader.train_data[:-5000], loader.train_label[:-5000]
    valid = (loader.train_data[-5000:], loader.train_label[-5000:])
    accuracies = {}
    for seed in claim_seeds(PIPELINE_SEEDS):
        tf.keras.utils.set_random_seed(seed)  # initial weights and fit's shuffling
        with tf.device(device.name):
            model = sequential_mlp()
            compile_as_written(model)
            history = model.fit(x=x, y=y, batch_size=BOOK_BATCH, epochs=NUM_EPOCHS, validation_data=valid, verbose=0)
            _, accuracies[seed] = model.evaluate(x=loader.test_data, y=loader.test_label, verbose=0)
        measured(f"val accuracy per epoch, seed {seed}", history.history["val_sparse_categorical_accuracy"],
                 note="x: epoch")
    summary = over_seeds(accuracies, f"mean of {PIPELINE_SEEDS} seeds >= {PIPELINE_BAR}")
    measured("test accuracy over seeds", summary, handbook=0.972155,
             note="the book's number is for the same MLP trained by hand in （二）")
    assert summary["mean"] >= PIPELINE_BAR, (
        f"mean test accuracy {summary['mean']:.4f} over seeds {summary['per_seed']} after {NUM_EPOCHS} epochs"
    )
