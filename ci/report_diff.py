"""Compare two conformance runs: reports or matrices (yesterday's and today's, or two environments).

    python -m ci.report_diff OLD.json NEW.json [--fail-on=newly-deviating,errors]

OLD and NEW are conformance reports or matrix JSON files (ci.matrix, ci.render_report --matrix), in
any combination. The environments both hold are compared claim by claim; two single-environment
files of different environments are compared with each other. It prints the environments' versions,
then per category the claims that changed: newly deviating, newly holding, newly erroring, newly not
run, a reason that changed (what changed inside it, word by word), measured values that changed
(timings left out), stale expectations, claims added or removed, environments added or removed.

Exit status 1 when a category named by --fail-on has entries (default: a claim that held or
deviated knowingly now deviates in a new way or errors), and the last line says which categories
failed the gate; 0 otherwise; 2 on bad input (a missing file, a file of another kind, no
environment in common, an unknown category), with one line naming the file and the problem.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ci import page_model as pm
from ci.matrix_report import DEVIATING
from ci.report_inputs import InputError, load_comparable

CATEGORIES = ("newly-deviating", "newly-holding", "errors", "newly-not-run", "reason-changed", "measured-changed",
              "stale-expectations", "added", "removed", "environments-added", "environments-removed")
DEFAULT_GATE = "newly-deviating,errors"


def _as_matrix(document: dict) -> dict:
    """Accept a bare report-like dict (environment + claims with statuses) as used by the tests."""
    from ci.matrix_report import as_matrix

    if "environments" in document and "schema" in document:
        return document
    if "environment" in document and "claims" in document:
        claims = [{"section": "?", "statement": "", **c} for c in document["claims"]]
        return as_matrix({**document, "claims": claims})
    raise InputError("neither a conformance report nor a matrix")


def _cell_changes(cid: str, was: dict | None, now: dict | None, prefix: str, changes: dict[str, list[str]]) -> None:
    was_there = was is not None and was["status"] != "absent"
    now_there = now is not None and now["status"] != "absent"
    if not was_there and not now_there:
        return
    if not was_there:
        changes["added"].append(f"{prefix}{cid}: {now['status']}")
        return
    if not now_there:
        changes["removed"].append(f"{prefix}{cid}: was {was['status']}")
        return
    before, after = was["status"], now["status"]
    line = f"{prefix}{cid}: {before} -> {after}"
    reason = now.get("reason")
    why = _short((reason or "").strip().splitlines()[0] if (reason or "").strip() else "", 240)
    if after == "error" and before != "error":
        changes["errors"].append(line + f" ({why})")
    elif after in DEVIATING and before not in DEVIATING:
        changes["newly-deviating"].append(line + f" ({why})")
    elif after == "deviates-new" and before == "deviates-known":
        changes["newly-deviating"].append(line + f" ({why})")
    elif after == "holds" and before != "holds":
        changes["newly-holding"].append(line)
    elif after == "not-run" and before != "not-run":
        changes["newly-not-run"].append(line + f" ({why})")
    elif before == after and (was.get("reason") or "") != (reason or "") \
            and pm.stable(was.get("reason") or "") != pm.stable(reason or ""):
        changes["reason-changed"].append(f"{prefix}{cid} ({after}): {_short(pm.word_diff(was.get('reason'), reason), 600)}")
    for name, old, new in pm.measured_changes(was, now):
        changes["measured-changed"].append(f"{prefix}{cid}: {name}: {_short(pm.fmt_value(old))} -> {_short(pm.fmt_value(new))}")
    if now.get("stale_expectation") or (after == "holds" and "stale" in (reason or "")):
        changes["stale-expectations"].append(f"{prefix}{cid}: {why or 'held, though listed as a known deviation'}")


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def claim_changes(old: dict, new: dict) -> dict[str, list[str]]:
    """Changes per category between two reports or matrices; each line names the claim (and, when
    several environments are compared, the environment) and the old -> new status or what changed."""
    old, new = _as_matrix(old), _as_matrix(new)
    changes: dict[str, list[str]] = {c: [] for c in CATEGORIES}
    pairs = pm.pair_environments(old, new)
    if not pairs:
        raise InputError("the two files share no environment "
                         f"({', '.join(e['name'] for e in old['environments'])} vs "
                         f"{', '.join(e['name'] for e in new['environments'])})")
    old_names = {e["name"] for e in old["environments"]}
    new_names = {e["name"] for e in new["environments"]}
    if len(pairs) > 1 or pairs[0][0] == pairs[0][1]:
        changes["environments-added"] = sorted(new_names - old_names)
        changes["environments-removed"] = sorted(old_names - new_names)
    before = {c["id"]: c for c in old["claims"]}
    after = {c["id"]: c for c in new["claims"]}
    for old_env, new_env in pairs:
        prefix = f"[{new_env}] " if len(pairs) > 1 else ""
        for cid in sorted(before.keys() | after.keys()):
            was = before[cid]["results"].get(old_env) if cid in before else None
            now = after[cid]["results"].get(new_env) if cid in after else None
            _cell_changes(cid, was, now, prefix, changes)
    return changes


def versions(env: dict) -> str:
    fp = env.get("fingerprint") or env
    parts = [f"tensorflow {fp.get('tensorflow') or '—'}" + (f" ({fp['tensorflow_distribution']})" if fp.get(
        "tensorflow_distribution") not in (None, "tensorflow") else ""),
        f"keras {fp.get('keras') or '—'} ({fp.get('keras_flavour') or '—'})", f"numpy {fp.get('numpy') or '—'}",
        f"python {fp.get('python') or '—'}"]
    created = env.get("created")
    return ", ".join(parts) + (f"; report of {created}" if created else "")


def _fail(message: str) -> int:
    print(f"ci.report_diff: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ci.report_diff", description=__doc__.split("\n\n")[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--fail-on", default=DEFAULT_GATE,
                        help=f"comma-separated categories that make the exit status 1 ('' for none); one of "
                             f"{', '.join(CATEGORIES)} (default {DEFAULT_GATE})")
    options = parser.parse_args(argv)
    gated = [c.strip() for c in options.fail_on.split(",") if c.strip()]
    unknown = [c for c in gated if c not in CATEGORIES]
    if unknown:
        return _fail(f"--fail-on: unknown categories {', '.join(unknown)} (known: {', '.join(CATEGORIES)})")
    try:
        old, new = load_comparable(options.old), load_comparable(options.new)
        try:
            changes = claim_changes(old, new)
        except InputError as exc:
            raise InputError(f"{options.old}, {options.new}: {exc}") from None
    except InputError as exc:
        return _fail(str(exc))
    pairs = pm.pair_environments(old, new)
    by_name = {e["name"]: e for e in old["environments"]}
    by_new = {e["name"]: e for e in new["environments"]}
    print(f"{options.old} -> {options.new}")
    for old_env, new_env in pairs:
        if old_env == new_env:
            print(f"  {new_env}: {versions(by_name[old_env])}  ->  {versions(by_new[new_env])}")
        else:
            print(f"  {old_env}: {versions(by_name[old_env])}")
            print(f"  -> {new_env}: {versions(by_new[new_env])}")
    for category, lines in changes.items():
        if lines:
            print(f"{category} ({len(lines)}):")
            print("\n".join("  " + line for line in lines))
    if not any(changes.values()):
        print("no changes in any claim's status, reason or measured values")
    failed = [c for c in gated if changes[c]]
    if failed:
        print("gate failed: " + ", ".join(f"{c} ({len(changes[c])})" for c in failed) + f" (--fail-on={','.join(gated)})")
        return 1
    print(f"gate passed (--fail-on={','.join(gated) or 'nothing'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
