"""Tiers: the fast tier skips training claims, --tier=slow runs only them, --tier=all runs both;
a test left out says which option brings it back."""
from __future__ import annotations

import pytest

from spec.meta.inner_sessions import QUIET, ROOT, use_plugins

pytestmark = pytest.mark.meta

TESTS = """
import pytest


def test_fast():
    pass


@pytest.mark.slow
def test_slow():
    pass


@pytest.mark.book
def test_book(book_budget):
    assert book_budget.of(1000) == (10 if book_budget.smoke else 1000)
    assert book_budget.seeds(5) in (5, 2)
    book_budget.judge()
"""


@pytest.fixture
def inner(pytester: pytest.Pytester):
    use_plugins(pytester, "fixtures.tiers_plugin")
    pytester.makepyfile(test_tiered=TESTS)

    def run(*args: str):
        reprec = pytester.inline_run(*QUIET, *args)
        passed, skipped, failed = reprec.listoutcomes()
        assert not failed
        return (
            sorted(r.nodeid.split("::")[-1] for r in passed),
            {r.nodeid.split("::")[-1]: r.longrepr[2] for r in skipped},
        )

    return run


def test_the_fast_tier_is_the_default_and_skips_slow_tests(inner):
    passed, skipped = inner()
    assert passed == ["test_fast"]
    assert sorted(skipped) == ["test_book", "test_slow"] and "--tier=slow" in skipped["test_slow"]
    assert "--tier=book" in skipped["test_book"]


def test_the_slow_tier_runs_only_slow_tests(inner):
    passed, skipped = inner("--tier=slow")
    assert passed == ["test_slow"]
    assert "--tier=all" in skipped["test_fast"] and "book tier" in skipped["test_book"]


def test_all_runs_fast_and_slow_but_not_the_book_tier(inner):
    passed, skipped = inner("--tier=all")
    assert passed == ["test_fast", "test_slow"] and list(skipped) == ["test_book"]


def test_the_book_tier_runs_only_book_tests(inner):
    passed, skipped = inner("--tier=book", "--book-seeds=2")
    assert passed == ["test_book"] and sorted(skipped) == ["test_fast", "test_slow"]


def test_a_scaled_book_run_is_a_smoke_run_whose_claims_are_not_judged(inner):
    passed, skipped = inner("--tier=book", "--book-scale=0.01")
    assert passed == []
    assert "smoke run (--book-scale=0.01)" in skipped["test_book"]


@pytest.mark.parametrize("option", ["--book-scale=0", "--book-scale=1.5", "--book-seeds=0"])
def test_bad_book_options_are_usage_errors(pytester, inner, option):
    result = pytester.runpytest_inprocess(*QUIET, option)
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_an_unknown_tier_is_a_usage_error(pytester, inner):
    result = pytester.runpytest_inprocess(*QUIET, "--tier=medium")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "medium" in result.stderr.str()


# -- time limits: a hang fails its own test, and the run goes on ---------------------------------

HANGING = """
import time
import pytest


def test_hangs():
    time.sleep(60)


def test_after_the_hang():
    pass


@pytest.mark.timeout(30)
def test_with_its_own_limit():
    pass
"""


def test_a_hanging_test_fails_alone(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    use_plugins(pytester, "fixtures.tiers_plugin")
    pytester.makepyfile(test_hanging=HANGING)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    # A child process: pytest-timeout's alarm signal would collide with the outer test's own.
    result = pytester.runpytest_subprocess(*QUIET, "--fast-timeout=2")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*Timeout*", "*FAILED*test_hangs*"])


def test_the_tier_limit_is_applied_unless_the_test_sets_its_own(pytester: pytest.Pytester):
    use_plugins(pytester, "fixtures.tiers_plugin")
    pytester.makepyfile(test_hanging=HANGING.replace("time.sleep(60)", "pass"))
    items, _ = pytester.inline_genitems(*QUIET, "-p", "timeout", "--fast-timeout=7")
    limits = {item.name: item.get_closest_marker("timeout").args[0] for item in items}
    assert limits == {"test_hangs": 7.0, "test_after_the_hang": 7.0, "test_with_its_own_limit": 30}


def test_a_test_in_two_tiers_runs_in_either(pytester):
    use_plugins(pytester, "fixtures.tiers_plugin")
    pytester.makepyfile(test_both="import pytest\n\n\n@pytest.mark.slow\n@pytest.mark.book\ndef test_both():\n    pass\n")
    for tier, expected in (("slow", 1), ("book", 1), ("fast", 0)):
        passed, _, _ = pytester.inline_run(*QUIET, f"--tier={tier}").listoutcomes()
        assert len(passed) == expected, tier
