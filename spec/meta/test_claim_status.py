"""ci.claim_status: from pytest reports to test outcomes, and from outcomes to a claim's status."""
from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest

from ci.claim_status import STATUSES, claim_status, phase_message, phase_outcome, worse

pytestmark = pytest.mark.meta

OUTCOMES = ("passed", "skipped", "xfailed", "failed", "xpassed-strict", "error", "crashed", "missing", "stopped")


@pytest.mark.parametrize(
    "untestable, outcomes, expected",
    [
        ("needs a GPU", [], "not-run"),
        ("needs a GPU", ["passed"], "not-run"),
        (None, [], "not-run"),
        (None, ["passed", "error"], "error"),
        (None, ["passed", "crashed"], "error"),
        (None, ["missing"], "error"),
        (None, ["failed", "error"], "error"),
        (None, ["failed"], "deviates-new"),
        (None, ["passed", "failed", "skipped"], "deviates-new"),
        (None, ["failed", "xfailed"], "deviates-new"),
        (None, ["xpassed-strict"], "holds"),
        (None, ["xfailed"], "deviates-known"),
        (None, ["xfailed", "skipped"], "deviates-known"),
        (None, ["passed"], "holds"),
        (None, ["passed", "passed"], "holds"),
        (None, ["passed", "skipped"], "holds"),
        (None, ["skipped"], "not-run"),
        (None, ["skipped", "skipped"], "not-run"),
        (None, ["stopped"], "not-run"),
        (None, ["passed", "stopped"], "not-run"),
        (None, ["xfailed", "stopped"], "not-run"),
        (None, ["failed", "stopped"], "deviates-new"),
        (None, ["error", "stopped"], "error"),
    ],
)
def test_claim_status(untestable, outcomes, expected):
    status, _ = claim_status(untestable, outcomes, "a known reason")
    assert status == expected
    assert status in STATUSES


def test_the_reasons_that_come_with_a_status():
    assert claim_status("needs a GPU", ["passed"]) == ("not-run", "untestable here: needs a GPU")
    assert "no test of this claim ran" in claim_status(None, [])[1]
    assert claim_status(None, ["xfailed"], "NumPy 2 promotes differently") == (
        "deviates-known",
        "NumPy 2 promotes differently",
    )
    status, reason = claim_status(None, ["xpassed-strict"], "old reason")
    assert status == "holds" and "stale" in reason
    assert claim_status(None, ["passed"]) == ("holds", None)
    assert claim_status(None, ["skipped"])[1] == "every test of this claim was skipped"
    assert "crashed" in claim_status(None, ["crashed"])[1]


@pytest.mark.parametrize(
    "outcomes",
    [list(c) for n in (1, 2, 3) for c in itertools.combinations_with_replacement(("skipped", "xfailed"), n)],
)
def test_a_skip_or_an_xfail_never_holds(outcomes):
    assert claim_status(None, outcomes, "reason")[0] != "holds"


def test_every_combination_has_a_known_status_and_errors_win():
    for outcomes in (list(c) for n in (1, 2, 3) for c in itertools.product(OUTCOMES, repeat=n)):
        status, _ = claim_status(None, outcomes, "reason")
        assert status in STATUSES, outcomes
        if set(outcomes) & {"error", "crashed", "missing"}:
            assert status == "error", outcomes
        if status == "holds":
            assert set(outcomes) & {"passed", "xpassed-strict"}, outcomes
        if status == "deviates-new":
            assert "failed" in outcomes, outcomes


def report(when="call", outcome="passed", longrepr=None, **extra):
    return SimpleNamespace(
        when=when,
        passed=outcome == "passed",
        failed=outcome == "failed",
        skipped=outcome == "skipped",
        longrepr=longrepr,
        **extra,
    )


@pytest.mark.parametrize(
    "fake, expected",
    [
        (report(), "passed"),
        (report("setup"), "passed"),
        (report("setup", "skipped", ("t.py", 3, "Skipped: no GPU")), "skipped"),
        (report("call", "skipped", ("t.py", 3, "Skipped: mid-test")), "skipped"),
        (report("call", "failed", "AssertionError"), "failed"),
        (report("setup", "failed", "fixture broke"), "error"),
        (report("teardown", "failed", "teardown broke"), "error"),
        (report("call", "skipped", None, wasxfail="known deviation"), "xfailed"),
        (report("setup", "skipped", None, wasxfail="xfail in a fixture"), "xfailed"),
        (report("call", "passed", None, wasxfail="non-strict"), "passed"),
        (report("call", "failed", "[XPASS(strict)] known deviation of x"), "xpassed-strict"),
        (report("call", "failed", "AssertionError: [XPASS(strict)] quoted"), "failed"),
        (report("???", "failed", "worker 'gw0' crashed while running 't.py::test'"), "crashed"),
    ],
)
def test_phase_outcome(fake, expected):
    assert phase_outcome(fake) == expected


def test_phase_message():
    assert phase_message(report("setup", "skipped", ("t.py", 3, "Skipped: no GPU"))) == "no GPU"
    assert phase_message(report("call", "skipped", None, wasxfail="known deviation")) == "known deviation"
    assert phase_message(report()) is None
    crash = SimpleNamespace(reprcrash=SimpleNamespace(message="AssertionError: got 3\nassert 3 == 4"))
    assert phase_message(report("call", "failed", crash)) == "AssertionError: got 3"
    assert phase_message(report("call", "failed", "x" * 3000)) == "x" * 2000


def test_worse_orders_outcomes_worst_first():
    order = ["crashed", "error", "xpassed-strict", "failed", "xfailed", "skipped", "passed"]
    assert worse(None, "passed") == "passed"
    for i, better in enumerate(order):
        for worst in order[: i + 1]:
            assert worse(worst, better) == worst
            assert worse(better, worst) == worst


def test_a_passing_call_does_not_hide_a_failing_teardown():
    outcome = None
    for phase in (report("setup"), report("call"), report("teardown", "failed", "leaked a thread")):
        outcome = worse(outcome, phase_outcome(phase))
    assert outcome == "error"
