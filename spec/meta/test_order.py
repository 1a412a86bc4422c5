"""--order-seed shuffles the test order reproducibly; ci.suite_runs compares verdicts across runs."""
from __future__ import annotations

import pytest

from ci.suite_runs import SuiteRun, verdict_differences
from spec.meta.inner_sessions import QUIET, use_plugins

pytestmark = pytest.mark.meta

MANY = "\n".join(f"def test_{n:02d}():\n    pass\n" for n in range(20))


def collected_order(pytester: pytest.Pytester, *args: str) -> list[str]:
    """The order the session will run in (after every collection_modifyitems hook)."""
    reprec = pytester.inline_run(*QUIET, "--collect-only", *args)
    return [item.name for item in reprec.getcall("pytest_collection_finish").session.items]


def test_order_seed_shuffles_reproducibly(pytester: pytest.Pytester):
    use_plugins(pytester, "fixtures.order_plugin")
    pytester.makepyfile(test_many=MANY)
    file_order = collected_order(pytester)
    assert file_order == [f"test_{n:02d}" for n in range(20)]
    first, again = collected_order(pytester, "--order-seed=1"), collected_order(pytester, "--order-seed=1")
    other = collected_order(pytester, "--order-seed=2")
    assert first == again, "the same seed must give the same order (xdist workers rely on it)"
    assert first != file_order and other != first
    assert sorted(first) == file_order


def run_with(label: str, verdicts: dict[str, tuple[str, list[str]]]) -> SuiteRun:
    claims = [{"id": cid, "status": status, "tests": [{"outcome": o} for o in outcomes]}
              for cid, (status, outcomes) in verdicts.items()]
    return SuiteRun(label, 0, 1.0, {"claims": claims}, "")


def test_identical_verdicts_show_no_difference():
    runs = [run_with(label, {"a.b": ("holds", ["passed", "passed"])}) for label in ("x", "y", "z")]
    assert verdict_differences(runs) == []


def test_a_changed_status_or_outcome_is_reported_per_claim():
    runs = [
        run_with("file order", {"a.b": ("holds", ["passed"]), "c.d": ("holds", ["passed", "skipped"])}),
        run_with("seed 1", {"a.b": ("deviates-new", ["failed"]), "c.d": ("holds", ["passed", "skipped"])}),
        run_with("seed 2", {"a.b": ("holds", ["passed"]), "c.d": ("holds", ["skipped", "passed"])}),
    ]
    differences = verdict_differences(runs)
    assert len(differences) == 1 and differences[0].startswith("a.b: ")
    assert "seed 1=('deviates-new', ('failed',))" in differences[0]
