"""Fixes for chapters 一 (TensorFlow概述, with its feature list) and 二 (TensorFlow基础): today's
spelling of what the book writes, each checked against the book's observable.

The errata show the lines between `# errata: begin` and `# errata: end`; the checks follow them.
"""
from __future__ import annotations

import functools
import importlib.metadata
import platform
import textwrap

import numpy as np
import pytest
import tensorflow as tf
from packaging.requirements import Requirement
from packaging.version import Version

from ci.environment import tensorflow_distribution
from reference import linear_regression as ref
from spec.assertions import assert_close, assert_exact, assert_on_device
from spec.subprocesses import INSTALL_CHECK, describe, run_python

TF_VERSION = Version(tf.__version__.split("-")[0])
TF_2_16 = Version("2.16")


# ---------------------------------------------------------------- 一、TensorFlow概述 / 安装验证


@functools.cache
def _installation_check(code: str):
    """The installation check in a fresh interpreter, the logging variables cleared: (result, the
    INFO/WARNING lines and absl notices on stderr, as the claim tests count them)."""
    from spec.test_ch1_overview import _low_level_lines

    result = run_python(code + INSTALL_CHECK)
    return result, _low_level_lines(result.stderr)


def _check_installation_output(result, leaked, measured) -> None:
    __tracebackhide__ = True
    assert result.returncode == 0, describe(result)
    assert "[[19 22]\n [43 50]]" in result.stdout, describe(result)
    measured("info/warning lines", leaked, handbook=[])
    assert not leaked, f"the installation check still printed these log lines: {leaked}"


@pytest.mark.subprocess
@pytest.mark.fix("overview.log-level-as-written")
def test_log_level_set_before_import(measured):
    if TF_VERSION >= TF_2_16:
        pytest.skip(f"TF < 2.16 spelling; on TensorFlow {tf.__version__} the lines printed before absl logging "
                    "starts ignore TF_CPP_MIN_LOG_LEVEL wherever it is set (see the stderr spelling)")
    code = textwrap.dedent("""\
        # errata: begin
        import os
        os.environ['TF_CPP_MIN_LOG_LEVEL'] = '2'  # before importing TensorFlow, which reads it when it starts
        import tensorflow as tf
        # errata: end
    """)
    _check_installation_output(*_installation_check(code), measured)


# The two tests below run the same code: one child per test process serves both (the cache).


@pytest.mark.subprocess
@pytest.mark.fix("overview.log-level-filters-info")
def test_log_lines_hidden_while_tensorflow_starts(measured):
    code = textwrap.dedent("""\
        # errata: begin
        import os
        os.environ['TF_CPP_MIN_LOG_LEVEL'] = '2'
        stderr = os.dup(2)  # TensorFlow >= 2.16 prints some lines before it reads the variable:
        os.dup2(os.open(os.devnull, os.O_WRONLY), 2)  # hide the process's stderr while it starts
        try:
            import tensorflow as tf
        finally:
            os.dup2(stderr, 2)
        # errata: end
    """)
    _check_installation_output(*_installation_check(code), measured)


@pytest.mark.subprocess
@pytest.mark.fix("overview.log-level-as-written")
def test_log_lines_hidden_while_tensorflow_starts_as_written(measured):
    code = textwrap.dedent("""\
        # errata: begin
        import os
        os.environ['TF_CPP_MIN_LOG_LEVEL'] = '2'
        stderr = os.dup(2)  # TensorFlow >= 2.16 prints some lines before it reads the variable:
        os.dup2(os.open(os.devnull, os.O_WRONLY), 2)  # hide the process's stderr while it starts
        try:
            import tensorflow as tf
        finally:
            os.dup2(stderr, 2)
        # errata: end
    """)
    _check_installation_output(*_installation_check(code), measured)


# ---------------------------------------------------------------- 一、TensorFlow概述 / 安装 (GPU)


def _tensorflow_requirements() -> tuple[str, list[Requirement]]:
    dist, _ = tensorflow_distribution()
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        pytest.skip(f"the `and-cuda` extra is for Linux x86-64; this is {platform.system()} {platform.machine()}")
    if dist != "tensorflow":
        pytest.skip(f"installed distribution is {dist!r}, not the `tensorflow` wheel that has the GPU extra")
    return dist, [Requirement(r) for r in importlib.metadata.requires(dist) or []]


