"""Shrink a matrix.json (python -m ci.matrix) into the reference matrix kept in the repository,
ci/reference/matrix.json: the same document, every verdict, reason, failure and measured value
as it was (ci.report_diff compares them), with the tests of each claim reduced to those that did
not pass or skip (node id, outcome, message cut to LIMIT characters): a claim's status and reason
already say what its passing and skipped tests did. The page, ci.report_diff (--baseline),
ci.since and ci.errata read it like the full matrix.

    python -m ci.compact_matrix reports/matrix/matrix.json ci/reference/matrix.json
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

LIMIT = 300


def _cut(text):
    return text[:LIMIT] + " …" if isinstance(text, str) and len(text) > LIMIT else text


def compact(matrix: dict) -> dict:
    out = dict(matrix)
    claims = []
    for claim in matrix["claims"]:
        results = {}
        for env, result in claim["results"].items():
            kept = {k: v for k, v in result.items() if k not in ("tests", "fix_tests")}
            for key in ("tests", "fix_tests"):
                if key in result:
                    kept[key] = [{"nodeid": t.get("nodeid"), "outcome": t.get("outcome"),
                                  "message": _cut(t.get("message"))} for t in result[key] or []
                                 if t.get("outcome") not in ("passed", "skipped")]
            results[env] = kept
        claims.append({**claim, "results": results})
    out["claims"] = claims
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ci.compact_matrix", description=__doc__.split("\n\n")[0])
    parser.add_argument("matrix", type=Path)
    parser.add_argument("out", type=Path)
    options = parser.parse_args(argv)
    try:
        matrix = json.loads(options.matrix.read_text(encoding="utf-8"))
        if not isinstance(matrix, dict) or "environments" not in matrix or "claims" not in matrix:
            raise ValueError(f"{options.matrix}: not a matrix.json (no environments and claims)")
    except (OSError, ValueError) as exc:
        print(f"ci.compact_matrix: {exc}", file=sys.stderr)
        return 2
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps(compact(matrix), ensure_ascii=False, separators=(",", ":")) + "\n",
                           encoding="utf-8")
    print(f"wrote {options.out} ({options.out.stat().st_size // 1024} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
