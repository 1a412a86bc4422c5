"""ci.report_diff: changes between two conformance reports, and the exit status CI gates on."""
from __future__ import annotations

import json

import pytest

from ci.report_diff import claim_changes, main

pytestmark = pytest.mark.meta


def report(env: str, **claims) -> dict:
    return {
        "environment": {"name": env},
        "claims": [{"id": cid, "status": status, "reason": reason} for cid, (status, reason) in claims.items()],
    }


OLD = report("yesterday", **{
    "a.steady": ("holds", None),
    "a.breaks": ("holds", None),
    "a.heals": ("deviates-known", "NumPy 2"),
    "a.worse": ("deviates-known", "documented"),
    "a.reworded": ("deviates-known", "old words"),
    "a.crashes": ("holds", None),
    "a.dropped": ("holds", None),
})
NEW = report("today", **{
    "a.steady": ("holds", None),
    "a.breaks": ("deviates-new", "off by one"),
    "a.heals": ("holds", None),
    "a.worse": ("deviates-new", "a different failure"),
    "a.reworded": ("deviates-known", "new words"),
    "a.crashes": ("error", "worker crashed"),
    "a.new": ("not-run", "slow tier"),
})


def test_each_kind_of_change_is_listed_once():
    changes = claim_changes(OLD, NEW)
    assert [line.split(":")[0] for line in changes["newly-deviating"]] == ["a.breaks", "a.worse"]
    assert changes["newly-holding"] == ["a.heals: deviates-known -> holds"]
    assert changes["errors"] == ["a.crashes: holds -> error (worker crashed)"]
    assert changes["reason-changed"] == ["a.reworded (deviates-known): 'old words' -> 'new words'"]
    assert changes["added"] == ["a.new: not-run"] and changes["removed"] == ["a.dropped: was holds"]
    assert not any("a.steady" in line for lines in changes.values() for line in lines)


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def test_exit_status_gates_on_new_deviations_and_errors(tmp_path, capsys):
    old, new = write(tmp_path, "old.json", OLD), write(tmp_path, "new.json", NEW)
    assert main([old, new]) == 1
    assert "newly-deviating (2)" in capsys.readouterr().out
    assert main([old, old]) == 0
    assert "no changes" in capsys.readouterr().out
    assert main([old, new, "--fail-on", "newly-holding"]) == 1
    assert main([old, new, "--fail-on", ""]) == 0
    with pytest.raises(SystemExit):
        main([old, new, "--fail-on", "nonsense"])
