"""Known deviations: the catalogue with conditions is validated; the expectations of an environment
are computed from it; a listed claim's test must fail the known way (exception, message, observed
value), and failing another way or holding is reported, not hidden."""
from __future__ import annotations

import json
import re

import pytest

import ci.environment as environment
from ci.conditions import ConditionError, facts_from_versions, parse_condition
from ci.expectations import (EXPECTATIONS_DIR, ExpectationsError, expectations_for, load_catalogue, load_causes,
                             matrix_problems)
from ci.matrix_config import load_environments, matrix_facts
from fixtures.catalogue import load_catalogue as load_claims
from spec.meta.inner_sessions import (CLAIMS, EXPECTATIONS, QUIET, REPORT, deviations_toml, entry, use_plugins,
                                      write_claims, write_deviations)

pytestmark = pytest.mark.meta

KNOWN = {"meta.one", "meta.two"}
ENVIRONMENT_NAME = re.compile(r"^tf(-cpu|-nightly)?\d+\.\d+-(keras3|keras2|tf-keras)-np\d+$")
ONE = ('[[deviation]]\nclaim = "meta.one"\ncause = "handbook"\nreason = "it differs"\n'
       'source = "https://example.org"\nfails = { raises = "TypeError", match = "no dtype" }\n')
FACTS_K3 = facts_from_versions({"tensorflow": "2.21.0", "keras": "3.12.0", "numpy": "2.1.0"}, legacy_keras=False,
                               python="3.11.7")
FACTS_K2 = facts_from_versions({"tensorflow": "2.15.1", "keras": "2.15.0", "numpy": "1.26.4"}, legacy_keras=False,
                               python="3.11.7")


def catalogue_file(tmp_path, text: str):
    path = tmp_path / "ch9.toml"
    path.write_text(text, encoding="utf-8")
    return path


# -- conditions ---------------------------------------------------------------------------------

@pytest.mark.parametrize("condition, k3, k2", [
    ({"keras": ">=3"}, True, False),
    ({"keras-flavour": "keras3"}, True, False),
    ({"keras-flavour": ["keras2", "tf-keras"]}, False, True),
    ({"numpy": ">=2", "tensorflow": ">=2.16"}, True, False),
    ([{"numpy": ">=2"}, {"tensorflow": "<2.16"}], True, True),
    ({"gym": ">=0"}, False, False),  # not installed: false
    ({"python": ">=3.11"}, True, True),
    ({"platform": "win32"}, False, False),
])
def test_conditions_hold_as_written(condition, k3, k2):
    parsed = parse_condition(condition, "here")
    assert (parsed.holds(FACTS_K3), parsed.holds(FACTS_K2)) == (k3, k2), str(parsed)


def test_a_prerelease_satisfies_a_version_range():
    nightly = facts_from_versions({"tf-nightly": "2.22.0.dev20261130", "keras-nightly": "3.16.0.dev2026113003"},
                                  legacy_keras=False, python="3.11")
    assert nightly["tensorflow-distribution"] == "tf-nightly" and nightly["keras-flavour"] == "keras3"
    assert parse_condition({"tensorflow": ">=2.16"}, "here").holds(nightly)


@pytest.mark.parametrize("condition, problem", [
    ({"kears": ">=3"}, "unknown fact 'kears'"),
    ({"numpy": "2"}, "not a valid version specifier"),
    ({"numpy": 2}, "takes a version specifier string"),
    ({"keras-flavour": []}, "takes a name or a list of names"),
    ([], "non-empty table"),
    ({}, "non-empty table"),
])
def test_bad_conditions_are_refused(condition, problem):
    with pytest.raises(ConditionError, match=re.escape(problem)):
        parse_condition(condition, "here")


# -- the catalogue --------------------------------------------------------------------------------

def test_a_valid_catalogue_loads(tmp_path):
    (deviation,) = load_catalogue(KNOWN, catalogue_file(tmp_path, ONE))
    assert (deviation.claim, deviation.cause, deviation.reason, deviation.file) == (
        "meta.one", "handbook", "it differs", "ch9.toml")
    assert deviation.fails[0].describe() == "TypeError matching /no dtype/"


