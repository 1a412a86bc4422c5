"""ci.report_diff: changes between two reports or matrices, the exit status CI gates on, and bad input."""
from __future__ import annotations

import json

import pytest

from ci.matrix_report import merge_reports
from ci.report_diff import claim_changes, main

pytestmark = pytest.mark.meta

SECTION = "二、TensorFlow基础 / （一）张量与运算"


def report(env: str, tensorflow: str = "2.21.0", **claims) -> dict:
    entries = []
    for cid, spec in claims.items():
        status, reason = spec[:2]
        entry = {"id": cid, "section": SECTION, "statement": cid, "status": status, "reason": reason}
        if len(spec) > 2:
            entry.update(spec[2])
        entries.append(entry)
    return {"schema": "handbook-spec/conformance-report/1", "created": "2026-12-01T00:00:00+00:00",
            "environment": {"name": env, "tensorflow": tensorflow, "keras": "3.15.1", "keras_flavour": "keras3",
                            "numpy": "2.4.6", "python": "3.11.7"},
            "claims": entries}


OLD_REASON = "Keras 3 raises TypeError when build() receives a tuple of four integers from the book's code here"
NEW_REASON = "Keras 3 raises ValueError when build() receives a tuple of four integers from the book's code here"
OLD = report("tf2.21-keras3-np2", **{
    "a.steady": ("holds", None),
    "a.breaks": ("holds", None),
    "a.heals": ("deviates-known", "NumPy 2"),
    "a.worse": ("deviates-known", "documented"),
    "a.reworded": ("deviates-known", OLD_REASON),
    "a.crashes": ("holds", None),
    "a.dropped": ("holds", None),
    "a.measures": ("holds", None, {"measured": [{"name": "loss", "value": 0.25}, {"name": "fit seconds", "value": 3.0}]}),
    "a.logs": ("holds", None, {"measured": [{"name": "lines", "value": ["2026-12-01 20:21:07.036960: I port.cc] on"]}]}),
})
NEW = report("tf2.21-keras3-np2", **{
    "a.steady": ("holds", None),
    "a.breaks": ("deviates-new", "off by one\nsecond line of the failure"),
    "a.heals": ("holds", "listed as a known deviation but held: the expectations file is stale",
                {"stale_expectation": True}),
    "a.worse": ("deviates-new", "a different failure"),
    "a.reworded": ("deviates-known", NEW_REASON),
    "a.crashes": ("error", "worker crashed"),
    "a.new": ("not-run", "slow tier"),
    "a.measures": ("holds", None, {"measured": [{"name": "loss", "value": 0.2500001}, {"name": "fit seconds", "value": 9.0}]}),
    "a.logs": ("holds", None, {"measured": [{"name": "lines", "value": ["2026-12-02 08:00:00.000001: I port.cc] on"]}]}),
})


def test_each_kind_of_change_is_listed_once():
    changes = claim_changes(OLD, NEW)
    assert [line.split(":")[0] for line in changes["newly-deviating"]] == ["a.breaks", "a.worse"]
    assert changes["newly-deviating"][0] == "a.breaks: holds -> deviates-new (off by one)", "one line per claim"
    assert changes["newly-holding"] == ["a.heals: deviates-known -> holds"]
    assert changes["stale-expectations"] == ["a.heals: listed as a known deviation but held: the expectations file is stale"]
    assert changes["errors"] == ["a.crashes: holds -> error (worker crashed)"]
    assert changes["reason-changed"] == ["a.reworded (deviates-known): Keras 3 raises [-TypeError-] {+ValueError+} "
                                         "when build() receives a tuple …"], "what changed inside the reason, not both paragraphs"
    assert changes["measured-changed"] == ["a.measures: loss: 0.25 -> 0.2500001"], "timings and log times are no change"
    assert changes["added"] == ["a.new: not-run"] and changes["removed"] == ["a.dropped: was holds"]
    assert not any("a.steady" in line for lines in changes.values() for line in lines)


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def test_exit_status_gates_and_the_last_line_names_the_failed_categories(tmp_path, capsys):
    old, new = write(tmp_path, "old.json", OLD), write(tmp_path, "new.json", NEW)
    assert main([old, new]) == 1
    out = capsys.readouterr().out
    assert "newly-deviating (2)" in out
    assert out.strip().splitlines()[-1] == ("gate failed: newly-deviating (2), errors (1) "
                                            "(--fail-on=newly-deviating,errors)")
    assert "tf2.21-keras3-np2: tensorflow 2.21.0, keras 3.15.1 (keras3), numpy 2.4.6" in out, "versions shown"
    assert main([old, old]) == 0
    out = capsys.readouterr().out
    assert "no changes" in out and out.strip().endswith("gate passed (--fail-on=newly-deviating,errors)")
    assert main([old, new, "--fail-on", "newly-holding"]) == 1
    assert main([old, new, "--fail-on=stale-expectations"]) == 1
    assert main([old, new, "--fail-on", ""]) == 0


