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


def test_a_faulted_run_stops_after_its_targets_unless_full_runs_are_asked_for(tmp_path):
    command = fi.pytest_command("add_ulp", tmp_path / "r.json", "0")
    assert "ci.run_first_plugin" in command and "ci.faults._targets_in_full" in command and "-x" not in command
    under_xdist = fi.pytest_command("add_ulp", tmp_path / "r.json", "auto")
    assert "-x" in under_xdist and "ci.faults._targets_in_full" not in under_xdist
    full = fi.pytest_command("add_ulp", tmp_path / "r.json", "0", first_failure=False)
    assert "-x" not in full and "ci.run_first_plugin" not in full and "ci.faults._targets_in_full" not in full


def test_the_targets_run_in_full_then_the_run_stops_at_a_failure(pytester, monkeypatch):
    pytester.makepyfile(test_a="def test_a1(): assert False\ndef test_a2(): pass\n",
                        test_b="def test_b1(): assert False\ndef test_b2(): assert False\n",
                        test_c="def test_c(): pass\n")
    monkeypatch.setenv("HANDBOOK_SPEC_RUN_FIRST", "test_b.py")
    result = pytester.runpytest_inprocess("-p", "ci.run_first_plugin", "-p", "ci.faults._targets_in_full",
                                          "-p", "no:randomly", "-p", "no:cacheprovider", "-rA")
    # Both target tests ran (the first failure did not stop them); nothing ran after them.
    result.assert_outcomes(failed=2)
    assert result.ret == 1 and "stopped after the target files" in result.stdout.str()
    monkeypatch.setenv("HANDBOOK_SPEC_RUN_FIRST", "test_c.py")  # a target that passes: on to the first failure
    result = pytester.runpytest_inprocess("-p", "ci.run_first_plugin", "-p", "ci.faults._targets_in_full",
                                          "-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)


def test_the_summary_lists_faults_per_claim_and_section_and_the_claims_none_reaches():
    from fixtures.catalogue import Claim

    claims = {cid: Claim(cid, section, "s", "exact", untestable) for cid, section, untestable in [
        ("a.one", "A", None), ("a.two", "A", None), ("b.one", "B", None), ("c.one", "C", "no such hardware")]}
    results = {"f1": ("killed", ["a.one"], "", 1.0), "f2": ("killed", ["a.one", "a.two"], "", 1.0),
               "f3": ("survived", [], "", 1.0), "f4": ("broken", ["b.one"], "pytest exit status 3", 1.0)}
    reach = fi.coverage(results, claims)
    assert reach["claims"] == {"a.one": ["f1", "f2"], "a.two": ["f2"]}
    assert reach["unreached_claims"] == ["b.one"]  # a broken run does not count
    assert reach["untestable_claims"] == ["c.one"]
    assert reach["sections"] == {"A": ["f1", "f2"], "B": [], "C": []}
    assert reach["sections_without_killing_fault"] == ["B"]
    assert reach["sections_not_asked_here"] == ["C"]
    # A claim the baseline skipped (slow tier, missing package) is not a gap, nor its section.
    baseline = {"claims": [{"id": "a.one", "status": "holds"}, {"id": "a.two", "status": "deviates-known"},
                           {"id": "b.one", "status": "not-run"}, {"id": "c.one", "status": "not-run"}]}
    reach = fi.coverage(results, claims, fi.asked_claims(baseline))
    assert reach["unreached_claims"] == [] and reach["claims_not_asked_here"] == ["b.one"]
    assert reach["sections_without_killing_fault"] == [] and reach["sections_not_asked_here"] == ["B", "C"]


def test_the_child_hooks_patch_only_the_module_their_fault_names(tmp_path):
    # The TensorBoard port fault in a child that imports TensorBoard's core plugin (no TensorFlow).
    import subprocess
    import sys

    code = "import tensorboard.plugins.core.core_plugin as c; print(c.DEFAULT_PORT)"
    env = {**os.environ, "PYTHONPATH": str(FOLDER / "child_site")}
    env.pop("HANDBOOK_SPEC_FAULT_TENSORBOARD_PORT", None)
    plain = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    faulted = subprocess.run([sys.executable, "-c", code], env={**env, "HANDBOOK_SPEC_FAULT_TENSORBOARD_PORT": "6010"},
                             capture_output=True, text=True, timeout=120)
    assert plain.stdout.split() == ["6006"], plain.stderr[-2000:]
    assert faulted.stdout.split() == ["6010"], faulted.stderr[-2000:]


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


def test_a_fault_with_targets_runs_them_alone_first_and_the_whole_tier_only_if_they_miss(tmp_path, monkeypatch):
    command = fi.pytest_command("add_ulp", tmp_path / "r.json", "0", paths=["spec/test_ch2_tensors.py"])
    assert command[3:4] == ["spec/test_ch2_tensors.py"] and "spec" not in command[3:]
    assert ["-p", "ci.faults.add_ulp"] == command[command.index("ci.faults.add_ulp") - 1:][:2] and "-x" not in command
    calls = []

    def fake_run(fault, out, workers, first_failure, paths):
        calls.append(paths)
        return ("survived", [], "", 1.0) if paths else ("killed", ["a.claim"], "", 2.0)

    monkeypatch.setattr(fi, "_run", fake_run)
    monkeypatch.setattr(fi, "targets", lambda fault: ["spec/test_x.py"])
    status, caught, note, seconds = fi.run_fast_tier("some_fault", tmp_path, "0")
    assert calls == [["spec/test_x.py"], None] and (status, caught, seconds) == ("killed", ["a.claim"], 3.0)
    assert "TARGETS did not kill it" in note
    calls.clear()
    monkeypatch.setattr(fi, "_run", lambda *a: (calls.append(a[-1]), ("killed", ["b"], "", 1.0))[1])
    assert fi.run_fast_tier("some_fault", tmp_path, "0")[2] == "killed by its TARGETS alone" and calls == [["spec/test_x.py"]]