@pytest.mark.parametrize("text, problem", [
    pytest.param(ONE.replace("meta.one", "meta.unknown"), "not in the catalogue", id="unknown-claim"),
    pytest.param(ONE.replace('reason = "it differs"\n', ""), "'reason' is required", id="missing-reason"),
    pytest.param(ONE.replace('source = "https://example.org"\n', ""), "'source' is required", id="missing-source"),
    pytest.param(ONE.replace('cause = "handbook"\n', ""), "'cause' is required", id="missing-cause"),
    pytest.param(ONE.replace('"handbook"', '"keras4"'), "unknown cause 'keras4'", id="unknown-cause"),
    pytest.param(ONE.replace('"it differs"', '"   "'), "'reason' is required", id="blank-reason"),
    pytest.param(ONE.replace('fails = { raises = "TypeError", match = "no dtype" }\n', ""), "`fails` is required",
                 id="no-signature"),
    pytest.param(ONE.replace('raises = "TypeError", match = "no dtype"', 'match = "x"'), "needs `raises`",
                 id="match-without-raises"),
    pytest.param(ONE.replace('match = "no dtype"', 'match = "("'), "not a regular expression", id="bad-regex"),
    pytest.param(ONE.replace('raises = "TypeError"', 'raises = "Type Error"'), "exception type name",
                 id="bad-type-name"),
    pytest.param(ONE.replace('match = "no dtype"', 'observed = { name = "x" }'), "exactly one of",
                 id="observed-without-comparison"),
    pytest.param(ONE.replace('match = "no dtype"', 'observed = { name = "x", equals = 1, below = 2 }'),
                 "exactly one of", id="observed-two-comparisons"),
    pytest.param(ONE.replace('match = "no dtype"', 'observed = { name = "x", approx = 1.0 }'), "needs a tolerance",
                 id="approx-without-tolerance"),
    pytest.param(ONE.replace('match = "no dtype"', 'observed = { name = "x", below = "a" }'), "takes a number",
                 id="below-a-string"),
    pytest.param(ONE + 'ticket = "T-1"\n', "unknown keys ['ticket']", id="unknown-key"),
    pytest.param(ONE + 'when = { kears = ">=3" }\n', "unknown fact 'kears'", id="unknown-fact"),
    pytest.param(ONE + 'when = { keras = "3" }\n', "not a valid version specifier", id="bad-specifier"),
    pytest.param("[[deviation]\nclaim = 1\n", "not valid TOML", id="not-toml"),
    pytest.param(ONE.replace('claim = "meta.one"', 'claims = []'), "non-empty list", id="claims-empty"),
    pytest.param(ONE.replace('claim = "meta.one"', 'claims = ["meta.one", "meta.one"]'), "distinct",
                 id="claims-repeated"),
    pytest.param(ONE.replace('claim = "meta.one"', 'claims = ["meta.one", "meta.nine"]'),
                 "meta.nine is not in the catalogue", id="claims-unknown"),
    pytest.param(ONE.replace('claim = "meta.one"', 'claim = "meta.one"\nclaims = ["meta.two"]'), "either 'claim'",
                 id="claim-and-claims"),
    pytest.param(ONE.replace('claim = "meta.one"\n', ''), "either 'claim'", id="no-claim"),
])
def test_a_malformed_catalogue_is_refused_with_the_reason(tmp_path, text, problem):
    with pytest.raises(ExpectationsError) as excinfo:
        load_catalogue(KNOWN, catalogue_file(tmp_path, text))
    assert problem in str(excinfo.value)
    assert "ch9.toml" in str(excinfo.value)


def test_one_entry_may_name_several_claims_that_deviate_alike(tmp_path):
    text = ONE.replace('claim = "meta.one"', 'claims = ["meta.one", "meta.two"]')
    one, two = load_catalogue(KNOWN, catalogue_file(tmp_path, text))
    assert (one.claim, two.claim) == ("meta.one", "meta.two")
    assert (one.reason, one.fails, one.when) == (two.reason, two.fails, two.when)


def test_signatures_may_differ_per_condition(tmp_path):
    text = ONE.replace('fails = { raises = "TypeError", match = "no dtype" }\n', "") + (
        '[[deviation.fails]]\nwhen = { keras = ">=3" }\nraises = "TypeError"\n'
        '[[deviation.fails]]\nobserved = { name = "printed", matches = "^0\\\\.97" }\n')
    deviations = load_catalogue(KNOWN, catalogue_file(tmp_path, text))
    assert expectations_for(deviations, FACTS_K3)["meta.one"].signature.describe() == "TypeError"
    assert expectations_for(deviations, FACTS_K2)["meta.one"].signature.describe() == \
        "AssertionError; printed matches '^0\\\\.97'"


