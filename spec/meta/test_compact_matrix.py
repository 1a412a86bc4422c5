"""ci.compact_matrix: the reference matrix keeps every verdict and measured value, and only the
tests that did not pass or skip."""
from __future__ import annotations

import json

import pytest

from ci import compact_matrix

pytestmark = pytest.mark.meta

MATRIX = {"schema": 1, "created": "x", "environments": [{"name": "e"}], "drift": [], "claims": [
    {"id": "a.b", "section": "s", "statement": "t", "kind": "exact", "handbook": None, "results": {"e": {
        "status": "deviates-new", "reason": "r" * 1000, "measured": [{"name": "m", "value": "v" * 1000}],
        "tests": [{"nodeid": "t::ok", "outcome": "passed", "message": None, "duration": 1.0},
                  {"nodeid": "t::bad", "outcome": "failed", "message": "x" * 1000, "duration": 2.0}]}}}]}


def test_verdicts_and_measured_values_stay_and_only_failing_tests_remain():
    result = compact_matrix.compact(MATRIX)["claims"][0]["results"]["e"]
    source = MATRIX["claims"][0]["results"]["e"]
    assert (result["status"], result["reason"], result["measured"]) == (source["status"], source["reason"],
                                                                         source["measured"])
    (test,) = result["tests"]
    assert test["nodeid"] == "t::bad" and len(test["message"]) < 400 and "duration" not in test


def test_bad_input_exits_2_with_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"claims": []}))
    assert compact_matrix.main([str(bad), str(tmp_path / "out.json")]) == 2
    assert "not a matrix.json" in capsys.readouterr().err