def _cuda_suffix() -> str:
    """'cu12' for a wheel built with CUDA 12.x: the suffix of NVIDIA's pip packages for it."""
    cuda = tf.sysconfig.get_build_info().get("cuda_version")
    if not cuda:
        pytest.skip("this TensorFlow is not a CUDA build: it names no CUDA version")
    return f"cu{str(cuda).split('.')[0]}"


def _and_cuda(requirements: list[Requirement]) -> dict[str, Requirement]:
    return {r.name: r for r in requirements if r.marker is not None and r.marker.evaluate({"extra": "and-cuda"})
            and not r.marker.evaluate({"extra": ""})}


@pytest.mark.fix("features.gpu-needs-manual-cuda-install")
def test_pip_extra_installs_the_nvidia_libraries(measured):
    dist, requirements = _tensorflow_requirements()
    if TF_VERSION < Version("2.14"):
        pytest.skip(f"TensorFlow {tf.__version__} has no `and-cuda` extra (added in 2.14)")
    # errata: begin
    # shell:  pip install tensorflow[and-cuda]   (Linux: CUDA, CUPTI, cuDNN from pip; only the driver system-wide)
    print(tf.config.list_physical_devices('GPU'))
    # errata: end
    extra = _and_cuda(requirements)
    measured("requirements of tensorflow[and-cuda]", sorted(str(r) for r in extra.values()))
    # The book's list: the CUDA toolkit (runtime, compiler, cuBLAS, ...), CUPTI and cuDNN, built for
    # the CUDA major release the wheel was (cu11 packages for TF 2.14, cu12 from 2.15 on).
    cu = _cuda_suffix()
    wanted = {f"nvidia-cuda-runtime-{cu}", f"nvidia-cuda-cupti-{cu}", f"nvidia-cudnn-{cu}", f"nvidia-cublas-{cu}"}
    assert wanted <= set(extra), f"{dist}[and-cuda] requires {sorted(extra)}; missing {sorted(wanted - set(extra))}"


@pytest.mark.fix("features.gpu-build-versions")
def test_build_info_names_the_cuda_and_cudnn_to_install(measured):
    if not tf.sysconfig.get_build_info().get("is_cuda_build"):
        pytest.skip("this TensorFlow is not a CUDA build: it names no CUDA or cuDNN version")
    # errata: begin
    build = tf.sysconfig.get_build_info()
    print(build['cuda_version'], build['cudnn_version'])  # the CUDA and cuDNN this TensorFlow was built with
    # errata: end
    measured("cuda_version, cudnn_version", [build["cuda_version"], build["cudnn_version"]])
    assert str(build["cuda_version"]).split(".")[0].isdigit() and str(build["cudnn_version"]).split(".")[0].isdigit()


@pytest.mark.fix("features.gpu-build-versions")
def test_pip_extra_pins_the_versions_the_wheel_was_built_with(measured):
    _, requirements = _tensorflow_requirements()
    if TF_VERSION < Version("2.14"):
        pytest.skip(f"TensorFlow {tf.__version__} has no `and-cuda` extra (added in 2.14): install the versions "
                    "tf.sysconfig.get_build_info() names by hand")
    build = tf.sysconfig.get_build_info()
    # errata: begin
    # shell:  pip install tensorflow[and-cuda]   (installs the CUDA and cuDNN releases this wheel was built against)
    # errata: end
    extra = _and_cuda(requirements)

    def lowest(name: str) -> Version:
        bounds = [Version(s.version) for s in extra[name].specifier if s.operator in (">=", "==", "~=")]
        assert bounds, f"{name}: no lower bound in {extra[name]}"
        return min(bounds)

    cu = _cuda_suffix()
    runtime, cudnn = lowest(f"nvidia-cuda-runtime-{cu}"), lowest(f"nvidia-cudnn-{cu}")
    measured("and-cuda: CUDA runtime, cuDNN", [str(runtime), str(cudnn)],
             note=f"built with CUDA {build['cuda_version']}, cuDNN {build['cudnn_version']}")
    cuda_major_minor = tuple(int(p) for p in str(build["cuda_version"]).split(".")[:2])
    assert (runtime.major, runtime.minor) == cuda_major_minor, (runtime, build["cuda_version"])
    assert cudnn.major == int(str(build["cudnn_version"]).split(".")[0]), (cudnn, build["cudnn_version"])


