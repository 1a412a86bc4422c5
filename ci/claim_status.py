"""From pytest reports to per-test outcomes, and from those to one status per claim.

Pure functions, tested in spec/meta: the report's verdicts never depend on xdist or on the order
reports arrive in. A skip or an xfail never becomes "holds".
"""
from __future__ import annotations

STATUSES = ("holds", "deviates-known", "deviates-new", "not-run", "error")

# Worst first: a test's final outcome is the worst outcome of its phases.
_SEVERITY = ["crashed", "error", "xpassed-strict", "failed", "stopped", "xfailed", "skipped", "passed"]


def phase_outcome(report) -> str:
    if report.when not in ("setup", "call", "teardown"):
        return "crashed"  # xdist's stand-in report for a test whose worker died (when == '???')
    if hasattr(report, "wasxfail"):
        return "xfailed" if report.skipped else "passed"  # non-strict xpass counts as passing
    if report.failed:
        if report.when != "call":
            return "error"
        text = report.longrepr if isinstance(report.longrepr, str) else ""
        return "xpassed-strict" if text.startswith("[XPASS(strict)]") else "failed"
    return "skipped" if report.skipped else "passed"


def worse(a: str | None, b: str) -> str:
    if a is None:
        return b
    return a if _SEVERITY.index(a) <= _SEVERITY.index(b) else b


def phase_message(report) -> str | None:
    """The line a reader needs: the skip or xfail reason, or the failure's message."""
    if hasattr(report, "wasxfail") and report.skipped:
        return report.wasxfail
    longrepr = report.longrepr
    if longrepr is None:
        return None
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # skip: (path, line, reason)
        return str(longrepr[2]).removeprefix("Skipped: ")
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None and getattr(crash, "message", None):
        # Keep the test's own message; drop pytest's "assert ... where ..." re-explanation.
        return crash.message.split("\nassert ")[0][:2000]
    text = str(longrepr)
    return text[-2000:]


def claim_status(untestable: str | None, outcomes: list[str], deviation_reason: str | None = None) -> tuple[str, str | None]:
    """(status, reason) for one claim from the final outcomes of its tests."""
    if untestable:
        return "not-run", f"untestable here: {untestable}"
    if not outcomes:
        return "not-run", "no test of this claim ran (deselected, not collected, or filtered by -k/-m)"
    present = set(outcomes)
    if present & {"crashed", "error", "missing"}:
        return "error", "a test of this claim errored, crashed its worker, or never reported"
    if "failed" in present:
        return "deviates-new", None
    if "stopped" in present:
        return "not-run", "the session stopped early (-x or --maxfail) before every test of this claim ran"
    if "xpassed-strict" in present:
        return "holds", "listed as a known deviation but held: the expectations file is stale"
    if "xfailed" in present:
        return "deviates-known", deviation_reason
    if "passed" in present:
        return "holds", None
    return "not-run", "every test of this claim was skipped"


# Why a claim did not run, from the reasons the suite's own plugins and tests give (each pattern is
# checked against the plugin that writes it in spec/meta/test_claim_status.py). First match wins.
NOT_RUN_CAUSES = (
    ("untestable", ("untestable here:",)),
    ("network", ("needs the internet",)),
    ("gpu", ("NVIDIA GPU", "not a CUDA build", "lists no /device:GPU")),
    ("slow-tier", ("slow tier:",)),
    ("book-tier", ("book tier:",)),
    ("tier", ("tier not selected",)),
    ("missing-data", ("--data-dir", "HANDBOOK_SPEC_DATA")),
    ("devices", ("--devices selected no device",)),
    # A claim about one wheel or platform, checked in the matrix environment that has it.
    ("environment", ("runs in the matrix environment",)),
    ("missing-package", ("not installed", "cannot be imported", "install the", "not on PATH")),
    ("stopped", ("stopped early",)),
    ("deselected", ("no test of this claim ran",)),
)


def not_run_cause(status: str, reason: str | None) -> str | None:
    """untestable | network | gpu | slow-tier | book-tier | tier | missing-data | devices |
    environment | missing-package | stopped | deselected | other, for a not-run claim; None otherwise."""
    if status != "not-run":
        return None
    for cause, patterns in NOT_RUN_CAUSES:
        if any(p in (reason or "") for p in patterns):
            return cause
    return "other"


# What a deviating claim's fix tests say: fixed (every fix test that ran passed, at least one ran),
# fix-fails (one failed or errored), no-fix (the catalogue says why none can exist), fix-not-run
# (the catalogue has a fix but none of its tests ran here), fix-missing (no fix written yet).
FIX_STATUSES = ("fixed", "fix-fails", "no-fix", "fix-not-run", "fix-missing")


def fix_status(status: str, fix_outcomes: list[str], fix: dict | None) -> str | None:
    """The fix verdict of a claim that deviates here (None for any other claim)."""
    if status not in ("deviates-known", "deviates-new"):
        return None
    if set(fix_outcomes) & {"failed", "error", "crashed", "missing", "xpassed-strict"}:
        return "fix-fails"
    if "passed" in fix_outcomes:
        return "fixed"
    if fix and "none" in fix:
        return "no-fix"
    return "fix-not-run" if fix or fix_outcomes else "fix-missing"
