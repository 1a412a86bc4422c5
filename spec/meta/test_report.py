"""The JSON conformance report: one verdict per catalogued claim, alone and under xdist (including
a worker that crashes)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ci.report_plugin import SCHEMA
from spec.meta.inner_sessions import (
    QUIET,
    ROOT,
    VERDICT_PLUGINS,
    entry,
    statuses,
    use_plugins,
    write_claims,
    write_deviations,
)

pytestmark = pytest.mark.meta

CLAIM_IDS = [
    "report.holds",
    "report.fails",
    "report.known",
    "report.skipped",
    "report.untestable",
    "report.untested",
    "report.crashes",  # tested only in the xdist run below
]
UNTESTABLE = {"report.untestable": "needs a TPU pod"}

TESTS = """
import pytest


@pytest.mark.claim("report.holds")
def test_holds():
    assert 2 + 2 == 4


@pytest.mark.claim("report.holds")
def test_holds_but_skips_here():
    pytest.skip("only on GPU")


@pytest.mark.claim("report.fails")
def test_fails():
    assert 2 + 2 == 5, "the handbook says five"


@pytest.mark.claim("report.known")
def test_known():
    assert False, "differs as documented"


@pytest.mark.claim("report.skipped")
def test_skipped():
    pytest.skip("needs a GPU")
"""

EXPECTED = {
    "report.holds": "holds",
    "report.fails": "deviates-new",
    "report.known": "deviates-known",
    "report.skipped": "not-run",
    "report.untestable": "not-run",
    "report.untested": "not-run",
    "report.crashes": "not-run",
}


@pytest.fixture
def project(pytester: pytest.Pytester):
    """An inner project with the verdict plugins, seven claims, tests for four, one known deviation."""
    use_plugins(pytester, *VERDICT_PLUGINS)
    claims = write_claims(pytester, CLAIM_IDS, UNTESTABLE)
    deviations = write_deviations(pytester, {"report.known": "documented difference"})
    pytester.makepyfile(test_report_claims=TESTS)
    return (*QUIET, f"--claims-file={claims}", f"--expectations={deviations}")


def read(path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_report_has_a_verdict_per_claim(pytester, project):
    path = pytester.path / "out" / "r.json"
    result = pytester.runpytest_inprocess(*project, f"--conformance-report={path}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    report = read(path)

    assert report["schema"] == SCHEMA
    env = report["environment"]
    for key in ("python", "tensorflow", "keras_flavour", "keras", "numpy", "platform", "name"):
        assert key in env, key
    assert env["name"] and env["python"] and env["platform"]
    assert report["pytest_exit_status"] == 1
    assert [e["id"] for e in report["claims"]] == CLAIM_IDS
    assert statuses(report) == EXPECTED
    assert report["summary"] == {"holds": 1, "deviates-known": 1, "deviates-new": 1, "not-run": 4, "error": 0}

    holds = entry(report, "report.holds")
    assert holds["reason"] is None and not holds["expected_deviation"]
    assert {t["nodeid"].split("::")[-1]: t["outcome"] for t in holds["tests"]} == {
        "test_holds": "passed",
        "test_holds_but_skips_here": "skipped",
    }
    fails = entry(report, "report.fails")
    assert "the handbook says five" in fails["reason"]
    assert fails["tests"][0]["outcome"] == "failed"
    known = entry(report, "report.known")
    assert known["reason"] == "documented difference"
    assert known["source"] == "https://example.org/known" and known["cause"] == "handbook"
    assert known["expected_deviation"] is True
    assert known["expected_failure"] == "AssertionError"
    assert known["actual_failures"] == ["AssertionError: differs as documented"]
    assert known["tests"][0]["outcome"] == "xfailed"
    assert known["tests"][0]["deviation_check"]["mismatch"] is None
    assert entry(report, "report.skipped")["reason"] == "needs a GPU"
    assert entry(report, "report.skipped")["not_run_cause"] == "other"  # not one of the suite's own reasons
    assert entry(report, "report.untestable")["reason"] == "untestable here: needs a TPU pod"
    assert entry(report, "report.untestable")["not_run_cause"] == "untestable"
    assert holds["not_run_cause"] is None
    assert entry(report, "report.untestable")["tests"] == []
    assert "no test of this claim ran" in entry(report, "report.untested")["reason"]

    text = result.stdout.str()
    assert "handbook-spec conformance" in text
    assert "deviates-new  report.fails" in text


def test_a_stale_expectation_is_flagged(pytester, project):
    write_deviations(pytester, {"report.known": "documented difference", "report.holds": "no longer true"})
    path = pytester.path / "r.json"
    pytester.runpytest_inprocess(*project, f"--conformance-report={path}")
    holds = entry(read(path), "report.holds")
    assert holds["status"] == "holds"
    assert holds.get("stale_expectation") is True and "stale" in holds["reason"]


def test_deselected_tests_leave_their_claims_not_run(pytester, project):
    path = pytester.path / "r.json"
    result = pytester.runpytest_inprocess(*project, "-k", "test_holds and not skips", f"--conformance-report={path}")
    assert result.ret == pytest.ExitCode.OK
    report = read(path)
    assert statuses(report) == {cid: ("holds" if cid == "report.holds" else "not-run") for cid in CLAIM_IDS}


def test_tests_after_a_deliberate_stop_are_not_run_rather_than_errors(pytester, project):
    path = pytester.path / "r.json"
    result = pytester.runpytest_inprocess(*project, "-p", "no:randomly", "-x", "-k", "fails or test_holds or known",
                                          f"--conformance-report={path}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    report = read(path)
    assert entry(report, "report.fails")["status"] == "deviates-new"
    stopped = [t for c in report["claims"] for t in c["tests"] if t["outcome"] == "stopped"]
    assert stopped, "-x should have left tests after the failure unrun"
    assert all("stopped early" in t["message"] for t in stopped)
    assert report["summary"]["error"] == 0


def test_collect_only_reports_no_errors(pytester, project):
    path = pytester.path / "r.json"
    result = pytester.runpytest_inprocess(*project, "--collect-only", f"--conformance-report={path}")
    assert result.ret == pytest.ExitCode.OK
    assert set(statuses(read(path)).values()) == {"not-run"}


# -- under xdist: one inner run (a controller and two workers, no TensorFlow import), shared ----

CRASHES = """
import os