# ---------------------------------------------------------------- 一、TensorFlow概述 / 特性


def _mnist_like(n: int = 8, seed: int = 20260101) -> np.ndarray:
    return np.random.default_rng(seed).random((n, 28, 28, 1), dtype=np.float32)


@pytest.mark.fix("features.tflite-from-savedmodel-runs")
def test_tflite_from_model_export(tmp_path, measured):
    from spec.models_keras import MLP
    from spec.test_ch1_export import TFLITE_ATOL, run_tflite

    x = _mnist_like()
    model = MLP()
    expected = model(x).numpy()
    # errata: begin
    model.export(str(tmp_path / 'mlp'))  # an inference SavedModel that TF Lite converts with its weights
    converter = tf.lite.TFLiteConverter.from_saved_model(str(tmp_path / 'mlp'))
    tflite_model = converter.convert()
    # errata: end
    outputs = run_tflite(tflite_model, x)
    measured(".tflite bytes", len(tflite_model))
    measured("max |TF Lite − Keras|", float(np.abs(outputs - expected).max()))
    assert np.all(np.isfinite(outputs)), f"the converted model outputs non-finite values: {outputs[0]}"
    assert_close(outputs, expected, rtol=0.0, atol=TFLITE_ATOL, what="TF Lite (model.export) outputs")


@pytest.mark.fix("features.tflite-keras-model-runs")
@pytest.mark.fix("features.tflite-smaller-than-savedmodel")
@pytest.mark.fix("features.tflite-dynamic-range-smaller")
@pytest.mark.fix("features.tflite-interpreter-in-tensorflow")
def test_tflite_float_and_quantised_through_model_export(tmp_path, measured):
    from spec.ch1_processes import folder_bytes
    from spec.models_keras import MLP
    from spec.test_ch1_export import QUANTISED_RELATIVE, QUANTISED_SIZE_RATIO, TFLITE_ATOL, run_tflite

    x = _mnist_like()
    model = MLP()
    expected = model(x).numpy()
    # errata: begin
    model.export(str(tmp_path / 'mlp'))  # an inference SavedModel with the weights
    converter = tf.lite.TFLiteConverter.from_saved_model(str(tmp_path / 'mlp'))
    float_model = converter.convert()
    converter = tf.lite.TFLiteConverter.from_saved_model(str(tmp_path / 'mlp'))
    converter.optimizations = [tf.lite.Optimize.DEFAULT]  # dynamic-range quantisation
    quantised_model = converter.convert()
    interpreter = tf.lite.Interpreter(model_content=float_model)  # TensorFlow's own interpreter
    # errata: end
    assert isinstance(interpreter, tf.lite.Interpreter)
    measured(".tflite bytes (float, dynamic range, SavedModel folder)",
             [len(float_model), len(quantised_model), folder_bytes(tmp_path / "mlp")])
    outputs = run_tflite(float_model, x, tf.lite.Interpreter)
    assert_close(outputs, expected, rtol=0.0, atol=TFLITE_ATOL, what="tf.lite.Interpreter outputs (model.export)")
    assert len(float_model) < folder_bytes(tmp_path / "mlp"), "the .tflite is not smaller than its SavedModel"
    assert len(quantised_model) <= QUANTISED_SIZE_RATIO * len(float_model), (
        f"quantised {len(quantised_model)} B is more than {QUANTISED_SIZE_RATIO:.0%} of {len(float_model)} B")
    spread = expected.max(axis=1, keepdims=True) - expected.min(axis=1, keepdims=True)
    assert_close(run_tflite(quantised_model, x, tf.lite.Interpreter), expected, rtol=0.0,
                 atol=QUANTISED_RELATIVE * spread, what="quantised TF Lite outputs (model.export)")


