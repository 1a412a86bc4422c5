"""Reading the inputs of ci.render_report, ci.report_diff and ci.browser_check: conformance reports
and matrix JSON, with every problem a one-line InputError naming the file (the commands print it and
exit 2, never a traceback).

Pure: JSON and the causes file, no TensorFlow.
"""
from __future__ import annotations

import json
from pathlib import Path

from ci.matrix_report import SCHEMA as MATRIX_SCHEMA
from ci.matrix_report import merge_reports

REPORT_SCHEMA = "handbook-spec/conformance-report/1"


class InputError(ValueError):
    """Bad input: a missing file, a file of the wrong kind, two reports of one environment, ..."""


def read_json(path: Path) -> object:
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if not path.is_file():
        raise InputError(f"{path}: not a file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read it ({exc.__class__.__name__}: {exc})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
                         "expected a conformance report or a matrix.json") from None


def kind_of(document: object) -> str | None:
    """'report', 'matrix' or None."""
    if not isinstance(document, dict):
        return None
    if document.get("schema") == MATRIX_SCHEMA and isinstance(document.get("claims"), list) \
            and isinstance(document.get("environments"), list):
        return "matrix"
    if isinstance(document.get("environment"), dict) and isinstance(document.get("claims"), list) \
            and isinstance(document["environment"].get("name"), str):
        return "report"
    return None


def _check_claims(document: dict, path: Path, kind: str) -> None:
    for n, claim in enumerate(document["claims"], 1):
        if not isinstance(claim, dict) or not all(isinstance(claim.get(k), str) for k in ("id", "section")):
            raise InputError(f"{path}: claim #{n} has no id or section: not a complete {kind}")
        if kind == "report" and not isinstance(claim.get("status"), str):
            raise InputError(f"{path}: claim {claim['id']} has no status: not a complete report")
        if kind == "matrix" and not isinstance(claim.get("results"), dict):
            raise InputError(f"{path}: claim {claim['id']} has no results: not a complete matrix")


def load_document(path: Path) -> tuple[str, dict]:
    """(kind, document) of a report or a matrix file; InputError otherwise."""
    document = read_json(path)
    kind = kind_of(document)
    if kind is None:
        what = type(document).__name__ if not isinstance(document, dict) else (
            f"a JSON object with keys {', '.join(sorted(document)[:6])}" if document else "an empty JSON object")
        raise InputError(f"{path}: neither a conformance report (--conformance-report) nor a matrix.json "
                         f"(python -m ci.matrix / ci.render_report --matrix): {what}")
    _check_claims(document, Path(path), kind)
    return kind, document


def check_causes(document: dict, kind: str, path: Path, causes: dict) -> None:
    """Every cause a claim names must be one of causes.toml's (a usage error otherwise)."""
    cells = ([(c["id"], document["environment"]["name"], c) for c in document["claims"]] if kind == "report" else
             [(c["id"], env, cell) for c in document["claims"] for env, cell in c["results"].items()])
    for claim_id, env, cell in cells:
        cause = cell.get("cause") if isinstance(cell, dict) else None
        if cause is not None and cause not in causes:
            raise InputError(f"{path}: claim {claim_id} in {env} names cause {cause!r}, which "
                             f"ci/expectations/causes.toml does not define (it defines {', '.join(causes)})")


def load_matrix(paths: list[Path], causes: dict | None = None, runs: list[dict] | None = None) -> dict:
    """One matrix from one matrix.json or from conformance reports (merged in the order given)."""
    if not paths:
        raise InputError("no input: give conformance reports or one matrix.json")
    loaded = [(Path(p), *load_document(Path(p))) for p in paths]
    for path, kind, document in loaded:
        if causes is not None:
            check_causes(document, kind, path, causes)
    matrices = [path for path, kind, _ in loaded if kind == "matrix"]
    if matrices:
        if len(loaded) > 1:
            raise InputError(f"{matrices[0]}: a matrix.json cannot be merged with other inputs; give one matrix "
                             "or only conformance reports")
        return loaded[0][2]
    seen: dict[str, Path] = {}
    for path, _, document in loaded:
        name = document["environment"]["name"]
        if name in seen:
            raise InputError(f"{path}: a second report of environment {name} (the first is {seen[name]})")
        seen[name] = path
    return merge_reports([document for _, _, document in loaded], runs=runs)


def load_comparable(path: Path, causes: dict | None = None) -> dict:
    """A report or a matrix file as a matrix (for --baseline and ci.report_diff)."""
    return load_matrix([Path(path)], causes)