import pytest


@pytest.mark.claim("report.crashes")
def test_crashes_its_worker():
    os._exit(1)


@pytest.mark.claim("report.crashes")
def test_segfaults_its_worker():
    import ctypes

    ctypes.string_at(0)  # reads address 0: SIGSEGV
"""


@pytest.fixture(scope="module")
def xdist_run(tmp_path_factory: pytest.TempPathFactory):
    """The report project plus a test that kills its worker, run with -n 2: (exit code, output, report)."""
    folder = tmp_path_factory.mktemp("xdist-report")
    use_plugins(folder, *VERDICT_PLUGINS)
    claims = write_claims(folder, CLAIM_IDS, UNTESTABLE)
    deviations = write_deviations(folder, {"report.known": "documented difference"})
    (folder / "test_report_claims.py").write_text(TESTS)
    (folder / "test_crash.py").write_text(CRASHES)
    path = folder / "r.json"
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")  # only what -p loads
    env.pop("PYTEST_ADDOPTS", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "xdist", "-n", "2", *QUIET, f"--basetemp={folder / 'tmp'}",
         f"--claims-file={claims}", f"--expectations={deviations}", f"--conformance-report={path}"],
        cwd=folder, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    output = proc.stdout + proc.stderr
    assert path.is_file(), f"no report written; exit {proc.returncode}\n{output[-3000:]}"
    return proc.returncode, output, read(path)


def test_a_crashed_worker_makes_its_claim_an_error(xdist_run):
    returncode, output, report = xdist_run
    assert returncode == pytest.ExitCode.TESTS_FAILED, output[-3000:]
    assert "crashed" in output
    assert report["pytest_exit_status"] == 1
    assert report["options"]["workers"] == 2
    assert statuses(report) == {**EXPECTED, "report.crashes": "error"}
    crashed = entry(report, "report.crashes")["tests"]
    assert [t["nodeid"] for t in crashed] == [
        "test_crash.py::test_crashes_its_worker",
        "test_crash.py::test_segfaults_its_worker",
    ]
    assert all(t["outcome"] in ("crashed", "missing") and t["message"] for t in crashed), crashed
    assert any(e.startswith("gw") for e in report["worker_errors"]), report["worker_errors"]  # the lost worker


def test_xdist_and_a_single_process_give_the_same_verdicts(pytester, project, xdist_run):
    _, _, spread = xdist_run
    path = pytester.path / "alone.json"
    pytester.runpytest_inprocess(*project, f"--conformance-report={path}")
    alone = read(path)
    assert len(alone["claims"]) == len(spread["claims"])
    for a, s in zip(alone["claims"], spread["claims"]):
        if s["id"] == "report.crashes":
            continue  # only the xdist run has its test
        assert (s["id"], s["status"], s["reason"], s["source"]) == (a["id"], a["status"], a["reason"], a["source"])
        assert [(t["nodeid"], t["outcome"]) for t in s["tests"]] == [(t["nodeid"], t["outcome"]) for t in a["tests"]]


# -- why a claim did not run: the suite's own skip reasons, each mapped to its cause ----------------

NOT_RUN = """
import pytest


