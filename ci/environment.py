"""Which environment this is: its name, its facts (what the expectations' conditions test) and the
fingerprint in the report.

Read from installed package metadata, not by importing TensorFlow, so the xdist controller (which
runs no test) stays cheap; the test processes confirm it against the imported runtime.
"""
from __future__ import annotations

import os
import platform
import sys

from importlib import metadata

from ci import conditions
from ci.machine import machine_facts

# The prefix of an environment's name per TensorFlow wheel.
DISTRIBUTION_PREFIX = {"tensorflow": "tf", "tensorflow-cpu": "tf-cpu", "tf-nightly": "tf-nightly",
                       "tf-nightly-cpu": "tf-nightly-cpu", "tensorflow-gpu": "tf-gpu", "tensorflow-intel": "tf-intel"}


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


def _installed() -> dict[str, str]:
    names = (conditions.TENSORFLOW_DISTRIBUTIONS + conditions.KERAS_DISTRIBUTIONS
             + conditions.TF_KERAS_DISTRIBUTIONS + ("numpy", "gym", "gymnasium", "tensorboard"))
    return {name: v for name in names if (v := _version(name))}


def keras_flavour() -> tuple[str, str | None]:
    """('keras3' | 'keras2' | 'tf-keras', version) — what `tf.keras` resolves to."""
    return conditions.keras_of(_installed(), legacy_keras_requested())


def tensorflow_distribution() -> tuple[str | None, str | None]:
    return conditions.tensorflow_of(_installed())


def name_from_facts(facts: dict) -> str:
    """e.g. 'tf2.21-keras3-np2', 'tf2.21-tf-keras-np2', 'tf-cpu2.21-keras3-np2', 'tf2.15-keras2-np1'."""
    prefix = DISTRIBUTION_PREFIX.get(facts.get("tensorflow-distribution") or "tensorflow", "tf")
    numpy_major = (facts.get("numpy") or "0").split(".")[0]
    return f"{prefix}{_major_minor(facts.get('tensorflow'))}-{facts['keras-flavour']}-np{numpy_major}"


def environment_facts() -> dict:
    """What the expectations' conditions are evaluated against (see ci.conditions): the installed
    versions, and the machine facts measured here (ci.machine; this imports NumPy, not TensorFlow)."""
    from ci.machine import float32_dot_kernel

    return conditions.facts_from_versions(_installed(), legacy_keras=legacy_keras_requested(),
                                          python=platform.python_version(), platform_name=sys.platform,
                                          machine={"float32-dot": float32_dot_kernel()})


def environment_name() -> str:
    return name_from_facts(environment_facts())


def fingerprint() -> dict:
    facts = environment_facts()
    return {
        "name": name_from_facts(facts),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "tensorflow_distribution": facts["tensorflow-distribution"],
        "tensorflow": facts["tensorflow"],
        "keras_flavour": facts["keras-flavour"],
        "keras": facts["keras"],
        "TF_USE_LEGACY_KERAS": os.environ.get("TF_USE_LEGACY_KERAS"),
        "numpy": facts["numpy"],
        "gym": facts["gym"],
        "gymnasium": facts["gymnasium"],
        "tensorboard": facts["tensorboard"],
        "pytest": _version("pytest"),
        "hypothesis": _version("hypothesis"),
        "executable": sys.executable,
        "facts": facts,
        "machine": machine_facts(),
    }
