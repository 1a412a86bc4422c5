"""Merge conformance reports (one per environment) into a matrix: claims × environments.

Pure: no TensorFlow, no I/O; ci.matrix and ci.render_report use it, spec/meta tests it.
"""
from __future__ import annotations

import datetime as _dt

SCHEMA = "handbook-spec-matrix/1"
DEVIATING = ("deviates-known", "deviates-new")
ABSENT = "absent"  # the claim is not in that environment's report (an older catalogue, say)


def _environment_entry(report: dict, run: dict | None) -> dict:
    env = report["environment"]
    return {
        "name": env["name"],
        "release": (run or {}).get("release"),
        "description": (run or {}).get("description", ""),
        "fingerprint": env,
        "summary": report.get("summary", {}),
        "options": report.get("options", {}),
        "pytest_exit_status": report.get("pytest_exit_status"),
        "worker_errors": report.get("worker_errors", []),
        "created": report.get("created"),
        # When the run started and how long it took: the matrix command's wall time, else what the
        # report says (if its writer records it).
        "started": report.get("started") or report.get("options", {}).get("started"),
        "seconds": (run or {}).get("seconds", report.get("seconds", report.get("duration_seconds"))),
        "install_seconds": (run or {}).get("install_seconds"),
        "allowed_to_fail": (run or {}).get("allowed_to_fail", False),
        "problem": (run or {}).get("problem"),
    }


CELL_KEYS = ("status", "reason", "not_run_cause", "source", "cause", "expected_deviation", "expected_failure",
             "actual_failures", "stale_expectation", "measured", "fix_status")
TEST_KEYS = ("nodeid", "outcome", "message", "duration", "seed", "deviation_check")


def _cell(claim: dict) -> dict:
    cell = {k: claim.get(k) for k in CELL_KEYS}
    cell["expected_deviation"] = bool(claim.get("expected_deviation", False))
    cell["stale_expectation"] = bool(claim.get("stale_expectation", False))
    cell["actual_failures"] = list(claim.get("actual_failures") or [])
    cell["measured"] = list(claim.get("measured") or [])
    cell["tests"] = [{k: t.get(k) for k in TEST_KEYS} for t in claim.get("tests", [])]
    cell["fix_tests"] = [{k: t.get(k) for k in ("nodeid", "outcome", "message")} for t in claim.get("fix_tests", [])]
    return cell


def absent_cell() -> dict:
    cell = {k: None for k in CELL_KEYS}
    cell.update(status=ABSENT, reason="not in this environment's report", expected_deviation=False,
                stale_expectation=False, actual_failures=[], measured=[], tests=[], fix_tests=[])
    return cell


def merge_reports(reports: list[dict], runs: list[dict] | None = None) -> dict:
    """One matrix from per-environment reports, in the order given.

    `runs` (from ci.matrix) adds each environment's description, wall time and problem; an
    environment that produced no report still gets a column, with every claim `absent`.
    """
    names = [r["environment"]["name"] for r in reports]
    if len(set(names)) != len(names):
        raise ValueError(f"two reports for the same environment: {names}")
    run_by_name = {r["name"]: r for r in (runs or [])}
    environments = [_environment_entry(r, run_by_name.get(r["environment"]["name"])) for r in reports]
    for run in runs or []:
        if run["name"] not in names:
            environments.append({"name": run["name"], "release": run.get("release"),
                                 "description": run.get("description", ""), "fingerprint": {},
                                 "summary": {}, "options": {}, "pytest_exit_status": run.get("pytest_exit_status"),
                                 "worker_errors": [], "created": None, "started": None, "seconds": run.get("seconds"),
                                 "install_seconds": run.get("install_seconds"),
                                 "allowed_to_fail": run.get("allowed_to_fail", False),
                                 "problem": run.get("problem") or "no report"})
    env_names = [e["name"] for e in environments]

    claims: dict[str, dict] = {}
    for report in reports:
        env_name = report["environment"]["name"]
        for claim in report["claims"]:
            row = claims.setdefault(claim["id"], {
                "id": claim["id"], "section": claim["section"], "statement": claim["statement"],
                "kind": claim.get("kind"), "handbook": claim.get("handbook"), "results": {},
            })
            row["results"][env_name] = _cell(claim)
    for row in claims.values():
        for name in env_names:
            row["results"].setdefault(name, absent_cell())
        row["results"] = {name: row["results"][name] for name in env_names}
    rows = list(claims.values())
    return {
        "schema": SCHEMA,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "environments": environments,
        "claims": rows,
        "drift": drift_summary(rows, env_names),
    }


def drift_summary(rows: list[dict], env_names: list[str]) -> list[dict]:
    """Claims that deviate in at least one environment, grouped by cause (most claims first).

    A deviation nobody expected has no cause of its own: it is grouped as 'unexpected'.
    """
    groups: dict[str, list[dict]] = {}
    for row in rows:
        for name in env_names:
            cell = row["results"][name]
            if cell["status"] not in DEVIATING:
                continue
            cause = cell.get("cause") or ("unexpected" if cell["status"] == "deviates-new" else "other")
            entries = groups.setdefault(cause, [])
            entry = next((e for e in entries if e["claim"] == row["id"] and e["reason"] == cell.get("reason")), None)
            if entry is None:
                entry = {"claim": row["id"], "section": row["section"], "reason": cell.get("reason"),
                         "source": cell.get("source"), "environments": []}
                entries.append(entry)
            entry["environments"].append(name)
    return [{"cause": cause, "claims": entries}
            for cause, entries in sorted(groups.items(), key=lambda kv: (-len({e["claim"] for e in kv[1]}), kv[0]))]


def as_matrix(document: dict) -> dict:
    """A matrix as is, or a single conformance report turned into a one-column matrix."""
    if document.get("schema") == SCHEMA:
        return document
    if "environment" in document and "claims" in document:
        return merge_reports([document])
    raise ValueError("neither a conformance report nor a matrix")


def numeric_series(value) -> list[float] | None:
    """A measured value worth plotting: a list of at least 3 finite numbers."""
    if not isinstance(value, list) or len(value) < 3:
        return None
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        return None
    return [float(v) for v in value]