@pytest.mark.slow
@pytest.mark.fix("features.tflite-dynamic-range-accuracy")
def test_quantised_accuracy_through_model_export(tmp_path, local_data_file, measured):
    from spec.models_keras import MLP, MNISTLoader, evaluate_as_written, train_as_written
    from spec.test_ch1_export import run_tflite

    loader = MNISTLoader(local_data_file("mnist.npz"))
    model = MLP()
    train_as_written(model, loader, num_batches=loader.num_train_data // 64)  # one epoch, as the claim's test
    float_accuracy, evaluated = evaluate_as_written(model, loader)
    # errata: begin
    model.export(str(tmp_path / 'mlp'))
    converter = tf.lite.TFLiteConverter.from_saved_model(str(tmp_path / 'mlp'))
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    quantised_model = converter.convert()
    # errata: end
    probabilities = run_tflite(quantised_model, loader.test_data[:evaluated], tf.lite.Interpreter)
    quantised_accuracy = float(np.mean(np.argmax(probabilities, axis=1) == loader.test_label[:evaluated]))
    measured("test accuracy (float, dynamic range through model.export)", [float_accuracy, quantised_accuracy])
    assert float_accuracy > 0.9, f"the MLP did not train: float accuracy {float_accuracy}"
    assert abs(quantised_accuracy - float_accuracy) <= 0.01, (quantised_accuracy, float_accuracy)


@pytest.mark.fix("features.tflite-from-savedmodel-runs")
def test_tflite_from_keras_model(measured):
    from ci.environment import keras_flavour
    from spec.models_keras import MLP
    from spec.test_ch1_export import TFLITE_ATOL, run_tflite

    if (TF_VERSION.major, TF_VERSION.minor) == (2, 16) and keras_flavour()[0] == "keras3":
        pytest.skip("on TF 2.16 with Keras 3, TFLiteConverter.from_keras_model aborts the process (as the claim test "
                    "features.tflite-keras-model-runs does here): use the model.export spelling")
    x = _mnist_like()
    model = MLP()
    expected = model(x).numpy()
    # errata: begin
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    tflite_model = converter.convert()
    # errata: end
    outputs = run_tflite(tflite_model, x)
    measured("max |TF Lite − Keras|", float(np.abs(outputs - expected).max()))
    assert np.all(np.isfinite(outputs)), f"the converted model outputs non-finite values: {outputs[0]}"
    assert_close(outputs, expected, rtol=0.0, atol=TFLITE_ATOL, what="TF Lite (from_keras_model) outputs")


@pytest.mark.fix("features.hub-keraslayer-in-sequential")
def test_hub_keraslayer_in_a_tf_keras_sequential(tmp_path):
    from spec.ch1_processes import SERVING_OUTPUT, export_savedmodel
    from spec.models_keras import MLP
    from spec.test_ch1_export import _hub

    hub = _hub()
    try:
        import tf_keras
    except ImportError as exc:
        pytest.skip(f"tf_keras is not installed ({exc}): pip install tf-keras")
    if not issubclass(hub.KerasLayer, tf_keras.layers.Layer):
        from ci.environment import keras_flavour

        pytest.skip(f"hub.KerasLayer is a layer of tf.keras ({' '.join(map(str, keras_flavour()))}) here, not of "
                    "tf_keras: the book's tf.keras.Sequential takes it")
    x = _mnist_like()
    mlp = MLP()
    expected = mlp(x).numpy()
    export_savedmodel(mlp, tmp_path / "mlp")
    path = str(tmp_path / "mlp")
    # errata: begin
    import tf_keras  # the Keras 2 that tensorflow_hub builds its KerasLayer on when tf.keras is Keras 3
    model = tf_keras.Sequential([
        tf_keras.Input(shape=(28, 28, 1)),
        hub.KerasLayer(path, signature='serving_default', signature_outputs_as_dict=False, output_key=SERVING_OUTPUT),
    ])
    # errata: end
    assert_exact(model(tf.constant(x)), expected, what="tf_keras.Sequential([hub.KerasLayer]) outputs",
                 dtype=np.float32)


# ---------------------------------------------------------------- 二、TensorFlow基础 / （三）示例：线性回归


@pytest.mark.fix("linreg.numpy-loop-float64")
def test_numpy_loop_with_float64_parameters(measured):
    from spec.test_ch2_linear_regression import handbook_data

    x, y = handbook_data()
    # errata: begin
    a, b = np.float64(0), np.float64(0)  # NumPy 2 keeps Python numbers' results in float32: start from float64
    num_epoch = 10000
    lr = 1e-3
    for e in range(num_epoch):
        y_pred = a * x + b
        grad_a, grad_b = 2 * np.dot(y_pred - y, x), 2 * np.sum(y_pred - y)
        a, b = a - lr * grad_a, b - lr * grad_b
    # errata: end
    exact_a, exact_b = ref.gradient_descent(x.astype(np.float64), y.astype(np.float64), lr, num_epoch)
    measured("type of a and b", f"{type(a).__name__}, {type(b).__name__}", handbook="float64, float64")
    measured("a, b", [float(a), float(b)], handbook=[0.9591714862483188, 0.04422438431531203])
    assert (type(a), type(b)) == (np.float64, np.float64), (type(a), type(b))
    for name, got, exact in (("a", a, exact_a), ("b", b, exact_b)):
        assert abs(float(got) - exact) <= ref.NUMPY1_LOOP_BOUND, (
            f"{name} = {got!r} is {abs(float(got) - exact):.3g} from the float64 iteration's {exact!r}")


@pytest.mark.fix("linreg.numpy-loop-printed")
def test_numpy_loop_in_numpy1_arithmetic_prints_the_books_digits(capsys, measured):
    from ci.machine import float32_dot_kernel
    from spec.test_ch2_linear_regression import HANDBOOK_NUMPY_A, HANDBOOK_NUMPY_B, handbook_data

    kernel = float32_dot_kernel()
    if kernel != "double-accumulation":
        pytest.skip(f"this CPU's float32 dot kernel is {kernel!r}: the book's last digits need OpenBLAS's "
                    "double-accumulating kernel (a machine difference, see linreg.numpy-loop-printed)")
    x, y = handbook_data()
    # errata: begin
    a, b = np.float64(0), np.float64(0)
    num_epoch = 10000
    lr = 1e-3
    for e in range(num_epoch):
        y_pred = np.float32(a) * x + np.float32(b)  # NumPy 1's arithmetic, spelled out: predictions in float32,
        grad_a, grad_b = 2 * np.float64(np.dot(y_pred - y, x)), 2 * np.float64(np.sum(y_pred - y))  # the rest float64
        a, b = a - lr * grad_a, b - lr * grad_b
    print(a, b, sep='\n')
    # errata: end
    printed = capsys.readouterr().out.rstrip("\n")
    measured("printed", printed, handbook=f"{HANDBOOK_NUMPY_A}\n{HANDBOOK_NUMPY_B}")
    ref_a, ref_b = ref.gradient_descent(x, y, lr, num_epoch, promotion="numpy1", dot=kernel)
    assert (float(a), float(b)) == (ref_a, ref_b), f"({a!r}, {b!r}) is not NumPy 1's loop ({ref_a!r}, {ref_b!r})"
    assert printed == f"{HANDBOOK_NUMPY_A}\n{HANDBOOK_NUMPY_B}", f"printed\n{printed}"


@pytest.mark.fix("linreg.tf-loop-printed-form")
def test_tf_loop_prints_the_values(capsys, device, measured):
    from spec.test_ch2_linear_regression import HANDBOOK_TF_A, HANDBOOK_TF_B, tf_loop

    a, b = tf_loop(device, eager=False)  # the book's loop (compiled: 10,000 eager steps take a minute)
    assert_on_device(a.value(), device)
    capsys.readouterr()
    # errata: begin
    print(a.numpy(), b.numpy(), sep='\n')  # the float32 values, printed as the book shows them
    # errata: end
    printed = capsys.readouterr().out.rstrip("\n")
    measured("printed", printed, handbook=f"{HANDBOOK_TF_A}\n{HANDBOOK_TF_B}")
    assert printed == f"{HANDBOOK_TF_A}\n{HANDBOOK_TF_B}", f"printed\n{printed}"


@pytest.mark.fix("linreg.apply-gradients-pair-order")
def test_apply_gradients_takes_grad_param_pairs(device):
    with tf.device(device.name):
        param, grad = tf.Variable([1.0, 2.0]), tf.constant([0.5, -0.5])
        optimizer = tf.keras.optimizers.SGD(learning_rate=0.1)
        # errata: begin
        optimizer.apply_gradients(grads_and_vars=[(grad, param)])  # (grad, param) pairs, as zip(grads, params) gives
        # errata: end
        value = tf.identity(param)
    assert_exact(value, np.array([0.95, 2.05], np.float32), what="param after a (grad, param) step", device=device)


@pytest.mark.fix("basics.model-variables-method")
def test_model_variables_is_a_property():
    model = tf.keras.Sequential([tf.keras.layers.Dense(units=1)])
    model(tf.zeros((1, 2)))
    # errata: begin
    parameters = model.variables  # a property: no parentheses
    # errata: end
    assert [tuple(v.shape) for v in parameters] == [(2, 1), (1,)], [v.shape for v in parameters]
