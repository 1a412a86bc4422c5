"""一、TensorFlow概述: the update rule, the installation check (devices, int32 matmul, log level),
and the install-flavour statements that can be checked on this platform."""
from __future__ import annotations

import functools
import platform
import re
import shutil
import subprocess

import numpy as np
import pytest
import tensorflow as tf

from ci.environment import tensorflow_distribution
from reference.linear_regression import sgd_step
from spec.assertions import assert_exact, assert_on_device, assert_printed
from spec.subprocesses import INSTALL_CHECK, as_written_then_graph_mode, describe, run_python, split_at_marker

A_INT = [[1, 2], [3, 4]]
B_INT = [[5, 6], [7, 8]]


@pytest.mark.claim("overview.gradient-descent-update")
def test_sgd_step_is_theta_minus_alpha_gradient(device):
    rng = np.random.default_rng(7)
    theta0 = rng.standard_normal(5).astype(np.float32)
    grad = rng.standard_normal(5).astype(np.float32)
    alpha = 0.05
    with tf.device(device.name):
        theta = tf.Variable(theta0)
        tf.keras.optimizers.SGD(learning_rate=alpha).apply_gradients([(tf.constant(grad), theta)])
        value = tf.identity(theta)
    assert_on_device(value, device)
    expected = sgd_step(theta0, grad, np.float32(alpha))  # float32 throughout, as the optimizer computes
    assert_exact(value, expected, what="θ1 after one SGD step", device=device, dtype=np.float32)


@pytest.mark.claim("overview.physical-devices-include-cpu")
def test_physical_devices_start_with_cpu0():
    devices = tf.config.list_physical_devices()
    assert devices, "tf.config.list_physical_devices() returned an empty list"
    assert all(isinstance(d, tf.config.PhysicalDevice) for d in devices), devices
    assert (devices[0].name, devices[0].device_type) == ("/physical_device:CPU:0", "CPU"), devices


@pytest.mark.claim("overview.physical-devices-printed-form")
def test_physical_devices_print_as_in_the_book(capsys):
    print(tf.config.list_physical_devices())
    out = capsys.readouterr().out.strip()
    entry = r"PhysicalDevice\(name='/physical_device:([A-Z_]+):(\d+)', device_type='\1'\)"
    assert re.fullmatch(rf"\[{entry}(, {entry})*\]", out), f"printed device list {out!r} is not in the book's form"
    assert out.startswith("[PhysicalDevice(name='/physical_device:CPU:0', device_type='CPU')"), out


def _nvidia_gpus() -> list[str]:
    if shutil.which("nvidia-smi") is None:
        return []
    listing = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, check=False)
    return [line for line in listing.stdout.splitlines() if line.startswith("GPU ")]


@pytest.mark.claim("overview.gpu-listed-when-present")
def test_gpu_is_listed_when_the_machine_has_one():
    gpus = _nvidia_gpus()
    if not gpus:
        pytest.skip("no NVIDIA GPU on this machine (nvidia-smi lists none)")
    listed = [d.name for d in tf.config.list_physical_devices("GPU")]
    assert "/physical_device:GPU:0" in listed, f"nvidia-smi lists {gpus} but TensorFlow lists GPUs {listed}"


@pytest.mark.claim("overview.int32-matmul-values")
def test_int32_matmul_values(device):
    with tf.device(device.name):
        product = tf.matmul(tf.constant(A_INT), tf.constant(B_INT))
    assert_on_device(product, device)
    assert product.dtype == tf.int32, product.dtype
    assert_exact(product, np.array([[19, 22], [43, 50]], dtype=np.int32), what="A·B", device=device, dtype=np.int32)


@pytest.mark.claim("overview.int32-matmul-printed-form")
def test_int32_matmul_printed_form(capsys, device):
    with tf.device(device.name):
        product = tf.matmul(tf.constant(A_INT), tf.constant(B_INT))
    print(product)
    assert_printed(capsys, "tf.Tensor(\n[[19 22]\n [43 50]], shape=(2, 2), dtype=int32)", what="print(C)")


# C++ log lines: absl's 'I0000 00:00:...' / 'W0000 ...' form (TF >= 2.14), the older
# '2023-01-01 12:00:00.000000: I tensorflow/...' form, and absl's pre-initialisation notice.
_LOW_LEVEL_LINE = re.compile(r"^(?:[IW]\d{4} |\d{4}-\d\d-\d\d [\d:.]+: [IW] |WARNING: All log messages before absl)")

def _low_level_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if _LOW_LEVEL_LINE.match(line)]


