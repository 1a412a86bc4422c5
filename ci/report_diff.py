"""Compare two conformance reports (yesterday's and today's, or two environments).

    python -m ci.report_diff OLD.json NEW.json [--fail-on newly-deviating,errors]

Lists claims newly deviating, newly holding, newly erroring or not run, and claims whose reason
changed. Exit status 1 when a gated change is present (default: a claim that held or deviated
knowingly now deviates in a new way or errors), so CI can gate on it; 0 otherwise.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

DEVIATING = {"deviates-known", "deviates-new"}


def claim_changes(old: dict, new: dict) -> dict[str, list[str]]:
    """Changes per category; each line names the claim and the old -> new status or reason."""
    before = {c["id"]: c for c in old["claims"]}
    after = {c["id"]: c for c in new["claims"]}
    changes: dict[str, list[str]] = {
        "newly-deviating": [], "newly-holding": [], "errors": [], "newly-not-run": [],
        "reason-changed": [], "added": [], "removed": [],
    }
    for cid in sorted(after.keys() - before.keys()):
        changes["added"].append(f"{cid}: {after[cid]['status']}")
    for cid in sorted(before.keys() - after.keys()):
        changes["removed"].append(f"{cid}: was {before[cid]['status']}")
    for cid in sorted(before.keys() & after.keys()):
        was, now = before[cid]["status"], after[cid]["status"]
        line = f"{cid}: {was} -> {now}"
        if now == "error" and was != "error":
            changes["errors"].append(line + f" ({after[cid]['reason']})")
        elif now in DEVIATING and was not in DEVIATING:
            changes["newly-deviating"].append(line + f" ({after[cid]['reason']})")
        elif now == "deviates-new" and was == "deviates-known":
            changes["newly-deviating"].append(line + f" ({after[cid]['reason']})")
        elif now == "holds" and was != "holds":
            changes["newly-holding"].append(line)
        elif now == "not-run" and was != "not-run":
            changes["newly-not-run"].append(line + f" ({after[cid]['reason']})")
        elif was == now and before[cid]["reason"] != after[cid]["reason"]:
            changes["reason-changed"].append(f"{cid} ({now}): {before[cid]['reason']!r} -> {after[cid]['reason']!r}")
    return changes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--fail-on", default="newly-deviating,errors",
                        help="comma-separated categories that make the exit status 1 ('' for none)")
    options = parser.parse_args(argv)
    old, new = (json.loads(p.read_text(encoding="utf-8")) for p in (options.old, options.new))
    print(f"{options.old} ({old['environment']['name']}) -> {options.new} ({new['environment']['name']})")
    changes = claim_changes(old, new)
    for category, lines in changes.items():
        if lines:
            print(f"{category} ({len(lines)}):")
            print("\n".join("  " + line for line in lines))
    if not any(changes.values()):
        print("no changes in any claim's status or reason")
    gated = [c.strip() for c in options.fail_on.split(",") if c.strip()]
    unknown = set(gated) - set(changes)
    if unknown:
        parser.error(f"--fail-on: unknown categories {sorted(unknown)}")
    return 1 if any(changes[c] for c in gated) else 0


if __name__ == "__main__":
    sys.exit(main())