def test_the_expectations_of_an_environment_follow_the_conditions(tmp_path):
    text = ONE + 'when = { keras = ">=3" }\n' + ONE.replace("meta.one", "meta.two") + 'when = { numpy = "<2" }\n'
    deviations = load_catalogue(KNOWN, catalogue_file(tmp_path, text))
    assert set(expectations_for(deviations, FACTS_K3)) == {"meta.one"}
    assert set(expectations_for(deviations, FACTS_K2)) == {"meta.two"}


def test_two_deviations_of_one_claim_may_not_both_apply(tmp_path):
    deviations = load_catalogue(KNOWN, catalogue_file(tmp_path, ONE + "\n" + ONE))
    with pytest.raises(ExpectationsError, match="two deviations apply here"):
        expectations_for(deviations, FACTS_K3)


def test_a_deviation_whose_signatures_all_miss_an_environment_is_refused(tmp_path):
    text = ONE.replace('fails = { raises = "TypeError", match = "no dtype" }',
                       'fails = [{ when = { keras = ">=3" }, raises = "TypeError" }]')
    deviations = load_catalogue(KNOWN, catalogue_file(tmp_path, text))
    with pytest.raises(ExpectationsError, match="none of its `fails` conditions"):
        expectations_for(deviations, FACTS_K2)


def test_a_condition_no_matrix_environment_satisfies_is_a_problem(tmp_path):
    text = ONE + 'when = { numpy = ">=2", tensorflow = "<2.16" }\n'
    deviations = load_catalogue(KNOWN, catalogue_file(tmp_path, text))
    problems = matrix_problems(deviations, {"k3": FACTS_K3, "k2": FACTS_K2})
    assert len(problems) == 1 and "holds in no environment of the matrix" in problems[0]


def test_the_real_catalogue_loads_and_fits_the_matrix():
    claims = load_claims()
    deviations = load_catalogue(claims)
    assert deviations, f"no deviation in {EXPECTATIONS_DIR}"
    for deviation in deviations:
        assert not claims[deviation.claim].untestable, f"{deviation.claim} is untestable, nothing can deviate"
    assert matrix_problems(deviations, matrix_facts()) == []
    assert {d.cause for d in deviations} <= set(load_causes())


def test_every_locked_matrix_environment_has_a_lock_and_its_facts_name_it():
    for env in load_environments():
        if not env.locked:
            continue
        facts = env.facts()
        assert facts is not None, f"{env.name}: no lock {env.lock} (python -m ci.lock --envs={env.name})"
        assert environment.name_from_facts(facts) == env.name, (env.name, facts)


# -- the environment's name and facts -------------------------------------------------------------

def test_environment_name_has_the_documented_form():
    assert ENVIRONMENT_NAME.match(environment.environment_name()), environment.environment_name()


def versions(**installed):
    table = {k.replace("_", "-"): v for k, v in installed.items()}
    return lambda dist: table.get(dist.replace("_", "-"))


