"""一、TensorFlow概述 / 安装 — the GPU installation notes, checked against the installed wheel's own
metadata: which CUDA and cuDNN it was built with (the handbook defers the versions to the
tensorflow.org requirements page, which for its TF 2.10 listed CUDA 11.2 and cuDNN 8.1), and whether
pip can install the NVIDIA libraries itself."""
from __future__ import annotations

import importlib.metadata
import re

import pytest
import tensorflow as tf

from ci.environment import tensorflow_distribution

# TF 2.10's tested build configuration (tensorflow.org/install/source#gpu), the page the handbook links.
HANDBOOK_ERA_CUDA = "11.2"
HANDBOOK_ERA_CUDNN = "8.1"


def _major_minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


@pytest.mark.claim("features.gpu-build-versions")
def test_wheel_is_built_against_the_handbook_eras_cuda_and_cudnn(measured):
    info = dict(tf.sysconfig.get_build_info())
    if not info.get("is_cuda_build"):
        pytest.skip(f"this TensorFlow is not a CUDA build ({tensorflow_distribution()[0]}): no CUDA versions to compare")
    cuda, cudnn = str(info.get("cuda_version")), str(info.get("cudnn_version"))
    measured("cuda_version", cuda, handbook=HANDBOOK_ERA_CUDA, note="handbook: via its link, for TF 2.10")
    measured("cudnn_version", cudnn, handbook=HANDBOOK_ERA_CUDNN, note="handbook: via its link, for TF 2.10")
    assert (_major_minor(cuda), _major_minor(cudnn)) == (HANDBOOK_ERA_CUDA, HANDBOOK_ERA_CUDNN), (
        f"built with CUDA {cuda} and cuDNN {cudnn}; the requirements page the handbook links listed "
        f"CUDA {HANDBOOK_ERA_CUDA} and cuDNN {HANDBOOK_ERA_CUDNN} for TF 2.10"
    )


_NVIDIA_REQUIREMENT = re.compile(r"^(nvidia-[a-z0-9-]+)")


@pytest.mark.claim("features.gpu-needs-manual-cuda-install")
def test_pip_offers_no_way_to_install_the_nvidia_libraries(measured):
    dist, _ = tensorflow_distribution()
    if dist is None:
        pytest.skip("no TensorFlow distribution metadata found (installed from source?)")
    try:
        requirements = importlib.metadata.requires(dist) or []
    except importlib.metadata.PackageNotFoundError:
        pytest.skip(f"no installed distribution metadata for {dist!r}")
    by_extra: dict[str, list[str]] = {}
    for requirement in requirements:
        name = _NVIDIA_REQUIREMENT.match(requirement.strip())
        extra = re.search(r"""extra\s*==\s*['"]([^'"]+)['"]""", requirement)
        if name and extra:
            by_extra.setdefault(extra.group(1), []).append(name.group(1))
    measured("extras that pull NVIDIA pip packages", {extra: sorted(names) for extra, names in by_extra.items()})
    assert not by_extra, (
        f"`pip install {dist}[{next(iter(by_extra))}]` installs the NVIDIA libraries from PyPI "
        f"({', '.join(sorted(next(iter(by_extra.values()))))}): no system-wide CUDA/cuDNN installation needed"
    )
