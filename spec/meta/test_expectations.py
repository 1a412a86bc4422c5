"""Known deviations: the expectations files are validated, named after the environment, and run
as strict xfails (a deviation that stops deviating fails the run)."""
from __future__ import annotations

import re
import sys

import pytest

import ci.environment as environment
from ci.expectations import EXPECTATIONS_DIR, Deviation, ExpectationsError, expectations_path, load_expectations
from fixtures.catalogue import load_catalogue
from spec.meta.inner_sessions import CLAIMS, EXPECTATIONS, QUIET, deviations_toml, use_plugins, write_claims, write_deviations

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

pytestmark = pytest.mark.meta

KNOWN = {"meta.one", "meta.two"}
ENVIRONMENT_NAME = re.compile(r"^tf\d+\.\d+-(keras3|keras2|tf-keras)-np\d+$")
ONE = '[[deviation]]\nclaim = "meta.one"\nreason = "it differs"\nsource = "https://example.org"\n'


def test_a_valid_file_loads(tmp_path):
    path = tmp_path / "env.toml"
    path.write_text('[environment]\nname = "env"\n\n' + ONE + deviations_toml({"meta.two": "also"}))
    deviations = load_expectations(path, KNOWN)
    assert deviations["meta.one"] == Deviation("meta.one", "it differs", "https://example.org")
    assert deviations["meta.two"].cause == "meta"


def test_a_missing_file_means_no_deviations(tmp_path):
    assert load_expectations(tmp_path / "absent.toml", KNOWN) == {}


@pytest.mark.parametrize(
    "text, problem",
    [
        pytest.param(ONE.replace("meta.one", "meta.unknown"), "not in the catalogue", id="unknown-claim"),
        pytest.param(ONE.replace('reason = "it differs"\n', ""), "'reason' is required", id="missing-reason"),
        pytest.param(ONE.replace('source = "https://example.org"\n', ""), "'source' is required", id="missing-source"),
        pytest.param(ONE.replace('"it differs"', '"   "'), "'reason' is required", id="blank-reason"),
        pytest.param(ONE + "\n" + ONE, "listed twice", id="duplicate"),
        pytest.param(ONE + 'ticket = "T-1"\n', "unknown keys ['ticket']", id="unknown-key"),
    ],
)
def test_a_malformed_file_is_refused_with_the_reason(tmp_path, text, problem):
    path = tmp_path / "env.toml"
    path.write_text(text)
    with pytest.raises(ExpectationsError) as excinfo:
        load_expectations(path, KNOWN)
    assert problem in str(excinfo.value)
    assert "env.toml" in str(excinfo.value)


def test_the_real_expectations_files_load_against_the_real_catalogue():
    catalogue = load_catalogue()
    files = sorted(EXPECTATIONS_DIR.glob("*.toml"))
    assert files, f"no expectations files in {EXPECTATIONS_DIR}"
    for path in files:
        assert ENVIRONMENT_NAME.match(path.stem), f"{path.name} is not named after an environment"
        deviations = load_expectations(path, catalogue)
        assert deviations, f"{path.name} lists no deviation"
        for claim_id in deviations:
            assert not catalogue[claim_id].untestable, f"{path.name}: {claim_id} is untestable, nothing can deviate"
        with path.open("rb") as fh:
            declared = tomllib.load(fh).get("environment", {}).get("name", path.stem)
        assert declared == path.stem, f"{path.name} declares environment {declared!r}"


def test_environment_name_has_the_documented_form():
    name = environment.environment_name()
    assert ENVIRONMENT_NAME.match(name), name
    assert expectations_path(name) == EXPECTATIONS_DIR / f"{name}.toml"


def versions(**installed):
    table = {k.replace("_", "-"): v for k, v in installed.items()}
    return lambda dist: table.get(dist)


@pytest.mark.parametrize(
    "legacy, installed, expected",
    [
        (None, {"keras": "3.10.0"}, ("keras3", "3.10.0")),
        ("1", {"keras": "3.10.0"}, ("keras3", "3.10.0")),  # asked for legacy, tf-keras missing
        ("1", {"keras": "3.10.0", "tf_keras": "2.21.0"}, ("tf-keras", "2.21.0")),
        ("true", {"keras": "3.10.0", "tf_keras": "2.21.0"}, ("tf-keras", "2.21.0")),
        ("0", {"keras": "3.10.0", "tf_keras": "2.21.0"}, ("keras3", "3.10.0")),
        (None, {"keras": "2.15.0"}, ("keras2", "2.15.0")),
        (None, {}, ("keras2", None)),
    ],
)
def test_keras_flavour(monkeypatch, legacy, installed, expected):
    if legacy is None:
        monkeypatch.delenv("TF_USE_LEGACY_KERAS", raising=False)
    else:
        monkeypatch.setenv("TF_USE_LEGACY_KERAS", legacy)
    monkeypatch.setattr(environment, "_version", versions(**installed))
    assert environment.keras_flavour() == expected


