"""Pytest plugin for faulted runs of ci.fault_injection (a helper, not a fault): the fault's TARGETS
files, which ci.run_first_plugin moves to the front, run to their end, so every claim they hold is
asked; once a test has failed, the session stops as soon as the next test lies outside them (like
-x for the rest of the run). Loaded with `-p ci.faults._targets_in_full`; without xdist."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from ci.run_first_plugin import ENV_VAR

_failures: list[str] = []


def _in_targets(item: pytest.Item) -> bool:
    first = [(Path(str(item.config.rootpath)) / p).resolve() for p in os.environ.get(ENV_VAR, "").split(",") if p.strip()]
    path = Path(str(item.path)).resolve()
    return any(path == target or target in path.parents for target in first)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.failed:
        _failures.append(report.nodeid)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    yield
    if _failures and (nextitem is None or not _in_targets(nextitem)):
        # A string: the report plugin then marks the tests not run as stopped, not as lost.
        item.session.shouldfail = f"stopped after the target files once a test had failed ({_failures[0]})"
