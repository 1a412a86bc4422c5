"""Facts about the machine that can decide a verdict: the CPU, the BLAS NumPy uses, and which float32
dot kernel that BLAS runs here.

The last digits a float32 computation prints can depend on them (二（三）: the NumPy loop's digits
depend on OpenBLAS's sdot kernel, chosen at load time from the CPU or OPENBLAS_CORETYPE). The report
records them, so that a verdict that differs between machines says why; `float32-dot` is also a fact
the expectations' conditions can test. Imports NumPy (and threadpoolctl if installed), never
TensorFlow.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

CPU_FLAGS = ("sse3", "ssse3", "fma", "avx", "avx2", "avx512f", "avx512vl", "avx512_bf16", "amx_tile", "hypervisor")
PROBES = 8


@lru_cache(maxsize=1)
def _probe_vectors():
    """Length-6 float32 vector pairs on which the two emulated kernels disagree (found once, seeded)."""
    import numpy as np

    from reference.linear_regression import float32_dot

    rng = np.random.default_rng(20261201)
    pairs = []
    while len(pairs) < PROBES:
        u = rng.standard_normal(6).astype(np.float32)
        v = rng.standard_normal(6).astype(np.float32)
        if float32_dot(u, v, "double-accumulation") != float32_dot(u, v, "float32-lanes"):
            pairs.append((u, v))
    return pairs


def float32_dot_kernel() -> str:
    """Which emulated kernel (reference.linear_regression.FLOAT32_DOT_KERNELS) np.dot of two
    contiguous length-6 float32 vectors agrees with on every probe here, or 'other'."""
    import numpy as np

    from reference.linear_regression import FLOAT32_DOT_KERNELS, float32_dot

    for kernel in FLOAT32_DOT_KERNELS:
        if all(np.dot(u, v) == float32_dot(u, v, kernel) for u, v in _probe_vectors()):
            return kernel
    return "other"


def cpu() -> dict:
    """Vendor, model and the flags that choose BLAS kernels, from /proc/cpuinfo (Linux)."""
    path = Path("/proc/cpuinfo")
    if not path.is_file():
        return {}
    fields: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip():
            break  # the first processor is enough
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    flags = set(fields.get("flags", "").split())
    if "pni" in flags:  # /proc/cpuinfo's name for SSE3
        flags.add("sse3")
    return {"vendor": fields.get("vendor_id"), "model_name": fields.get("model name"),
            "family": fields.get("cpu family"), "model": fields.get("model"), "cores": os.cpu_count(),
            "flags": [f for f in CPU_FLAGS if f in flags]}


def blas() -> list[dict]:
    """The BLAS libraries loaded in this process (threadpoolctl), after NumPy has loaded its own."""
    import numpy  # noqa: F401  (loads NumPy's BLAS)

    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return [{"note": "threadpoolctl is not installed"}]
    keys = ("internal_api", "version", "architecture", "num_threads", "threading_layer", "filepath")
    return [{k: info.get(k) for k in keys} for info in threadpool_info() if info.get("user_api") == "blas"]


def machine_facts() -> dict:
    """Everything above, and the OPENBLAS_* variables that override OpenBLAS's own choice."""
    return {
        "cpu": cpu(),
        "blas": blas(),
        "blas_environment": {k: v for k, v in sorted(os.environ.items()) if k.startswith(("OPENBLAS_", "MKL_"))},
        "float32_dot": float32_dot_kernel(),
    }