def test_matrices_and_reports_compare_environment_by_environment(tmp_path, capsys):
    other_old = report("tf2.15-keras2-np1", tensorflow="2.15.1", **{"a.steady": ("holds", None)})
    other_new = report("tf2.15-keras2-np1", tensorflow="2.15.1", **{"a.steady": ("deviates-new", "broke")})
    old = write(tmp_path, "old-matrix.json", merge_reports([OLD, other_old]))
    new = write(tmp_path, "new-matrix.json", merge_reports([NEW, other_new]))
    assert main([old, new]) == 1
    out = capsys.readouterr().out
    assert "[tf2.15-keras2-np1] a.steady: holds -> deviates-new (broke)" in out
    assert "[tf2.21-keras3-np2] a.breaks: holds -> deviates-new" in out
    # A matrix against one of its environments' reports: only that environment is compared.
    assert main([old, write(tmp_path, "one.json", other_new)]) == 1
    out = capsys.readouterr().out
    assert "a.steady: holds -> deviates-new (broke)" in out and "a.breaks" not in out
    assert "environments-removed (1):\n  tf2.21-keras3-np2" in out


def test_two_single_environment_reports_of_different_environments_compare(tmp_path, capsys):
    other = report("tf2.15-keras2-np1", tensorflow="2.15.1", **{"a.steady": ("holds", None)})
    assert main([write(tmp_path, "a.json", other), write(tmp_path, "b.json", NEW), "--fail-on="]) == 0
    out = capsys.readouterr().out
    assert "tf2.15-keras2-np1: tensorflow 2.15.1" in out and "-> tf2.21-keras3-np2: tensorflow 2.21.0" in out


@pytest.mark.parametrize("make, needle", [
    (lambda p: None, "missing.json: no such file"),
    (lambda p: p.write_text("# a markdown file"), "not JSON"),
    (lambda p: p.write_text(json.dumps({"ratios": {}})), "neither a conformance report"),
    (lambda p: p.write_text(json.dumps([1, 2])), "neither a conformance report"),
])
def test_bad_input_is_one_line_and_exit_status_2(tmp_path, capsys, make, needle):
    bad = tmp_path / "missing.json"
    make(bad)
    good = write(tmp_path, "good.json", OLD)
    for argv in ([str(bad), good], [good, str(bad)]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and needle in err and "missing.json" in err and "Traceback" not in err


def test_no_environment_in_common_and_an_unknown_category_are_usage_errors(tmp_path, capsys):
    a = write(tmp_path, "a.json", merge_reports([OLD, report("x1", **{"a.steady": ("holds", None)})]))
    b = write(tmp_path, "b.json", merge_reports([report("y1", **{"a.steady": ("holds", None)}),
                                                 report("y2", **{"a.steady": ("holds", None)})]))
    assert main([a, b]) == 2
    assert "share no environment" in capsys.readouterr().err
    assert main([a, a, "--fail-on=nonsense"]) == 2
    assert "unknown categories nonsense" in capsys.readouterr().err