@functools.cache
def _log_level_2_from_the_start():
    return run_python("import tensorflow as tf\n" + INSTALL_CHECK, env={"TF_CPP_MIN_LOG_LEVEL": "2"})


def _message_of(line: str) -> str:
    """A log line without its timestamp and thread id, so two runs' lines can be compared."""
    return re.sub(r"^([IWEF])\d{4} [\d:.]+\s+\d+ ", r"\1 ", line)


@pytest.mark.subprocess
@pytest.mark.claim("overview.log-level-filters-some")
def test_log_level_2_prints_fewer_lines_than_the_late_setting(measured):
    early, late = _log_level_2_from_the_start(), as_written_then_graph_mode()
    assert early.returncode == 0 and late.returncode == 0, describe(early) + describe(late)
    early_lines = [_message_of(line) for line in _low_level_lines(early.stderr)]
    late_lines = [_message_of(line) for line in _low_level_lines(split_at_marker(late.stderr)[0])]
    measured("info/warning lines: variable set before / after import", [len(early_lines), len(late_lines)])
    extra = [line for line in early_lines if line not in late_lines]
    assert not extra, f"set before start-up, the variable let through lines the late run does not print: {extra}"
    assert len(early_lines) < len(late_lines), (
        f"TF_CPP_MIN_LOG_LEVEL=2 before start-up filtered nothing: {len(early_lines)} lines versus "
        f"{len(late_lines)} with the variable set after import"
    )


@pytest.mark.subprocess
@pytest.mark.claim("overview.log-level-filters-info")
def test_log_level_2_in_the_environment_filters_info_and_warnings(measured):
    result = _log_level_2_from_the_start()
    assert result.returncode == 0, describe(result)
    leaked = _low_level_lines(result.stderr)
    measured("info/warning lines with TF_CPP_MIN_LOG_LEVEL=2", leaked, handbook=[])
    assert not leaked, f"TF_CPP_MIN_LOG_LEVEL=2 set before start-up, yet these lines were printed: {leaked}"


@pytest.mark.subprocess
@pytest.mark.claim("overview.log-level-as-written")
def test_installation_check_as_written_prints_no_info_lines(measured):
    result = as_written_then_graph_mode()
    assert result.returncode == 0, describe(result)
    stdout, _ = split_at_marker(result.stdout)
    stderr, _ = split_at_marker(result.stderr)
    assert "[[19 22]\n [43 50]]" in stdout, describe(result)
    leaked = _low_level_lines(stderr)
    measured("info/warning lines, variable set after import", leaked, handbook=[])
    assert not leaked, f"with the variable set after `import tensorflow`, these lines were printed: {leaked}"


def _is_linux_x86_64_tensorflow() -> str | None:
    dist, _ = tensorflow_distribution()
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        return f"the GPU-enabled wheel is Linux x86-64 only; this is {platform.system()} {platform.machine()}"
    if dist != "tensorflow":
        return f"installed distribution is {dist!r}, not the plain `tensorflow` package"
    return None


@pytest.mark.claim("overview.pip-package-includes-gpu")
def test_plain_pip_package_is_a_cuda_build():
    reason = _is_linux_x86_64_tensorflow()
    if reason:
        pytest.skip(reason)
    assert tf.test.is_built_with_cuda(), "the plain `tensorflow` wheel on Linux x86-64 is not a CUDA build"
    assert tf.sysconfig.get_build_info().get("is_cuda_build") is True, tf.sysconfig.get_build_info()


def _gpu_build_info() -> dict:
    reason = _is_linux_x86_64_tensorflow()
    if reason:
        pytest.skip(reason)
    info = dict(tf.sysconfig.get_build_info())
    if not info.get("is_cuda_build"):
        pytest.skip(f"this TensorFlow is not a CUDA build: {info}")
    return info


@pytest.mark.claim("overview.gpu-needs-cuda-and-cudnn")
def test_gpu_build_is_compiled_against_cuda_and_cudnn(measured):
    info = _gpu_build_info()
    measured("cuda_version", info.get("cuda_version"))
    measured("cudnn_version", info.get("cudnn_version"))
    assert info.get("cuda_version") and info.get("cudnn_version"), f"build info lacks CUDA/cuDNN versions: {info}"


@pytest.mark.claim("overview.gpu-needs-tensorrt")
def test_gpu_build_is_compiled_with_tensorrt(measured):
    info = _gpu_build_info()
    measured("is_tensorrt_build", info.get("is_tensorrt_build"), handbook=True)
    assert info.get("is_tensorrt_build") is True, f"build info says is_tensorrt_build={info.get('is_tensorrt_build')!r}"
