"""Applies the expectations catalogue: the tests of a claim known to deviate here must fail the way
the catalogue says.

The deviations that apply are computed from the catalogue's conditions and the versions installed
(ci.conditions). Each test of such a claim runs as a strict expected failure with a signature:
- it fails the known way (exception type, message, observed values): xfailed, `deviates-known`;
- it fails another way: failed, `deviates-new`, with the expected and the actual failure side by
  side in the output and the report;
- it passes: failed as XPASS(strict), the claim holds and the expectation is stale.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from ci.conditions import FACTS
from ci.environment import environment_facts, name_from_facts
from ci.expectations import (EXPECTATIONS_DIR, Deviation, Expectation, ExpectationsError, expectations_for,
                             load_catalogue, matrix_problems)
from ci.matrix_config import MatrixConfigError, matrix_facts
from fixtures.claims_plugin import catalogue, claim_ids, fix_ids

EXPECTATIONS_KEY = pytest.StashKey["ActiveExpectations"]()
ITEM_KEY = pytest.StashKey[tuple]()


@dataclass(frozen=True)
class ActiveExpectations:
    environment: str
    facts: dict
    path: Path | None
    by_claim: dict[str, Expectation]  # the deviations that apply here
    catalogue: tuple[Deviation, ...] = ()  # every deviation, wherever it applies


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("handbook-spec")
    group.addoption("--environment", default=None,
                    help="environment name written into the report (default: detected, e.g. tf2.21-keras3-np2)")
    group.addoption("--expectations", default="auto", metavar="PATH|auto|none",
                    help="the expectations catalogue: auto (ci/expectations/), a folder or file of [[deviation]] "
                         "entries, or none (every claim runs as plain)")
    group.addoption("--facts", default="", metavar="FACT=VALUE,...",
                    help="override installed-version facts the catalogue's conditions see, e.g. numpy=2.0.0 "
                         "(to check what the catalogue expects of another environment)")


def _facts(config: pytest.Config) -> dict:
    facts = environment_facts()
    for item in filter(None, (part.strip() for part in config.getoption("--facts").split(","))):
        name, sep, value = item.partition("=")
        if not sep or name.strip() not in FACTS:
            raise pytest.UsageError(f"--facts: {item!r} is not FACT=VALUE with a fact among {', '.join(sorted(FACTS))}")
        facts[name.strip()] = value.strip() or None
    return facts


def active_expectations(config: pytest.Config) -> ActiveExpectations:
    """The expectations of this environment; computed once per process."""
    if EXPECTATIONS_KEY not in config.stash:
        facts = _facts(config)
        name = config.getoption("--environment") or name_from_facts(facts)
        choice = config.getoption("--expectations")
        path = None if choice == "none" else (EXPECTATIONS_DIR if choice == "auto" else Path(choice))
        if path is not None and not path.exists():
            raise pytest.UsageError(f"--expectations: no such file or folder {path}")
        by_claim: dict[str, Expectation] = {}
        deviations: list[Deviation] = []
        if path is not None:
            try:
                deviations = load_catalogue(catalogue(config), path)
                problems = matrix_problems(deviations, matrix_facts())
                if problems:
                    raise ExpectationsError("conditions that do not fit the matrix:\n  " + "\n  ".join(problems))
                by_claim = expectations_for(deviations, facts)
            except (ExpectationsError, MatrixConfigError) as exc:
                raise pytest.UsageError(f"handbook-spec: bad expectations catalogue: {exc}") from exc
        config.stash[EXPECTATIONS_KEY] = ActiveExpectations(name, facts, path, by_claim, tuple(deviations))
    return config.stash[EXPECTATIONS_KEY]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    active = active_expectations(config)
    deviating = {d.claim for d in active.catalogue}
    problems = []
    for item in items:
        if active.path is not None:
            problems += [f"{item.nodeid}: fix for {c}, which the catalogue lists as deviating nowhere"
                         for c in fix_ids(item) if c not in deviating]
        known = [active.by_claim[c] for c in claim_ids(item) if c in active.by_claim]
        if not known:
            continue
        if len(known) > 1:
            problems.append(f"{item.nodeid}: tests {len(known)} claims known to deviate here "
                            f"({', '.join(k.claim for k in known)}); a known failure must belong to one claim")
            continue
        if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            # A lucky draw would pass a strict expected failure: split the deterministic part out instead.
            problems.append(f"{item.nodeid}: hypothesis test of expected-deviating claim {known[0].claim}")
            continue
        item.stash[ITEM_KEY] = (known[0],)
    if problems:
        raise pytest.UsageError(f"handbook-spec: {active.path}:\n  " + "\n  ".join(problems))


def _reason(expectation: Expectation) -> str:
    return f"known deviation of {expectation.claim}: {expectation.reason} [{expectation.source}]"


def _measured(report: pytest.TestReport) -> dict[str, object]:
    return {value["name"]: value["value"] for key, value in report.user_properties if key == "measured"}


def exception_chain(exc: BaseException) -> list[BaseException]:
    """The exception and those it was raised from or while handling (__cause__, __context__): a
    test that catches the book's error to explain it keeps that error's type in the chain."""
    chain: list[BaseException] = []
    while exc is not None and all(exc is not seen for seen in chain):
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    return chain


def _one_line(exc: BaseException) -> str:
    first = (str(exc).strip().splitlines() or [""])[0][:300]
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _actual(chain: list[BaseException], measured: dict, signature) -> str:
    text = _one_line(chain[0]) + "".join(f" (while handling {_one_line(e)})" for e in chain[1:])
    for observation in signature.observed:
        if observation.name in measured:
            text += f"; {observation.name} = {measured[observation.name]!r}"
    return text


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    if call.when != "call" or ITEM_KEY not in item.stash:
        return
    report: pytest.TestReport = outcome.get_result()
    (expectation,) = item.stash[ITEM_KEY]
    signature = expectation.signature
    check = {"claim": expectation.claim, "expected": signature.describe(), "actual": None, "mismatch": None}
    if report.skipped:
        return  # a skip inside the test: not run, neither holding nor deviating
    if report.passed:
        report.outcome = "failed"
        report.longrepr = f"[XPASS(strict)] {_reason(expectation)}"
        check["mismatch"] = "the claim held"
        report.user_properties.append(("deviation_check", check))
        return
    chain = exception_chain(call.excinfo.value)
    names = [name for e in chain for name in (type(e).__name__, f"{type(e).__module__}.{type(e).__qualname__}")]
    measured = _measured(report)
    check["actual"] = _actual(chain, measured, signature)
    check["mismatch"] = signature.mismatch(names, "\n".join(str(e) for e in chain), measured)
    report.user_properties.append(("deviation_check", check))
    if check["mismatch"] is None:
        report.outcome = "skipped"
        report.wasxfail = _reason(expectation)
    else:
        report.sections.append(("known deviation failed another way",
                                f"claim {expectation.claim} is known to fail with: {check['expected']}\n"
                                f"it failed with: {check['actual']}\n({check['mismatch']})"))
