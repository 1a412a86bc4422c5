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
    assert list(skipped) == ["test_slow"] and "--tier=slow" in skipped["test_slow"]


def test_the_slow_tier_runs_only_slow_tests(inner):
    passed, skipped = inner("--tier=slow")
    assert passed == ["test_slow"]
    assert list(skipped) == ["test_fast"] and "--tier=all" in skipped["test_fast"]


def test_all_runs_both(inner):
    assert inner("--tier=all") == (["test_fast", "test_slow"], {})


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
