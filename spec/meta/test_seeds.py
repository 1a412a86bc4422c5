"""Per-test seeds: derived from the node id and --seed, the same in any order and process, applied
to Python's and NumPy's generators and recorded with the test."""
from __future__ import annotations

import random

import numpy as np
import pytest

from fixtures.seeds_plugin import seed_for
from spec.meta.inner_sessions import QUIET, use_plugins

pytestmark = pytest.mark.meta


def test_seed_for_is_deterministic_and_depends_on_both_inputs():
    a = seed_for("spec/test_x.py::test_a", 0)
    assert a == seed_for("spec/test_x.py::test_a", 0)
    assert a != seed_for("spec/test_x.py::test_b", 0)
    assert a != seed_for("spec/test_x.py::test_a", 1)
    for nodeid in ("a", "spec/test_x.py::test_a[cpu]", "ü::ß"):
        for base in (0, 1, 12345, -7):
            assert 0 <= seed_for(nodeid, base) < 2**31


DRAWS = """
import random

import numpy as np


def test_draws(seed, record_property):
    record_property("python_draw", random.random())
    record_property("numpy_draw", float(np.random.random()))
"""


def inner_seed_and_draws(pytester: pytest.Pytester, *args: str) -> tuple[str, dict]:
    reprec = pytester.inline_run(*QUIET, *args)
    reprec.assertoutcome(passed=1)
    (call,) = [r for r in reprec.getreports("pytest_runtest_logreport") if r.when == "call"]
    return call.nodeid, dict(call.user_properties)


@pytest.mark.parametrize("base", [0, 7])
def test_each_test_starts_from_its_own_seed(pytester: pytest.Pytester, base):
    use_plugins(pytester, "fixtures.seeds_plugin")
    pytester.makepyfile(test_seeded=DRAWS)
    nodeid, props = inner_seed_and_draws(pytester, f"--seed={base}")
    expected = seed_for(nodeid, base)
    assert props["seed"] == expected
    assert props["python_draw"] == random.Random(expected).random()
    assert props["numpy_draw"] == float(np.random.RandomState(expected).random_sample())
