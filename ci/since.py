"""Since when: from a matrix run, per known deviation, the first release where it appears and the
last where the claim holds, checked against the catalogue's conditions.

Pure: works on a merged matrix (ci.matrix_report) and the expectations catalogue; no TensorFlow.
The releases are the matrix environments' `release` (ci/matrix_environments.toml), in order.
"""
from __future__ import annotations

from ci.expectations import Deviation, load_catalogue
from ci.matrix_config import load_environments, release_order
from fixtures.catalogue import load_catalogue as load_claims

DEVIATING = ("deviates-known", "deviates-new")


def _releases(matrix: dict) -> dict[str, str]:
    """environment name -> release, from the matrix's runs or the environments file."""
    known = {e.name: e.release for e in load_environments()}
    return {e["name"]: e.get("release") or known.get(e["name"], "?") for e in matrix["environments"]}


def _order(releases: set[str]) -> list[str]:
    order = release_order(load_environments())
    return sorted(releases, key=lambda r: (order.index(r) if r in order else len(order), r))


def _facts(environment: dict) -> dict | None:
    return (environment.get("fingerprint") or {}).get("facts")


def since_rows(matrix: dict, deviations: list[Deviation] | None = None) -> list[dict]:
    """One row per deviation of the catalogue (claim and condition): per release, the status of the
    claim in each environment of that release, whether the catalogue expects it to deviate there,
    the first release where it deviates, the last before that where it holds, and disagreements."""
    if deviations is None:
        deviations = load_catalogue(load_claims())
    release_of = _releases(matrix)
    claims = {c["id"]: c for c in matrix["claims"]}
    envs = [e for e in matrix["environments"] if _facts(e) is not None]
    releases = _order({release_of[e["name"]] for e in envs})
    rows = []
    for deviation in deviations:
        claim = claims.get(deviation.claim)
        if claim is None:
            continue
        cells: dict[str, list[dict]] = {r: [] for r in releases}
        problems = []
        for env in envs:
            status = claim["results"].get(env["name"], {}).get("status", "absent")
            expected = deviation.when.holds(_facts(env))
            release = release_of[env["name"]]
            cells[release].append({"environment": env["name"], "status": status, "expected": expected})
            # Only this deviation's own environments can contradict it; another deviation of the same
            # claim may cover the rest.
            if expected and status == "holds":
                problems.append(f"{deviation.claim}: the catalogue ({deviation.file}, when {deviation.when}) says it "
                                f"deviates in {release} ({env['name']}), but it holds there")
            elif (not expected and status in DEVIATING and not any(
                    d.claim == deviation.claim and d.when.holds(_facts(env)) for d in deviations)):
                problems.append(f"{deviation.claim}: deviates in {release} ({env['name']}), where no deviation of the "
                                f"catalogue applies (this one: when {deviation.when})")
        mine = [r for r in releases if any(c["expected"] and c["status"] in DEVIATING for c in cells[r])]
        first = mine[0] if mine else None
        earlier = releases[:releases.index(first)] if first else []
        holding = [r for r in earlier if any(c["status"] == "holds" for c in cells[r])]
        rows.append({
            "claim": deviation.claim, "section": claim["section"], "cause": deviation.cause, "when": str(deviation.when),
            "file": deviation.file, "source": deviation.source, "notes": deviation.notes,
            "first_deviating": first, "last_holding": holding[-1] if holding else None,
            "before_first_release": bool(first) and first == releases[0],
            "cells": cells, "problems": problems,
        })
    return rows


def since_problems(matrix: dict, deviations: list[Deviation] | None = None) -> list[str]:
    """Every disagreement between the catalogue's conditions and what the matrix measured."""
    return sorted({p for row in since_rows(matrix, deviations) for p in row["problems"]})