@pytest.mark.parametrize(
    "legacy, installed, expected",
    [
        (None, {"keras": "3.10.0"}, ("keras3", "3.10.0")),
        ("1", {"keras": "3.10.0"}, ("keras3", "3.10.0")),  # asked for legacy, tf-keras missing
        ("1", {"keras": "3.10.0", "tf_keras": "2.21.0"}, ("tf-keras", "2.21.0")),
        ("true", {"keras": "3.10.0", "tf_keras": "2.21.0"}, ("tf-keras", "2.21.0")),
        ("0", {"keras": "3.10.0", "tf_keras": "2.21.0"}, ("keras3", "3.10.0")),
        (None, {"keras": "2.15.0"}, ("keras2", "2.15.0")),
        (None, {"keras_nightly": "3.16.0.dev2026113003"}, ("keras3", "3.16.0.dev2026113003")),
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
    monkeypatch.delenv("TF_USE_LEGACY_KERAS")
    monkeypatch.setattr(environment, "_version", versions(tensorflow_cpu="2.21.0", keras="3.1.0", numpy="2.0.0"))
    assert environment.environment_name() == "tf-cpu2.21-keras3-np2"


# -- applied to tests, in inner sessions -----------------------------------------------------------

TESTS = """
import pytest
from hypothesis import given, strategies as st


@pytest.mark.claim("meta.holds")
def test_holds():
    assert 1 + 1 == 2


@pytest.mark.claim("meta.raises")
def test_raises():
    raise TypeError("get_initial_state() got an unexpected keyword argument 'dtype'")


@pytest.mark.claim("meta.value")
def test_value(measured):
    printed = "0.9591617 0.044228815"
    measured("printed", printed)
    assert printed == "0.9591714862483188 0.04422438431531203", f"prints {printed}"


@pytest.mark.claim("meta.explained")
def test_explained():
    try:
        raise TypeError("'list' object is not callable")
    except TypeError as exc:
        pytest.fail(f"model.variables() raised {exc}")


@pytest.mark.claim("meta.property")
@given(st.integers())
def test_property(n):
    assert n == n
"""
CLAIM_IDS = ["meta.holds", "meta.raises", "meta.value", "meta.explained", "meta.property"]
RAISES = '{ raises = "TypeError", match = "unexpected keyword argument .dtype." }'
PRINTED = '{ observed = { name = "printed", equals = "0.9591617 0.044228815" } }'


@pytest.fixture
def inner(pytester: pytest.Pytester):
    use_plugins(pytester, CLAIMS, EXPECTATIONS, REPORT, "fixtures.measured_plugin")
    claims = write_claims(pytester, CLAIM_IDS)
    pytester.makepyfile(test_claims=TESTS)

    def run(deviations: dict, *args: str):
        path = write_deviations(pytester, deviations)
        report = pytester.path / "report.json"
        result = pytester.runpytest_inprocess(*QUIET, f"--claims-file={claims}", f"--expectations={path}", "-rfxX",
                                              f"--conformance-report={report}", *args)
        return result, (json.loads(report.read_text()) if report.is_file() else None)

    return run


def test_a_known_exception_with_its_message_is_deviates_known(inner):
    result, report = inner({"meta.raises": {"reason": "Keras 3 dropped dtype", "fails": RAISES}}, "-k", "raises")
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(xfailed=1)
    claim = entry(report, "meta.raises")
    assert claim["status"] == "deviates-known" and claim["reason"] == "Keras 3 dropped dtype"
    assert claim["expected_failure"] == "TypeError matching /unexpected keyword argument .dtype./"
    assert claim["actual_failures"] == ["TypeError: get_initial_state() got an unexpected keyword argument 'dtype'"]


def test_the_exception_a_test_explains_is_the_one_matched(inner):
    fails = '{ raises = "TypeError", match = "not callable" }'
    result, report = inner({"meta.explained": {"reason": "a property", "fails": fails}}, "-k", "explained")
    result.assert_outcomes(xfailed=1)
    assert entry(report, "meta.explained")["actual_failures"] == [
        "Failed: model.variables() raised 'list' object is not callable "
        "(while handling TypeError: 'list' object is not callable)"]


def test_another_exception_type_is_deviates_new_with_both_failures_shown(inner):
    fails = '{ raises = "AttributeError", match = "dtype" }'
    result, report = inner({"meta.raises": {"reason": "known", "fails": fails}}, "-k", "raises")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*known deviation failed another way*",
                                 "*is known to fail with: AttributeError matching /dtype/*",
                                 "*it failed with: TypeError: get_initial_state()*"])
    claim = entry(report, "meta.raises")
    assert claim["status"] == "deviates-new"
    assert "known to fail with AttributeError" in claim["reason"] and "but failed with TypeError" in claim["reason"]


def test_another_message_is_deviates_new(inner):
    fails = '{ raises = "TypeError", match = "missing 1 required positional argument" }'
    result, report = inner({"meta.raises": {"reason": "known", "fails": fails}}, "-k", "raises")
    result.assert_outcomes(failed=1)
    assert entry(report, "meta.raises")["status"] == "deviates-new"
    assert "does not match" in entry(report, "meta.raises")["reason"]


def test_a_known_observed_value_is_deviates_known(inner):
    result, report = inner({"meta.value": {"reason": "NumPy 2", "fails": PRINTED}}, "-k", "value")
    assert result.ret == pytest.ExitCode.OK
    assert entry(report, "meta.value")["status"] == "deviates-known"


