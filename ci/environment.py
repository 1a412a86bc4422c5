"""Which environment this is: the fingerprint in the report and the name of its expectations file.

Read from installed package metadata, not by importing TensorFlow, so the xdist controller (which
runs no test) stays cheap; the test processes confirm it against the imported runtime.
"""
from __future__ import annotations

import os
import platform
import sys
from importlib import metadata

TENSORFLOW_DISTRIBUTIONS = ("tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tensorflow-intel", "tf-nightly")


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _major_minor(version: str | None) -> str:
    if not version:
        return "none"
    parts = version.split(".")
    return ".".join(parts[:2])


def legacy_keras_requested() -> bool:
    return os.environ.get("TF_USE_LEGACY_KERAS", "").strip().lower() in {"1", "true", "yes"}


def keras_flavour() -> tuple[str, str | None]:
    """('keras3' | 'keras2' | 'tf-keras', version) — what `tf.keras` resolves to.

    TF >= 2.16 maps tf.keras to Keras 3 unless TF_USE_LEGACY_KERAS=1 and tf-keras is installed;
    TF 2.15 ships Keras 2 as `keras`.
    """
    tf_keras = _version("tf-keras") or _version("tf_keras")
    if legacy_keras_requested() and tf_keras:
        return "tf-keras", tf_keras
    keras = _version("keras")
    if keras and int(keras.split(".")[0]) >= 3:
        return "keras3", keras
    return "keras2", keras


def tensorflow_distribution() -> tuple[str | None, str | None]:
    for dist in TENSORFLOW_DISTRIBUTIONS:
        version = _version(dist)
        if version:
            return dist, version
    return None, None


def environment_name() -> str:
    """e.g. 'tf2.21-keras3-np2', 'tf2.21-tf-keras-np2', 'tf2.15-keras2-np1'."""
    _, tf_version = tensorflow_distribution()
    flavour, _ = keras_flavour()
    numpy_major = (_version("numpy") or "0").split(".")[0]
    return f"tf{_major_minor(tf_version)}-{flavour}-np{numpy_major}"


def fingerprint() -> dict:
    dist, tf_version = tensorflow_distribution()
    flavour, keras_version = keras_flavour()
    return {
        "name": environment_name(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "tensorflow_distribution": dist,
        "tensorflow": tf_version,
        "keras_flavour": flavour,
        "keras": keras_version,
        "TF_USE_LEGACY_KERAS": os.environ.get("TF_USE_LEGACY_KERAS"),
        "numpy": _version("numpy"),
        "pytest": _version("pytest"),
        "hypothesis": _version("hypothesis"),
        "executable": sys.executable,
    }
