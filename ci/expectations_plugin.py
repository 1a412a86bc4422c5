"""Applies this environment's expectations file: its claims' tests become strict xfails."""
from __future__ import annotations

from pathlib import Path

import pytest

from ci.environment import environment_name
from ci.expectations import ExpectationsError, expectations_path, load_expectations
from fixtures.claims_plugin import catalogue, claim_ids

EXPECTATIONS_KEY = pytest.StashKey[tuple]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("handbook-spec")
    group.addoption(
        "--environment",
        default=None,
        help="environment name for the expectations file (default: detected, e.g. tf2.21-keras3-np2)",
    )
    group.addoption(
        "--expectations",
        default="auto",
        metavar="PATH|auto|none",
        help="known-deviations file to apply as strict xfails (default auto: ci/expectations/<environment>.toml)",
    )


def active_expectations(config: pytest.Config) -> tuple[str, Path | None, dict]:
    """(environment name, file used or None, {claim id: Deviation}); loaded once per process."""
    if EXPECTATIONS_KEY not in config.stash:
        name = config.getoption("--environment") or environment_name()
        choice = config.getoption("--expectations")
        path = None if choice == "none" else (expectations_path(name) if choice == "auto" else Path(choice))
        if path is not None and choice != "auto" and not path.is_file():
            raise pytest.UsageError(f"--expectations: no such file {path}")
        try:
            deviations = load_expectations(path, catalogue(config)) if path else {}
        except ExpectationsError as exc:
            raise pytest.UsageError(f"handbook-spec: bad expectations file: {exc}") from exc
        config.stash[EXPECTATIONS_KEY] = (name, path if path and path.is_file() else None, deviations)
    return config.stash[EXPECTATIONS_KEY]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _, path, deviations = active_expectations(config)
    problems = []
    for item in items:
        known = [deviations[c] for c in claim_ids(item) if c in deviations]
        if not known:
            continue
        if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            # A lucky draw would XPASS a strict xfail: split the deterministic part out instead.
            problems.append(f"{item.nodeid}: hypothesis test of expected-deviating claim {known[0].claim}")
            continue
        reason = "; ".join(f"known deviation of {d.claim}: {d.reason} [{d.source}]" for d in known)
        item.add_marker(pytest.mark.xfail(reason=reason, strict=True))
    if problems:
        raise pytest.UsageError(f"handbook-spec: {path}:\n  " + "\n  ".join(problems))