def test_another_observed_value_is_deviates_new(inner):
    fails = '{ observed = { name = "printed", equals = "0.9591616 0.044228815" } }'
    result, report = inner({"meta.value": {"reason": "NumPy 2", "fails": fails}}, "-k", "value")
    result.assert_outcomes(failed=1)
    claim = entry(report, "meta.value")
    assert claim["status"] == "deviates-new"
    assert "observed printed = '0.9591617 0.044228815'" in claim["reason"]


def test_a_value_signature_needs_the_measured_value(inner):
    fails = '{ observed = { name = "not-recorded", matches = "." } }'
    result, report = inner({"meta.value": {"reason": "NumPy 2", "fails": fails}}, "-k", "value")
    result.assert_outcomes(failed=1)
    assert "recorded no measured value 'not-recorded'" in entry(report, "meta.value")["reason"]


def test_a_listed_claim_that_holds_fails_the_run_as_a_stale_expectation(inner):
    result, report = inner({"meta.holds": "thought to differ"}, "-k", "holds")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*_ test_holds _*", "[[]XPASS(strict)[]] known deviation of meta.holds: thought to differ*"])
    claim = entry(report, "meta.holds")
    assert claim["status"] == "holds" and claim.get("stale_expectation") is True


def test_an_unlisted_deviation_fails(inner):
    result, report = inner({}, "-k", "raises")
    result.assert_outcomes(failed=1)
    assert entry(report, "meta.raises")["status"] == "deviates-new"


def test_a_deviation_whose_condition_does_not_hold_here_is_not_applied(inner):
    deviation = {"reason": "only under NumPy 1", "fails": RAISES, "when": '{ numpy = "<2" }'}
    result, report = inner({"meta.raises": deviation}, "-k", "raises", "--facts=numpy=2.4.6")
    result.assert_outcomes(failed=1)
    assert entry(report, "meta.raises")["status"] == "deviates-new"
    result, report = inner({"meta.raises": deviation}, "-k", "raises", "--facts=numpy=1.26.4")
    result.assert_outcomes(xfailed=1)
    assert report["environment"]["facts"]["numpy"] == "1.26.4"


def test_a_listed_claim_with_a_hypothesis_test_is_a_usage_error(inner):
    result, _ = inner({"meta.property": "lucky draws would xpass"})
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    text = result.stderr.str()
    assert "test_claims.py::test_property" in text and "hypothesis" in text


@pytest.mark.parametrize("deviation, problem", [
    ({"reason": "?", "when": '{ numpy = "<0.1" }'}, "holds in no environment of the matrix"),
    ({"reason": "?", "when": '{ kears = ">=3" }'}, "unknown fact 'kears'"),
    ({"reason": "?", "when": '{ keras = "three" }'}, "not a valid version specifier"),
])
def test_a_condition_outside_the_matrix_is_a_usage_error(inner, deviation, problem):
    result, _ = inner({"meta.raises": deviation})
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert problem in result.stderr.str()


def test_a_deviation_of_an_unknown_claim_is_a_usage_error(inner):
    result, _ = inner({"meta.not-catalogued": "?"})
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "not in the catalogue" in result.stderr.str()


def test_a_named_catalogue_must_exist(pytester):
    use_plugins(pytester, CLAIMS, EXPECTATIONS)
    claims = write_claims(pytester, CLAIM_IDS)
    result = pytester.runpytest_inprocess(*QUIET, f"--claims-file={claims}", f"--expectations={pytester.path / 'no'}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "no such file or folder" in result.stderr.str()


def test_a_bad_facts_option_is_a_usage_error(pytester):
    use_plugins(pytester, CLAIMS, EXPECTATIONS)
    claims = write_claims(pytester, CLAIM_IDS)
    result = pytester.runpytest_inprocess(*QUIET, f"--claims-file={claims}", "--facts=kears=3")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--facts: 'kears=3'" in result.stderr.str()


def test_deviations_toml_helper_writes_what_the_loader_reads(tmp_path):
    path = catalogue_file(tmp_path, deviations_toml({"meta.one": "x", "meta.two": {"reason": "y", "fails": RAISES}}))
    assert [d.fails[0].raises for d in load_catalogue(KNOWN, path)] == ["AssertionError", "TypeError"]
