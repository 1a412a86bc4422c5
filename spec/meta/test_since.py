"""Since when: the first release where a deviation appears and the last where its claim holds, from
a matrix run, checked against the catalogue's conditions."""
from __future__ import annotations

import pytest

from ci.conditions import facts_from_versions
from ci.expectations import load_catalogue
from ci.since import since_problems, since_rows

pytestmark = pytest.mark.meta

CATALOGUE = """
[[deviation]]
claim = "meta.one"
cause = "keras3"
when = { keras = ">=3" }
reason = "Keras 3 differs"
source = "https://example.org/keras3"
fails = { raises = "TypeError" }
"""


def environment(name: str, release: str, keras: str) -> dict:
    facts = facts_from_versions({"tensorflow": f"{release}.0", "keras": keras, "numpy": "1.26.4"}, legacy_keras=False,
                                python="3.11")
    return {"name": name, "release": release, "fingerprint": {"facts": facts}}


def matrix(statuses: dict[str, str]) -> dict:
    envs = [environment("tf2.15-keras2-np1", "2.15", "2.15.0"), environment("tf2.16-keras3-np1", "2.16", "3.3.3"),
            environment("tf2.17-keras3-np1", "2.17", "3.4.1")]
    return {"environments": envs, "claims": [{"id": "meta.one", "section": "meta / s", "results": {
        name: {"status": status} for name, status in statuses.items()}}]}


@pytest.fixture
def deviations(tmp_path):
    path = tmp_path / "ch9.toml"
    path.write_text(CATALOGUE, encoding="utf-8")
    return load_catalogue({"meta.one"}, path)


def test_first_deviating_and_last_holding_release(deviations):
    m = matrix({"tf2.15-keras2-np1": "holds", "tf2.16-keras3-np1": "deviates-known", "tf2.17-keras3-np1": "deviates-known"})
    (row,) = since_rows(m, deviations)
    assert (row["first_deviating"], row["last_holding"]) == ("2.16", "2.15")
    assert [c["status"] for c in row["cells"]["2.16"]] == ["deviates-known"]
    assert since_problems(m, deviations) == []


def test_a_claim_holding_where_the_catalogue_says_it_deviates_is_named_with_its_release(deviations):
    m = matrix({"tf2.15-keras2-np1": "holds", "tf2.16-keras3-np1": "holds", "tf2.17-keras3-np1": "deviates-known"})
    (problem,) = since_problems(m, deviations)
    assert "meta.one" in problem and "deviates in 2.16 (tf2.16-keras3-np1), but it holds there" in problem


def test_a_deviation_where_no_condition_applies_is_named(deviations):
    m = matrix({"tf2.15-keras2-np1": "deviates-new", "tf2.16-keras3-np1": "deviates-known",
                "tf2.17-keras3-np1": "deviates-known"})
    (problem,) = since_problems(m, deviations)
    assert "deviates in 2.15 (tf2.15-keras2-np1), where no deviation of the catalogue applies" in problem


def test_not_run_cells_neither_confirm_nor_contradict(deviations):
    m = matrix({"tf2.15-keras2-np1": "not-run", "tf2.16-keras3-np1": "not-run", "tf2.17-keras3-np1": "deviates-known"})
    (row,) = since_rows(m, deviations)
    assert (row["first_deviating"], row["last_holding"], row["problems"]) == ("2.17", None, [])
