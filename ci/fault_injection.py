"""Fault injection: does the fast tier notice when TensorFlow itself goes wrong?

    python -m ci.fault_injection [--faults a,b] [--workers auto|N] [--jobs N] [--out DIR] [--full-runs]

A baseline run without a fault must pass first; then the fast tier (spec/ without the harness tests
in spec/meta and the benchmarks in spec/benchmarks) runs once per planted fault in ci/faults/, each
loaded as a pytest plugin that patches TensorFlow at start-up. The fault's TARGETS (the test files
aimed at it) run first and in full, so every claim they hold is asked; the run then stops at its
first failure (at once if a target failed). A fault is KILLED when pytest fails (exit status 1) and
the conformance report names at least one claim that deviates-new or errors; SURVIVED when the run
passes (or fails only on a stale expectation); BROKEN when the run itself went wrong (usage or
internal error, no report, the fault plugin not importable, a timeout).

The summary (printed, and summary.json in --out with each run's log and report) lists per claim the
faults that kill it, the testable claims no fault reaches, and per section of the catalogue the
faults that kill one of its claims. Exit status 0 only if the baseline passed, every fault was
killed and, when every fault ran, every section with a testable claim has a killing fault.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from ci.faults import docstring, fault_names, targets
from fixtures.catalogue import load_catalogue
from ci.run_first_plugin import ENV_VAR as RUN_FIRST_VAR
from ci.suite_runs import ROOT

CATCHING = ("deviates-new", "error")  # claim statuses that count as catching a fault
# A faulted fast-tier run takes 30-50 s here, 4 min when every property fails and hypothesis shrinks
# each one (eager_off_by_default); far beyond that something hangs (a deadlocked worker, say).
RUN_TIMEOUT = 600
# Measured on this 2-core machine: one fast-tier run takes 30 s with -n 0 and 26 s with -n auto
# (xdist's critical path is one worker importing TensorFlow and then running the 11 s log-level test,
# which starts TensorFlow twice in child processes), but two -n 0 runs side by side take 31 s in all.
# So faults run two at a time, each in a single process.
DEFAULT_WORKERS = "0"
DEFAULT_JOBS = 2


def verdict(exit_status: int | None, report: dict | None) -> tuple[str, list[str], str]:
    """(verdict, ids of the claims that caught the fault, note) for one faulted run.

    Pure, so spec/meta can check it: exit_status is pytest's (None for a timeout), report the parsed
    conformance report (None if none was written).
    """
    if exit_status is None:
        return "broken", [], f"timed out after {RUN_TIMEOUT} s"
    if exit_status not in (0, 1):
        # 2 interrupted, 3 internal error, 4 usage error (an unimportable -p plugin), 5 no tests,
        # negative: killed by a signal. None of these is the suite judging the claims.
        return "broken", [], f"pytest exit status {exit_status}"
    if report is None:
        return "broken", [], "no conformance report was written"
    caught = [c["id"] for c in report.get("claims", []) if c.get("status") in CATCHING]
    if exit_status == 1 and caught:
        return "killed", caught, ""
    if exit_status == 0 and caught:
        return "broken", caught, "pytest passed but the report lists deviating claims"
    stale = [c["id"] for c in report.get("claims", []) if c.get("stale_expectation")]
    if exit_status == 1:  # failed without a deviating claim: only a known deviation started to hold
        return "survived", [], f"the run failed only on stale expectations: {', '.join(stale) or 'none listed'}"
    return "survived", [], ""


def pytest_command(fault: str | None, report: Path, workers: str, first_failure: bool = True,
                   paths: list[str] | None = None) -> list[str]:
    """The fast tier, reproducible: fixed hypothesis draws, no cache, no test-order shuffling.

    With a fault and first_failure, the fault's TARGETS run first (ci.run_first_plugin) and in full,
    then the run stops at its first failure (ci.faults._targets_in_full): a killed fault needs one
    failure, and its target files say which of their claims it kills. Under xdist (workers other
    than 0) the run stops at its first failure anywhere (-x). A fault that survives still runs the
    whole fast tier. With `paths` (a fault's TARGETS), only those files are collected and run in
    full: the quick first attempt of run_fast_tier.
    """
    # The claims judge a fault: spec/benchmarks (correctness checks of timed workloads, not claims)
    # stays out, so that a failing benchmark cannot end a run before any claim is asked.
    if paths:
        command = [sys.executable, "-m", "pytest", *paths, "-q", "-p", f"ci.faults.{fault}"]
        return command + ["-p", "no:cacheprovider", "-p", "no:randomly", "--derandomize",
                          f"--conformance-report={report}", "-n", workers]
    command = [sys.executable, "-m", "pytest", "spec", "--ignore=spec/meta", "--ignore=spec/benchmarks", "-q"]
    if fault:
        command += ["-p", f"ci.faults.{fault}"]
        if first_failure:
            command += ["-p", "ci.run_first_plugin"]
            command += ["-p", "ci.faults._targets_in_full"] if workers == "0" else ["-x"]
    # `-p no:randomly` is harmless when pytest-randomly is absent and keeps the order fixed if present.
    command += ["-p", "no:cacheprovider", "-p", "no:randomly", "--derandomize",
                f"--conformance-report={report}", "-n", workers]
    return command


def run_fast_tier(fault: str | None, out: Path, workers: str, first_failure: bool = True) -> tuple[str, list[str], str, float]:
    """Run the fast tier with `fault` planted (None: the baseline); return its verdict and seconds.

    A fault with TARGETS is first run on those files alone (collecting the whole suite costs more
    than most targets take); only if they do not kill it does the whole fast tier run."""
    if fault and first_failure and targets(fault):
        status, caught, note, seconds = _run(fault, out, workers, first_failure, targets(fault))
        if status == "killed":
            return status, caught, note or "killed by its TARGETS alone", seconds
        rerun = _run(fault, out, workers, first_failure, None)
        return (*rerun[:2], f"its TARGETS did not kill it ({status}); the whole fast tier ran" +
                (f"; {rerun[2]}" if rerun[2] else ""), seconds + rerun[3])
    return _run(fault, out, workers, first_failure, None)


def _run(fault: str | None, out: Path, workers: str, first_failure: bool, paths: list[str] | None
         ) -> tuple[str, list[str], str, float]:
    name = fault or "baseline"
    report_path, log_path = out / f"{name}.json", out / f"{name}.log"
    report_path.unlink(missing_ok=True)  # never read a previous run's report
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fault-injection-hypothesis-") as storage, log_path.open("w") as log:
        # A fresh hypothesis folder per run: no run can replay another's stored examples.
        env = {**os.environ, "HYPOTHESIS_STORAGE_DIRECTORY": storage,
               RUN_FIRST_VAR: ",".join(targets(fault)) if fault else ""}
        # Own process group, so a timeout can stop xdist workers and TensorFlow children too.
        process = subprocess.Popen(pytest_command(fault, report_path, workers, first_failure, paths), cwd=ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            exit_status = process.wait(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            exit_status = None
    seconds = time.monotonic() - started
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        report = None
    return (*verdict(exit_status, report), seconds)


def coverage(results: dict[str, tuple], claims: dict, asked: set[str] | None = None) -> dict:
    """What the killed faults reach: per claim the faults that kill it, the claims no fault reaches,
    and per section of the catalogue (in its order) the faults that kill one of its claims.

    Pure, so spec/meta can check it: results maps fault -> (verdict, caught claim ids, ...), claims
    is the catalogue (fixtures.catalogue.Claim by id), asked the claims the baseline run asked (held
    or deviated; None: every claim that is not untestable). Only killed runs count. A claim the
    baseline did not ask (skipped here: slow tier, missing package, network) cannot be reached, nor
    a section none of whose claims it asked; those are listed apart, not as gaps.
    """
    if asked is None:
        asked = {claim_id for claim_id, claim in claims.items() if not claim.untestable}
    by_claim: dict[str, set[str]] = {}
    for fault, (status, caught, *_) in results.items():
        if status == "killed":
            for claim_id in caught:
                by_claim.setdefault(claim_id, set()).add(fault)
    sections: dict[str, set[str]] = {}
    for claim_id, claim in claims.items():
        sections.setdefault(claim.section, set()).update(by_claim.get(claim_id, ()))
    asked_sections = {claim.section for claim_id, claim in claims.items() if claim_id in asked}
    return {
        "claims": {claim_id: sorted(by_claim[claim_id]) for claim_id in claims if claim_id in by_claim},
        "unreached_claims": [cid for cid in claims if cid in asked and cid not in by_claim],
        "claims_not_asked_here": [cid for cid, c in claims.items() if cid not in asked and not c.untestable],
        "untestable_claims": [cid for cid, c in claims.items() if c.untestable],
        "sections": {section: sorted(faults) for section, faults in sections.items()},
        "sections_without_killing_fault": [s for s, faults in sections.items() if s in asked_sections and not faults],
        "sections_not_asked_here": [s for s in sections if s not in asked_sections],
    }


def asked_claims(report: dict | None) -> set[str] | None:
    """The claims a (baseline) conformance report shows as asked: held or deviated, known or new."""
    if report is None:
        return None
    return {c["id"] for c in report.get("claims", []) if c.get("status") in ("holds", "deviates-known", "deviates-new")}


def print_coverage(reach: dict) -> None:
    sections, missing, idle = reach["sections"], reach["sections_without_killing_fault"], reach["sections_not_asked_here"]
    asked = len(sections) - len(idle)
    print(f"\nsections with a killing fault: {asked - len(missing)} of the {asked} whose claims the fast tier asks here "
          f"({len(sections)} in the catalogue)")
    for section, faults in sections.items():
        print(f"  {section}: {'(no claim asked here)' if section in idle else shorten(faults, 4) or 'NONE'}")
    reached = len(reach["claims"])
    print(f"\nclaims a fault kills: {reached} of the {reached + len(reach['unreached_claims'])} the fast tier asks "
          f"here; per claim:")
    for claim_id, faults in reach["claims"].items():
        print(f"  {claim_id}: {', '.join(faults)}")
    for title, key in (("claims asked here that no fault reaches", "unreached_claims"),
                       ("claims not asked here (slow tier, network, a missing package or data)", "claims_not_asked_here")):
        print(f"{title} ({len(reach[key])}):")
        print(textwrap.fill(", ".join(reach[key]) or "none", width=110, initial_indent="  ", subsequent_indent="  "))


def shorten(claims: list[str], keep: int = 3) -> str:
    """A table cell: the first few claims and how many more (a gross fault breaks dozens)."""
    more = f" (+{len(claims) - keep} more)" if len(claims) > keep else ""
    return ", ".join(claims[:keep]) + more


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m ci.fault_injection", description=__doc__.split("\n\n")[0])
    parser.add_argument("--faults", default=None, metavar="A,B",
                        help="comma-separated fault names from ci/faults/ (default: all)")
    parser.add_argument("--workers", default=DEFAULT_WORKERS, metavar="auto|N",
                        help=f"pytest-xdist workers per run, passed to -n (default {DEFAULT_WORKERS}: one process)")
    parser.add_argument("--jobs", type=int, default=DEFAULT_JOBS, metavar="N",
                        help=f"faulted runs at the same time (default {DEFAULT_JOBS}; each run loads TensorFlow)")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "fault-injection", metavar="DIR",
                        help="folder for each run's log and conformance report (default reports/fault-injection)")
    parser.add_argument("--full-runs", action="store_true",
                        help="run the whole fast tier for every fault (default: the fault's TARGETS first and in "
                             "full, then stop at the first failure)")
    args = parser.parse_args(argv)
    known = fault_names()
    args.faults = known if args.faults is None else [f.strip() for f in args.faults.split(",") if f.strip()]
    unknown = sorted(set(args.faults) - set(known))
    if unknown or not args.faults:
        parser.error(f"unknown or no faults: {', '.join(unknown) or '(empty list)'}; known: {', '.join(known)}")
    if args.workers not in ("auto", "logical") and not args.workers.isdigit():
        parser.error(f"--workers must be auto, logical or a number, not {args.workers!r}")
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, not {args.jobs}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()

    print(f"baseline: fast tier without a fault (-n {args.workers}) ...", flush=True)
    baseline = run_fast_tier(None, out, args.workers)
    status, caught, note, seconds = baseline
    # The baseline must pass outright: exit 0, a report, no claim deviating.
    if status != "survived" or note:
        print(f"baseline FAILED ({status}{': ' + note if note else ''}; "
              f"claims: {', '.join(caught) or 'none'}) in {seconds:.0f} s; see {out / 'baseline.log'}")
        print("no fault was run: verdicts mean nothing while the suite fails without one")
        return 1
    print(f"baseline passed in {seconds:.0f} s", flush=True)

    # Threads suffice: each job only waits for its pytest process.
    done = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(run_fast_tier, fault, out, args.workers, not args.full_runs): fault
                   for fault in args.faults}
        for future in concurrent.futures.as_completed(futures):
            fault = futures[future]
            done[fault] = status, caught, note, seconds = future.result()
            print(f"[{len(done)}/{len(args.faults)}] {fault}: {status} in {seconds:.0f} s"
                  f"{': ' + shorten(caught) if caught else ''}{' (' + note + ')' if note else ''}", flush=True)
    results = {fault: done[fault] for fault in args.faults}  # the table in the order asked for

    # seconds: wall time of each run, while sharing the machine with the other --jobs.
    rows = [("fault", "killed?", "claims that caught it", "seconds")]
    rows += [(f, s, shorten(c) or "-", f"{t:.0f}") for f, (s, c, _, t) in results.items()]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    print()
    for row in rows:
        print(" | ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    for fault, (status, _, note, _) in results.items():
        if status != "killed":  # say what went unnoticed, and why the run did not count
            print(f"{status.upper()}: {fault}: {docstring(fault)}{' (' + note + ')' if note else ''}")
    killed = sum(s == "killed" for s, *_ in results.values())
    try:
        baseline_report = json.loads((out / "baseline.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        baseline_report = None
    reach = coverage(results, load_catalogue(), asked_claims(baseline_report))
    print_coverage(reach)
    # Section coverage is a verdict only when every fault ran: a subset says nothing about it.
    every_fault = sorted(args.faults) == fault_names()
    if every_fault and reach["sections_without_killing_fault"]:
        print(f"NO KILLING FAULT for {len(reach['sections_without_killing_fault'])} section(s): "
              + "; ".join(reach["sections_without_killing_fault"]))
    print(f"\nkill rate: {killed}/{len(results)}")
    print(f"total {time.monotonic() - started:.0f} s; logs, reports and summary.json (every claim) in {out}")

    summary = {"workers": args.workers, "jobs": args.jobs, "baseline_seconds": round(baseline[3], 1),
               "runs": "full" if args.full_runs else "targets in full, then up to the first failure",
               "kill_rate": [killed, len(results)],
               "faults": {f: {"verdict": s, "claims": c, "note": n, "seconds": round(t, 1), "fault": docstring(f),
                              "targets": targets(f)}
                          for f, (s, c, n, t) in results.items()},
               **reach}
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    sections_ok = not (every_fault and reach["sections_without_killing_fault"])
    return 0 if killed == len(results) and sections_ok else 1


if __name__ == "__main__":
    sys.exit(main())
