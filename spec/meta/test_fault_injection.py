"""ci.fault_injection and ci/faults: the catalogue of planted faults and the runner's verdicts.

Cheap checks only: no fault is imported here (importing one would patch this process's TensorFlow)
and no faulted run is started; `python -m ci.fault_injection` is the expensive check itself.
"""
from __future__ import annotations

import os
import re
import runpy

import pytest

from ci import fault_injection as fi
from ci.faults import FOLDER, docstring, fault_names
from ci.suite_runs import ROOT

pytestmark = pytest.mark.meta


def test_there_are_at_least_15_faults():
    assert len(fault_names()) >= 15, fault_names()


@pytest.mark.parametrize("name", fault_names())
def test_every_fault_says_in_one_sentence_what_is_wrong(name):
    doc = docstring(name)
    assert doc, f"ci/faults/{name}.py has no docstring"
    assert "\n" not in doc and doc.endswith("."), f"{name}: not one sentence on one line: {doc!r}"
    # A second sentence starts after a full stop and a space with a capital letter.
    assert not re.search(r"[.!?]\s+[A-Z]", doc), f"{name}: more than one sentence: {doc!r}"


def test_helpers_are_not_listed_as_faults():
    names = fault_names()
    assert "child_site" not in names and not any(n.startswith("_") for n in names), names


def test_the_child_start_up_hook_acts_only_when_its_fault_is_planted(monkeypatch):
    hook = FOLDER / "child_site" / "sitecustomize.py"
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    monkeypatch.delenv("HANDBOOK_SPEC_FAULT_CHILD_LOG_LEVEL", raising=False)
    runpy.run_path(str(hook))
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "2"
    monkeypatch.setenv("HANDBOOK_SPEC_FAULT_CHILD_LOG_LEVEL", "1")
    runpy.run_path(str(hook))
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0"


def report(**statuses: str) -> dict:
    """A conformance report holding just claim ids and statuses (all the verdict reads)."""
    return {"claims": [{"id": cid, "status": status} for cid, status in statuses.items()]}


@pytest.mark.parametrize(
    "exit_status, report_, expected, claims",
    [
        # killed: pytest failed and a claim deviates (new) or errors
        (1, report(a="holds", b="deviates-new"), "killed", ["b"]),
        (1, report(a="error", b="deviates-known", c="deviates-new"), "killed", ["a", "c"]),
        # survived: the suite passed, or failed only because a known deviation started to hold
        (0, report(a="holds", b="deviates-known", c="not-run"), "survived", []),
        (1, {"claims": [{"id": "a", "status": "holds", "stale_expectation": True}]}, "survived", []),
        # broken: the run went wrong, whatever the report says
        (2, report(a="deviates-new"), "broken", []),
        (3, report(a="deviates-new"), "broken", []),
        (4, None, "broken", []),  # e.g. the fault plugin did not import
        (5, report(), "broken", []),
        (-9, None, "broken", []),  # killed by a signal
        (None, None, "broken", []),  # timed out
        (1, None, "broken", []),  # failed, but no report to say which claim caught it
        (0, report(a="deviates-new"), "broken", ["a"]),  # report and exit status disagree
    ],
)
def test_the_verdict_of_a_faulted_run(exit_status, report_, expected, claims):
    status, caught, note = fi.verdict(exit_status, report_)
    assert (status, caught) == (expected, claims)
    assert bool(note) == (status == "broken" or (status == "survived" and exit_status == 1)), note


def test_a_faulted_run_is_the_reproducible_fast_tier_with_the_fault_as_plugin(tmp_path):
    command = fi.pytest_command("add_ulp", tmp_path / "r.json", "0")
    assert command[1:4] == ["-m", "pytest", "spec"] and "--ignore=spec/meta" in command
    assert "--ignore=spec/benchmarks" in command, "benchmarks are not claims: they must not decide a verdict"
    assert ["-p", "ci.faults.add_ulp"] == command[command.index("ci.faults.add_ulp") - 1:][:2]
    assert "--derandomize" in command and f"--conformance-report={tmp_path / 'r.json'}" in command
    assert command[-2:] == ["-n", "0"]
    baseline = fi.pytest_command(None, tmp_path / "r.json", "auto")
    assert not any(part.startswith("ci.faults") for part in baseline)
    assert "-x" not in baseline, "the baseline must run the whole fast tier"


def test_a_faulted_run_stops_at_its_first_failure_unless_full_runs_are_asked_for(tmp_path):
    assert "-x" in fi.pytest_command("add_ulp", tmp_path / "r.json", "0")
    assert "ci.run_first_plugin" in fi.pytest_command("add_ulp", tmp_path / "r.json", "0")
    full = fi.pytest_command("add_ulp", tmp_path / "r.json", "0", first_failure=False)
    assert "-x" not in full and "ci.run_first_plugin" not in full


def test_fault_targets_name_existing_test_files():
    from ci.faults import targets

    for name in fault_names():
        for path in targets(name):
            assert (ROOT / path).is_file(), f"ci/faults/{name}.py: TARGETS names {path}, which does not exist"


def test_the_run_first_plugin_moves_the_named_files_to_the_front(pytester, monkeypatch):
    pytester.makepyfile(test_a="def test_a1(): pass\ndef test_a2(): pass\n", test_b="def test_b(): pass\n",
                        test_c="def test_c(): pass\n")
    monkeypatch.setenv("HANDBOOK_SPEC_RUN_FIRST", "test_c.py,test_b.py")
    result = pytester.runpytest_inprocess("-p", "ci.run_first_plugin", "-p", "no:randomly", "--collect-only", "-q")
    names = [line.split("::")[-1] for line in result.outlines if "::" in line]
    assert names == ["test_c", "test_b", "test_a1", "test_a2"]


def test_unknown_faults_and_bad_counts_are_usage_errors(capsys):
    for argv in (["--faults", "no_such_fault"], ["--faults", ","], ["--workers", "many"], ["--jobs", "0"]):
        with pytest.raises(SystemExit) as exc:
            fi.parse_args(argv)
        assert exc.value.code == 2, argv
    assert fi.parse_args(["--faults", "add_ulp, gradient_scaled"]).faults == ["add_ulp", "gradient_scaled"]
    assert fi.parse_args([]).faults == fault_names()
