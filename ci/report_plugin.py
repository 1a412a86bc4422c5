"""The conformance report: per claim, holds / deviates-known / deviates-new / not-run / error.

Works alone and under xdist. Reports reach the controller through pytest_runtest_logreport; the
claim ids travel in `user_properties`. A worker that crashes sends xdist's stand-in report without
them, so every collecting process also writes its node-id -> claims map to a scratch folder: the
crashed test is attributed to its claims as an error, and a collected test that never reported
at all is an error too, never missing.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from ci.claim_status import (FIX_STATUSES, STATUSES, claim_status, fix_status, not_run_cause, phase_message,
                             phase_outcome, worse)
from ci.environment import fingerprint
from ci.expectations_plugin import active_expectations
from fixtures.claims_plugin import catalogue, claim_ids, fix_ids
from fixtures.data_plugin import configured_data_dir
from fixtures.tf_runtime import RUNTIME_KEY

SCHEMA = "handbook-spec/conformance-report/1"
SCRATCH_KEY = "handbook_spec_scratch"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("handbook-spec").addoption(
        "--conformance-report",
        default=None,
        metavar="PATH",
        help="write the JSON conformance report (environment fingerprint, a status per claim) to PATH",
    )


def pytest_configure(config: pytest.Config) -> None:
    recorder = ConformanceRecorder(config)
    config.pluginmanager.register(recorder, "handbook-spec-recorder")
    if config.pluginmanager.hasplugin("xdist") and not hasattr(config, "workerinput"):
        config.pluginmanager.register(_XdistBridge(recorder), "handbook-spec-xdist-bridge")


def hypothesis_profile() -> str | None:
    """The hypothesis settings the run used: profile name, examples, derandomised or not."""
    try:
        from hypothesis import settings
    except ImportError:
        return None
    current = settings.default
    name = getattr(settings, "_current_profile", None) or "?"
    return f"{name} (max_examples={current.max_examples}, derandomize={current.derandomize})"


class _XdistBridge:
    """xdist-only hooks (registered only when xdist is active, so pytest knows their specs)."""

    def __init__(self, recorder: "ConformanceRecorder") -> None:
        self.recorder = recorder

    def pytest_configure_node(self, node) -> None:
        node.workerinput[SCRATCH_KEY] = str(self.recorder.scratch)

    def pytest_testnodedown(self, node, error) -> None:
        runtime = getattr(node, "workeroutput", {}).get("runtime")
        if runtime:
            self.recorder.runtimes.append(runtime)
        if error:
            self.recorder.worker_errors.append(f"{node.gateway.id}: {error}")


class ConformanceRecorder:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.is_worker = hasattr(config, "workerinput")
        self.scratch = Path(config.workerinput[SCRATCH_KEY]) if self.is_worker else Path(
            tempfile.mkdtemp(prefix="handbook-spec-")
        )
        self.tests: dict[str, dict] = {}
        self.collected: dict[str, dict[str, list[str]]] = {}  # node id -> {"claims": [...], "fixes": [...]}
        self.runtimes: list[dict] = []
        self.worker_errors: list[str] = []
        self.report: dict | None = None
        self.stopped_early = ""  # pytest's reason when -x / --maxfail ended the session
        self.started = dt.datetime.now(dt.timezone.utc)

    # -- collection: remember which test verifies which claims -----------------------------
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        mapping = {item.nodeid: {"claims": claim_ids(item), "fixes": fix_ids(item)} for item in session.items}
        if self.is_worker:
            name = f"collected-{self.config.workerinput.get('workerid', os.getpid())}.json"
            (self.scratch / name).write_text(json.dumps(mapping))
        else:
            self.collected.update(mapping)

    # -- outcomes ---------------------------------------------------------------------------
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.is_worker:
            return
        record = self.tests.setdefault(
            report.nodeid, {"nodeid": report.nodeid, "outcome": None, "message": None, "duration": 0.0,
                            "claims": [], "fixes": [], "measured": [], "seed": None, "deviation_check": None}
        )
        outcome = phase_outcome(report)
        previous = record["outcome"]
        record["outcome"] = worse(previous, outcome)
        if record["outcome"] != previous or record["message"] is None:
            message = phase_message(report)
            if outcome == "crashed":
                message = f"worker crashed while running this test: {message}"
            if message and (record["outcome"] == outcome):
                record["message"] = message
        record["duration"] += float(getattr(report, "duration", 0.0) or 0.0)
        for key, value in getattr(report, "user_properties", ()) or ():
            if key in ("claims", "fixes"):
                record[key] = list(dict.fromkeys(record[key] + list(value)))
            elif key == "measured" and report.when == "call":
                record["measured"].append(value)
            elif key == "seed":
                record["seed"] = value
            elif key == "deviation_check":
                record["deviation_check"] = value

    # -- the report ---------------------------------------------------------------------------
    def _merge_worker_collections(self) -> None:
        for path in sorted(self.scratch.glob("collected-*.json")):
            self.collected.update(json.loads(path.read_text()))

    def build(self, exitstatus) -> dict:
        self._merge_worker_collections()
        claims = catalogue(self.config)
        active = active_expectations(self.config)
        deviations = active.by_claim
        # Attribute tests whose reports carried no claims (crash stand-ins) via the collection map.
        # Under --collect-only nothing runs, so nothing is missing either.
        for nodeid, marks in ({} if self.config.option.collectonly else self.collected).items():
            record = self.tests.get(nodeid)
            if record is None:
                if self.stopped_early:
                    outcome, message = "stopped", f"not run: the session stopped early ({self.stopped_early})"
                else:
                    outcome, message = "missing", "collected but never reported (worker lost or run interrupted)"
                self.tests[nodeid] = {"nodeid": nodeid, "outcome": outcome, "claims": marks["claims"],
                                      "fixes": marks["fixes"], "duration": 0.0, "message": message, "measured": [],
                                      "seed": None, "deviation_check": None}
            else:
                record["claims"] = record["claims"] or marks["claims"]
                record["fixes"] = record["fixes"] or marks["fixes"]
        by_claim: dict[str, list[dict]] = {cid: [] for cid in claims}
        fixes_of: dict[str, list[dict]] = {}
        for record in self.tests.values():
            for cid in record["claims"]:
                by_claim.setdefault(cid, []).append(record)
            for cid in record["fixes"]:
                fixes_of.setdefault(cid, []).append(record)
        known_fix = {d.claim: d.fix for d in active.catalogue if d.fix}
        entries = []
        for cid, claim in claims.items():
            tests = sorted(by_claim.get(cid, []), key=lambda r: r["nodeid"])
            deviation = deviations.get(cid)
            status, reason = claim_status(
                claim.untestable, [t["outcome"] for t in tests], deviation.reason if deviation else None
            )
            checks = [t["deviation_check"] for t in tests if t.get("deviation_check")]
            if status == "deviates-new":
                failed = next(t for t in tests if t["outcome"] == "failed")
                reason = failed["message"]
                if failed.get("deviation_check"):
                    check = failed["deviation_check"]
                    reason = (f"known to fail with {check['expected']}, but failed with {check['actual']} "
                              f"({check['mismatch']})")
            elif status == "error":
                first = next((t for t in tests if t["outcome"] in ("crashed", "error", "missing")), None)
                if first and first["message"]:
                    reason = f"{reason}: {first['nodeid']}: {first['message']}"
            elif status == "not-run" and tests:
                reason = "; ".join(sorted({t["message"] or "skipped" for t in tests}))
            entry = {
                "id": cid, "section": claim.section, "statement": claim.statement, "kind": claim.kind,
                "handbook": claim.handbook, "status": status, "reason": reason,
                "not_run_cause": not_run_cause(status, reason),
                "source": deviation.source if deviation else None,
                "cause": deviation.cause if deviation else None,
                "expected_deviation": deviation is not None,
                "expected_failure": deviation.signature.describe() if deviation else None,
                "actual_failures": sorted({c["actual"] for c in checks if c.get("actual")}),
                "tests": [
                    {k: t.get(k) for k in ("nodeid", "outcome", "message", "duration", "seed", "measured",
                                           "deviation_check")}
                    for t in tests
                ],
                "measured": [m for t in tests for m in t["measured"]],
                "fix_tests": [{k: t.get(k) for k in ("nodeid", "outcome", "message", "duration")}
                              for t in sorted(fixes_of.get(cid, []), key=lambda r: r["nodeid"])],
            }
            entry["fix_status"] = fix_status(status, [t["outcome"] for t in entry["fix_tests"]], known_fix.get(cid))
            if reason and "stale" in reason and status == "holds":
                entry["stale_expectation"] = True
            entries.append(entry)
        runtime = list(self.runtimes)
        if RUNTIME_KEY in self.config.stash:
            runtime.append(self.config.stash[RUNTIME_KEY])
        env = fingerprint()
        env["name"] = active.environment
        env["facts"] = active.facts
        env["runtime"] = runtime[0] if runtime else None
        env["devices"] = runtime[0]["logical_devices"] if runtime else None
        if len({json.dumps(r, sort_keys=True) for r in runtime}) > 1:
            env["runtime_mismatch"] = runtime
        data_dir = configured_data_dir(self.config)
        created = dt.datetime.now(dt.timezone.utc)
        return {
            "schema": SCHEMA,
            "created": created.isoformat(timespec="seconds"),
            "started": self.started.isoformat(timespec="seconds"),
            "seconds": round((created - self.started).total_seconds(), 1),
            "environment": env,
            "expectations": str(active.path) if active.path else None,
            "options": {
                # default=None: the report plugin also runs with only some plugins (harness tests).
                "tier": self.config.getoption("--tier", None),
                "devices": self.config.getoption("--devices", None),
                "cpu_logical_devices": self.config.getoption("--cpu-logical-devices", None),
                "data_dir": str(data_dir) if data_dir else None,
                "seed": self.config.getoption("--seed", None),
                "allow_network": self.config.getoption("--allow-network", None),
                "hypothesis_profile": hypothesis_profile(),
                "book_seeds": self.config.getoption("--book-seeds", None),
                "book_scale": self.config.getoption("--book-scale", None),
                "workers": getattr(self.config.option, "numprocesses", None),
            },
            "pytest_exit_status": int(exitstatus),
            "worker_errors": self.worker_errors,
            "summary": {s: sum(e["status"] == s for e in entries) for s in STATUSES},
            "fixes": {s: sum(e["fix_status"] == s for e in entries) for s in FIX_STATUSES},
            "claims": entries,
        }

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus) -> None:
        if self.is_worker:
            return
        # -x / --maxfail stop the session on purpose: the tests after the stop were not run, which
        # is not the same as a worker that vanished. (A Ctrl-C is not a deliberate stop.)
        shouldfail = getattr(session, "shouldfail", False)
        self.stopped_early = shouldfail if isinstance(shouldfail, str) and shouldfail else ""
        try:
            self.report = self.build(exitstatus)
        finally:
            shutil.rmtree(self.scratch, ignore_errors=True)
        path = self.config.getoption("--conformance-report")
        if path:
            path = Path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(self.report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.is_worker or self.report is None:
            return
        report = self.report
        tr = terminalreporter
        tr.section("handbook-spec conformance")
        summary = ", ".join(f"{n} {s}" for s, n in report["summary"].items())
        tr.line(f"environment {report['environment']['name']}: {summary}")
        for entry in report["claims"]:
            if entry["status"] in ("deviates-new", "error") or entry.get("stale_expectation"):
                tr.line(f"  {entry['status']:>14}  {entry['id']}: {(entry['reason'] or '')[:200]}")
            elif entry["status"] == "deviates-known":
                tr.line(f"  {entry['status']:>14}  {entry['id']} ({entry['cause']}; see {entry['source']})")
        path = self.config.getoption("--conformance-report")
        if path:
            tr.line(f"report written to {path}")
