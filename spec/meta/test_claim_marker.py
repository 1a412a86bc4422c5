"""The `claim` marker is checked against the catalogue at collection (inner in-process sessions)."""
from __future__ import annotations

import pytest

from spec.meta.inner_sessions import CLAIMS, QUIET, use_plugins, write_claims

pytestmark = pytest.mark.meta


@pytest.fixture
def inner(pytester: pytest.Pytester):
    use_plugins(pytester, CLAIMS)
    claims = write_claims(pytester, ["meta.known", "meta.unreachable"], {"meta.unreachable": "needs a quantum computer"})

    def run(*args: str) -> pytest.RunResult:
        return pytester.runpytest_inprocess(*QUIET, f"--claims-file={claims}", *args)

    return run


def assert_usage_error(result, *fragments: str) -> None:
    """The inner run stopped with a usage error whose text names every fragment."""
    __tracebackhide__ = True
    assert result.ret == pytest.ExitCode.USAGE_ERROR, f"exit {result.ret}, expected a usage error"
    text = result.stdout.str() + result.stderr.str()
    missing = [fragment for fragment in fragments if fragment not in text]
    assert not missing, f"the usage error does not mention {missing}:\n{text}"


def test_a_known_claim_collects_and_runs(pytester, inner):
    pytester.makepyfile(
        test_known="import pytest\n@pytest.mark.claim('meta.known')\ndef test_ok():\n    assert True\n"
    )
    result = inner()
    result.assert_outcomes(passed=1)


def test_an_unknown_claim_id_stops_the_run_naming_test_and_id(pytester, inner):
    pytester.makepyfile(
        test_unknown="import pytest\n@pytest.mark.claim('meta.no-such-claim')\ndef test_typo():\n    pass\n"
    )
    assert_usage_error(inner(), "test_unknown.py::test_typo", "'meta.no-such-claim'", "unknown claim id")


def test_a_spec_test_without_a_claim_is_a_usage_error(pytester, inner):
    pytester.mkdir("spec")
    pytester.makepyfile(**{"spec/test_unclaimed": "def test_nothing_claimed():\n    pass\n"})
    assert_usage_error(inner(), "spec/test_unclaimed.py::test_nothing_claimed", "without @pytest.mark.claim")


def test_tests_outside_spec_and_under_spec_meta_need_no_claim(pytester, inner):
    pytester.mkdir("spec")
    pytester.mkdir("spec/meta")
    pytester.makepyfile(
        **{
            "test_elsewhere": "def test_free():\n    pass\n",
            "spec/meta/test_harness_unclaimed": "def test_harness():\n    pass\n",
            "spec/test_meta_marked": "import pytest\n@pytest.mark.meta\ndef test_marked_meta():\n    pass\n",
        }
    )
    result = inner()
    result.assert_outcomes(passed=3)


def test_a_test_of_an_untestable_claim_is_an_error(pytester, inner):
    pytester.makepyfile(
        test_untestable="import pytest\n@pytest.mark.claim('meta.unreachable')\ndef test_anyway():\n    pass\n"
    )
    assert_usage_error(inner(), "test_untestable.py::test_anyway", "'meta.unreachable' is catalogued as untestable")


def test_a_malformed_catalogue_is_a_usage_error(pytester):
    use_plugins(pytester, CLAIMS)
    bad = pytester.path / "bad.toml"
    bad.write_text('[[claim]]\nid = "NoDots"\nsection = "s"\nstatement = "s"\nkind = "exact"\n')
    pytester.makepyfile(test_any="def test_any():\n    pass\n")
    result = pytester.runpytest_inprocess(*QUIET, f"--claims-file={bad}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "cannot load the claim catalogue" in result.stderr.str()
