"""Machine facts: the float32 dot kernel is told from np.dot's own results, and the report records
the CPU and the BLAS."""
from __future__ import annotations

import numpy as np
import pytest

from ci import machine
from reference.linear_regression import float32_dot

pytestmark = pytest.mark.meta


@pytest.mark.parametrize("kernel", ["double-accumulation", "float32-lanes"])
def test_the_kernel_is_recognised_from_what_np_dot_returns(monkeypatch, kernel):
    monkeypatch.setattr(np, "dot", lambda u, v: float32_dot(u, v, kernel))
    assert machine.float32_dot_kernel() == kernel


def test_a_kernel_like_neither_is_other(monkeypatch):
    monkeypatch.setattr(np, "dot", lambda u, v: np.float32(np.sum(u.astype(np.float64) * v.astype(np.float64))))
    assert machine.float32_dot_kernel() == "other"


def test_the_probes_tell_the_two_kernels_apart():
    pairs = machine._probe_vectors()
    assert len(pairs) == machine.PROBES
    assert all(float32_dot(u, v, "double-accumulation") != float32_dot(u, v, "float32-lanes") for u, v in pairs)


def test_machine_facts_name_the_cpu_the_blas_and_the_kernel():
    facts = machine.machine_facts()
    assert facts["float32_dot"] in ("double-accumulation", "float32-lanes", "other")
    assert set(facts) == {"cpu", "blas", "blas_environment", "float32_dot"}
    assert all(k.startswith(("OPENBLAS_", "MKL_")) for k in facts["blas_environment"])
