"""Helpers for the harness tests: small claim catalogues and inner pytest sessions (pytester).

Not a test module (no test_ prefix). In-process inner sessions reuse the TensorFlow the outer
process already imported, so they cost milliseconds; subprocess sessions pay for a fresh Python.
"""
from __future__ import annotations

import ast
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Inner-session plugin sets.
CLAIMS = "fixtures.claims_plugin"
EXPECTATIONS = "ci.expectations_plugin"
REPORT = "ci.report_plugin"
VERDICT_PLUGINS = (CLAIMS, EXPECTATIONS, REPORT)  # no TensorFlow import anywhere in these

# Options every inner session gets: no .pytest_cache written into the inner project.
QUIET = ("-p", "no:cacheprovider")


def root_plugins() -> list[str]:
    """The root conftest's pytest_plugins list, read without importing it."""
    tree = ast.parse((ROOT / "conftest.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytest_plugins" for t in node.targets
        ):
            return list(ast.literal_eval(node.value))
    raise AssertionError("the root conftest.py defines no pytest_plugins list")


def claims_toml(ids, untestable: dict[str, str] | None = None) -> str:
    """A valid catalogue with one [[claim]] per id; `untestable` maps ids to reasons."""
    untestable = untestable or {}
    blocks = []
    for claim_id in ids:
        lines = [
            "[[claim]]",
            f"id = {json.dumps(claim_id)}",
            'section = "meta / inner session"',
            f"statement = {json.dumps('statement of ' + claim_id)}",
            'kind = "behaviour"',
        ]
        if claim_id in untestable:
            lines.append(f"untestable = {json.dumps(untestable[claim_id])}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def folder_of(where) -> Path:
    """A Pytester's folder, or the folder itself."""
    return Path(getattr(where, "path", where))


def write_claims(where, ids, untestable: dict[str, str] | None = None) -> Path:
    path = folder_of(where) / "claims.toml"
    path.write_text(claims_toml(ids, untestable), encoding="utf-8")
    return path


ANY_ASSERTION = '{ raises = "AssertionError" }'


def deviations_toml(entries: dict, source: str = "https://example.org/known") -> str:
    """An expectations catalogue: claim id -> reason, or -> {reason, fails, when} where `fails` and
    `when` are TOML inline tables as text. The default signature is any AssertionError."""
    blocks = []
    for claim_id, value in entries.items():
        spec = value if isinstance(value, dict) else {"reason": value}
        lines = [
            "[[deviation]]",
            f"claim = {json.dumps(claim_id)}",
            f"reason = {json.dumps(spec['reason'])}",
            f"source = {json.dumps(source)}",
            'cause = "handbook"',
            f"fails = {spec.get('fails', ANY_ASSERTION)}",
        ]
        if "when" in spec:
            lines.append(f"when = {spec['when']}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def write_deviations(where, entries: dict, name: str = "expected.toml") -> Path:
    path = folder_of(where) / name
    path.write_text(deviations_toml(entries), encoding="utf-8")
    return path


MARKERS = ("claim", "fix", "meta", "slow", "book", "network", "subprocess")


def use_plugins(where, *plugins: str) -> None:
    """The inner session's root conftest registers exactly these plugins; its ini declares the
    project's markers (so inner output carries no unknown-marker warnings)."""
    folder = folder_of(where)
    (folder / "conftest.py").write_text(f"pytest_plugins = {list(plugins)!r}\n", encoding="utf-8")
    (folder / "tox.ini").write_text(
        "[pytest]\nmarkers =\n" + "".join(f"    {m}: handbook-spec marker\n" for m in MARKERS), encoding="utf-8"
    )


def statuses(report: dict) -> dict[str, str]:
    return {entry["id"]: entry["status"] for entry in report["claims"]}


def entry(report: dict, claim_id: str) -> dict:
    matches = [e for e in report["claims"] if e["id"] == claim_id]
    assert len(matches) == 1, f"{claim_id}: {len(matches)} report entries"
    return matches[0]