def test_environment_name_from_faked_versions(monkeypatch):
    monkeypatch.setenv("TF_USE_LEGACY_KERAS", "1")
    monkeypatch.setattr(
        environment, "_version", versions(tensorflow="2.15.1", keras="2.15.0", tf_keras="2.15.1", numpy="1.26.4")
    )
    assert environment.environment_name() == "tf2.15-tf-keras-np1"
    monkeypatch.setattr(environment, "_version", versions(tensorflow_cpu="2.21.0", keras="3.1.0", numpy="2.0.0"))
    assert environment.environment_name() == "tf2.21-keras3-np2"


# -- applied as strict xfails, in inner sessions --------------------------------------------

TESTS = """
import pytest
from hypothesis import given, strategies as st


@pytest.mark.claim("meta.holds")
def test_holds():
    assert 1 + 1 == 2


@pytest.mark.claim("meta.deviates")
def test_deviates():
    assert 0.1 + 0.2 == 0.3, "floats"


@pytest.mark.claim("meta.property")
@given(st.integers())
def test_property(n):
    assert n == n
"""


@pytest.fixture
def inner(pytester: pytest.Pytester):
    use_plugins(pytester, CLAIMS, EXPECTATIONS)
    claims = write_claims(pytester, ["meta.holds", "meta.deviates", "meta.property"])
    pytester.makepyfile(test_claims=TESTS)

    def run(deviations: dict[str, str], *args: str) -> pytest.RunResult:
        path = write_deviations(pytester, deviations)
        return pytester.runpytest_inprocess(*QUIET, f"--claims-file={claims}", f"--expectations={path}", "-rfxX", *args)

    return run


def test_a_listed_claim_that_holds_fails_the_run_as_xpass_strict(inner):
    result = inner({"meta.holds": "thought to differ"}, "-k", "holds")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*_ test_holds _*", "[[]XPASS(strict)[]] known deviation of meta.holds: thought to differ*"])


def test_a_listed_claim_that_deviates_is_an_xfail(inner):
    result = inner({"meta.deviates": "floats are binary"}, "-k", "deviates")
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(xfailed=1)
    result.stdout.fnmatch_lines(["*XFAIL*test_deviates*known deviation of meta.deviates: floats are binary*"])


def test_an_unlisted_deviation_fails(inner):
    result = inner({}, "-k", "deviates")
    result.assert_outcomes(failed=1)


def test_a_listed_claim_with_a_hypothesis_test_is_a_usage_error(inner):
    result = inner({"meta.property": "lucky draws would xpass"})
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    text = result.stderr.str()
    assert "test_claims.py::test_property" in text and "hypothesis" in text


def test_a_deviation_of_an_unknown_claim_is_a_usage_error(inner):
    result = inner({"meta.not-catalogued": "?"})
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "not in the catalogue" in result.stderr.str()


def test_a_named_expectations_file_must_exist(pytester, inner):
    claims = pytester.path / "claims.toml"
    result = pytester.runpytest_inprocess(*QUIET, f"--claims-file={claims}", f"--expectations={pytester.path / 'nope.toml'}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "no such file" in result.stderr.str()


def test_an_expectations_file_that_is_not_toml_names_the_file(tmp_path):
    from ci.expectations import ExpectationsError, load_expectations

    path = tmp_path / "env.toml"
    path.write_text("[[deviation]\nclaim = 1\n")
    with pytest.raises(ExpectationsError, match=r"env\.toml: not valid TOML"):
        load_expectations(path, {"a.b"})


def test_a_file_can_extend_another_environment(tmp_path):
    from ci.expectations import ExpectationsError, load_expectations

    entry = '[[deviation]]\nclaim = "{}"\nreason = "{}"\nsource = "https://example.org/{}"\n'
    (tmp_path / "base.toml").write_text(entry.format("a.b", "base reason", 1) + entry.format("c.d", "kept", 2))
    (tmp_path / "child.toml").write_text('extends = "base"\n' + entry.format("a.b", "child reason", 3))
    merged = load_expectations(tmp_path / "child.toml", {"a.b", "c.d"})
    assert {k: v.reason for k, v in merged.items()} == {"a.b": "child reason", "c.d": "kept"}
    (tmp_path / "loop.toml").write_text('extends = "loop"\n')
    with pytest.raises(ExpectationsError, match="missing or circular"):
        load_expectations(tmp_path / "loop.toml", {"a.b"})
    (tmp_path / "orphan.toml").write_text('extends = "nowhere"\n')
    with pytest.raises(ExpectationsError, match="missing or circular"):
        load_expectations(tmp_path / "orphan.toml", {"a.b"})
