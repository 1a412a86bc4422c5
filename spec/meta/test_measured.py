"""`measured`: observations attached to a test travel as plain JSON values."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from fixtures.measured_plugin import _plain
from spec.meta.inner_sessions import QUIET, use_plugins

pytestmark = pytest.mark.meta


@pytest.mark.parametrize(
    "value, expected",
    [
        (np.float32(0.5), 0.5),
        (np.array([[1, 2], [3, 4]], dtype=np.int32), [[1, 2], [3, 4]]),
        (math.nan, "nan"),
        (-math.inf, "-inf"),
        (np.array([1.0, math.nan]), [1.0, "nan"]),
        ((1, "a", None, True), [1, "a", None, True]),
        (1 + 2j, "(1+2j)"),
    ],
)
def test_plain_values_are_json_safe(value, expected):
    plain = _plain(value)
    assert plain == expected
    json.dumps(plain, allow_nan=False)


RECORDS = """
import numpy as np


def test_records(measured):
    measured("accuracy", np.float32(0.75), handbook=0.8, note="fewer epochs")
    measured("loss", float("nan"))
"""


def test_measured_attaches_entries_to_the_test(pytester: pytest.Pytester):
    use_plugins(pytester, "fixtures.measured_plugin")
    pytester.makepyfile(test_measures=RECORDS)
    reprec = pytester.inline_run(*QUIET)
    reprec.assertoutcome(passed=1)
    (call,) = [r for r in reprec.getreports("pytest_runtest_logreport") if r.when == "call"]
    assert [v for k, v in call.user_properties if k == "measured"] == [
        {"name": "accuracy", "value": 0.75, "handbook": 0.8, "note": "fewer epochs"},
        {"name": "loss", "value": "nan"},
    ]
