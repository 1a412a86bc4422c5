"""What pip installs. 一、TensorFlow概述 / 安装: "可以使用tensorflow-cpu包安装仅支持CPU的TensorFlow版本" — run in the
matrix environment built from the tensorflow-cpu wheel (tf-cpu2.21-keras3-np2), skipped elsewhere
with that reason. 四（二）1: the book runs `tensorboard --logdir` and tf.summary with no install step of
their own, as if installing TensorFlow brought TensorBoard: read from the installed TensorFlow
distribution's own metadata (Requires-Dist), in every environment.

The suite itself lists tensorboard among its dependencies (pyproject.toml), so tf.summary works in
every environment of the matrix whatever TensorFlow requires; what a bare TensorFlow does without it is
observed in a child process in which tensorboard cannot be imported.
"""
from __future__ import annotations

from importlib import metadata

import pytest
import tensorflow as tf
from packaging.markers import default_environment
from packaging.requirements import Requirement
from tensorboard.backend.event_processing import event_accumulator
from tensorboard.util import tensor_util

from ci.conditions import TENSORFLOW_DISTRIBUTIONS
from spec.subprocesses import describe, run_python

CPU_ENVIRONMENT = "tf-cpu2.21-keras3-np2"
TENSORBOARD_DISTRIBUTIONS = ("tensorboard", "tb-nightly")


def installed_tensorflow() -> dict[str, str]:
    """Every TensorFlow wheel installed here: distribution name -> version."""
    found = {}
    for name in TENSORFLOW_DISTRIBUTIONS:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return found


def the_tensorflow() -> tuple[str, str]:
    wheels = installed_tensorflow()
    assert len(wheels) == 1, f"several TensorFlow wheels share the tensorflow/ package folder here: {wheels}"
    return next(iter(wheels.items()))


def needs_the_cpu_wheel() -> str:
    name, version = the_tensorflow()
    if name != "tensorflow-cpu":
        pytest.skip(f"needs the tensorflow-cpu wheel; this environment has {name} {version} "
                    f"(runs in the matrix environment {CPU_ENVIRONMENT})")
    return version


def unconditional_requirements(distribution: str) -> list[Requirement]:
    """The distribution's Requires-Dist entries that pip installs with it (no extra, markers true here)."""
    environment = {**default_environment(), "extra": ""}
    requirements = [Requirement(line) for line in metadata.requires(distribution) or []]
    return [r for r in requirements if r.marker is None or r.marker.evaluate(environment)]


# ------------------------------------------------------------------ 一 安装: the tensorflow-cpu wheel

@pytest.mark.claim("overview.tensorflow-cpu-package")
def test_tensorflow_cpu_is_a_cpu_only_build(measured):
    version = needs_the_cpu_wheel()
    build = {k: v for k, v in tf.sysconfig.get_build_info().items() if k.startswith("is_") or "cuda" in k}
    devices = [(d.name, d.device_type) for d in tf.config.list_physical_devices()]
    measured("build info", build, note=f"tensorflow-cpu {version}")
    measured("physical devices", devices)
    measured("extras the wheel still declares", metadata.metadata("tensorflow-cpu").get_all("Provides-Extra") or [])
    assert tf.__version__ == version, f"tf.__version__ {tf.__version__}, tensorflow-cpu {version}"
    assert not tf.test.is_built_with_cuda(), "the tensorflow-cpu wheel is built with CUDA"
    assert not tf.test.is_built_with_gpu_support(), "the tensorflow-cpu wheel is built with GPU support"
    assert build.get("is_cuda_build") is False and not build.get("is_rocm_build"), build
    assert devices and all(kind == "CPU" for _, kind in devices), f"devices other than the CPU: {devices}"


_WITHOUT_TENSORBOARD = """
import importlib.abc, sys, tempfile

class NoTensorBoard(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "tensorboard" or name.startswith("tensorboard."):
            raise ModuleNotFoundError(f"No module named {name!r}")

sys.meta_path.insert(0, NoTensorBoard())
import tensorflow as tf
with tf.summary.create_file_writer(tempfile.mkdtemp()).as_default():
    try:
        tf.summary.scalar("loss", 1.0, step=0)
        print("RESULT wrote a scalar")
    except Exception as exc:
        print(f"RESULT {type(exc).__name__}: {exc}")
"""


@pytest.mark.subprocess
@pytest.mark.claim("overview.tensorflow-cpu-summary")
def test_tf_summary_works_with_the_cpu_wheel(tmp_path, measured):
    version = needs_the_cpu_wheel()
    writer = tf.summary.create_file_writer(str(tmp_path))
    with writer.as_default():
        for step, loss in enumerate([0.5, 0.25, 0.125]):
            tf.summary.scalar("loss", loss, step=step)
    writer.flush()
    accumulator = event_accumulator.EventAccumulator(str(tmp_path), size_guidance={event_accumulator.TENSORS: 0})
    accumulator.Reload()
    events = accumulator.Tensors("loss") if "loss" in accumulator.Tags()["tensors"] else []
    read = [(e.step, float(tensor_util.make_ndarray(e.tensor_proto))) for e in events]
    child = run_python(_WITHOUT_TENSORBOARD)
    said = [line.removeprefix("RESULT ") for line in child.stdout.splitlines() if line.startswith("RESULT ")]
    assert said, "the child (tensorboard not importable) said nothing\n" + describe(child)
    measured("tf.summary.scalar where tensorboard cannot be imported", said[0],
             note=f"tensorflow-cpu {version}; the suite itself installs tensorboard")
    measured("records read back", read)
    assert read == [(0, 0.5), (1, 0.25), (2, 0.125)], f"TensorBoard's reader read {read}"
    plugin = accumulator.SummaryMetadata("loss").plugin_data.plugin_name
    assert plugin == "scalars", f"the records belong to plugin {plugin!r}, not 'scalars'"


# ------------------------------------------------------------------ 四（二）1: TensorBoard comes with TensorFlow?

@pytest.mark.claim("tensorboard.installed-with-tensorflow")
def test_installing_tensorflow_installs_tensorboard(measured):
    name, version = the_tensorflow()
    requirements = [r for r in unconditional_requirements(name) if r.name.lower() in TENSORBOARD_DISTRIBUTIONS]
    measured("tensorboard requirement of the TensorFlow wheel", str(requirements[0]) if requirements else "none",
             handbook="tensorboard --logdir=./tblog (no install step of its own)", note=f"{name} {version}")
    assert requirements, (
        f"{name} {version} does not require tensorboard: `pip install {name}` alone gives no `tensorboard` command, "
        "and tf.summary.scalar raises TBNotInstalledError until tensorboard is installed"
    )