@pytest.mark.slow
@pytest.mark.claim("skip.slow")
def test_slow():
    pass


@pytest.mark.network
@pytest.mark.claim("skip.network")
def test_network():
    pass


@pytest.mark.claim("skip.data")
def test_data(data_dir):
    pass


@pytest.mark.claim("skip.gpu")
def test_gpu(device):
    pass
"""


def test_not_run_claims_are_broken_down_by_the_cause_the_plugins_give(pytester):
    use_plugins(pytester, *VERDICT_PLUGINS, "fixtures.tiers_plugin", "fixtures.network_guard", "fixtures.data_plugin",
                "fixtures.devices_plugin")
    ids = ["skip.slow", "skip.network", "skip.data", "skip.gpu", "skip.untestable"]
    claims = write_claims(pytester, ids, {"skip.untestable": "needs a TPU"})
    pytester.makepyfile(test_not_run=NOT_RUN)
    path = pytester.path / "r.json"
    # A data folder that does not exist, so the outer run's --data-dir or HANDBOOK_SPEC_DATA cannot leak in.
    pytester.runpytest_inprocess(*QUIET, f"--claims-file={claims}", "--expectations=none", "--devices=gpu",
                                 f"--data-dir={pytester.path / 'no-data-here'}", f"--conformance-report={path}")
    report = read(path)
    assert {c["id"]: c["not_run_cause"] for c in report["claims"]} == {
        "skip.slow": "slow-tier", "skip.network": "network", "skip.data": "missing-data", "skip.gpu": "gpu",
        "skip.untestable": "untestable"}


# -- fixes: tested ways to write today what the book writes -----------------------------------------

FIXES = """
import pytest


@pytest.mark.claim("fix.deviates")
def test_deviates():
    assert False, "the book's spelling fails"


@pytest.mark.fix("fix.deviates")
def test_todays_spelling():
    assert True


@pytest.mark.claim("fix.broken")
def test_broken():
    assert False, "fails too"


@pytest.mark.fix("fix.broken")
def test_a_fix_that_does_not_work():
    assert False, "the suggested spelling fails as well"
"""


def fix_project(pytester, tests: str, deviating: dict):
    use_plugins(pytester, *VERDICT_PLUGINS)
    claims = write_claims(pytester, ["fix.deviates", "fix.broken", "fix.holds"])
    deviations = write_deviations(pytester, deviating)
    pytester.makepyfile(test_fixes=tests)
    path = pytester.path / "r.json"
    result = pytester.runpytest_inprocess(*QUIET, f"--claims-file={claims}", f"--expectations={deviations}",
                                          f"--conformance-report={path}")
    return result, (read(path) if path.is_file() else None)


def test_fix_tests_give_each_deviating_claim_a_fix_status(pytester):
    result, report = fix_project(pytester, FIXES, {"fix.deviates": "known", "fix.broken": "known"})
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # a fix that fails fails the run
    result.assert_outcomes(passed=1, failed=1, xfailed=2)
    assert entry(report, "fix.deviates")["fix_status"] == "fixed"
    assert [t["outcome"] for t in entry(report, "fix.deviates")["fix_tests"]] == ["passed"]
    assert entry(report, "fix.broken")["fix_status"] == "fix-fails"
    assert entry(report, "fix.holds")["fix_status"] is None
    assert report["fixes"] == {"fixed": 1, "fix-fails": 1, "no-fix": 0, "fix-not-run": 0, "fix-missing": 0}


def test_a_fix_for_a_claim_that_deviates_nowhere_is_a_usage_error(pytester):
    result, _ = fix_project(pytester, FIXES, {"fix.broken": "known"})
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "fix for fix.deviates, which the catalogue lists as deviating nowhere" in result.stderr.str()


def test_a_test_cannot_be_both_a_claims_test_and_a_fix(pytester):
    both = FIXES + '\n\n@pytest.mark.claim("fix.holds")\n@pytest.mark.fix("fix.deviates")\ndef test_both():\n    pass\n'
    result, _ = fix_project(pytester, both, {"fix.deviates": "known", "fix.broken": "known"})
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "either a claim's test or a fix, not both" in result.stderr.str()
