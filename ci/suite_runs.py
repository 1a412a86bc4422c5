"""Running the suite in a child pytest and reading its verdicts back from the JSON report:
shared by the reliability commands (verdict stability, hermetic run)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class SuiteRun:
    label: str
    exit_status: int
    seconds: float
    report: dict | None
    output_tail: str

    def verdicts(self) -> dict[str, tuple[str, tuple[str, ...]]]:
        """claim id -> (status, sorted outcomes of its tests); the part that must not vary."""
        if not self.report:
            return {}
        return {
            claim["id"]: (claim["status"], tuple(sorted(t["outcome"] for t in claim["tests"])))
            for claim in self.report["claims"]
        }


def run_suite(label: str, args: list[str], report_path: Path, *, env: dict[str, str] | None = None,
              prefix: list[str] | None = None) -> SuiteRun:
    """Run `python -m pytest ARGS --conformance-report=REPORT` from the checkout."""
    command = (prefix or []) + [sys.executable, "-m", "pytest", *args, f"--conformance-report={report_path}"]
    started = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True, text=True)
    seconds = time.monotonic() - started
    report = json.loads(report_path.read_text()) if report_path.is_file() else None
    tail = "\n".join((result.stdout + result.stderr).splitlines()[-15:])
    return SuiteRun(label, result.returncode, seconds, report, tail)


def verdict_differences(runs: list[SuiteRun]) -> list[str]:
    """One line per claim whose verdict is not the same in every run."""
    per_run = [run.verdicts() for run in runs]
    claims = sorted(set().union(*per_run))
    lines = []
    for claim in claims:
        seen = {run.label: verdicts.get(claim) for run, verdicts in zip(runs, per_run)}
        if len(set(seen.values())) > 1:
            lines.append(f"{claim}: " + "; ".join(f"{label}={value}" for label, value in seen.items()))
    return lines
