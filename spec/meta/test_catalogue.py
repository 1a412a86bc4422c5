"""The claim catalogue: spec/claims.toml loads, malformed catalogues are refused with a reason,
and every catalogued claim is either tested in spec/ or says why it cannot be."""
from __future__ import annotations

import importlib
import inspect
import sys

import pytest

from fixtures.catalogue import DEFAULT_CATALOGUE, KINDS, CatalogueError, Claim, load_catalogue
from spec.meta.inner_sessions import ROOT, claims_toml

pytestmark = pytest.mark.meta

GOOD = """
[[claim]]
id = "chapter.some-claim"
section = "chapter / section"
statement = "something checkable"
kind = "exact"
"""


def test_the_real_catalogue_loads():
    claims = load_catalogue()
    assert DEFAULT_CATALOGUE == ROOT / "spec" / "claims"
    assert DEFAULT_CATALOGUE.is_dir()
    assert len(claims) >= 1
    for claim_id, claim in claims.items():
        assert isinstance(claim, Claim)
        assert claim.id == claim_id
        assert claim.kind in KINDS
        assert claim.chapter and claim.chapter == claim.section.split("/")[0].strip()


def test_a_minimal_catalogue_loads(tmp_path):
    path = tmp_path / "claims.toml"
    path.write_text(GOOD + claims_toml(["other.claim"], {"other.claim": "needs a GPU"}))
    claims = load_catalogue(path)
    assert list(claims) == ["chapter.some-claim", "other.claim"]
    assert claims["chapter.some-claim"].untestable is None
    assert claims["other.claim"].untestable == "needs a GPU"


@pytest.mark.parametrize(
    "text, problem",
    [
        pytest.param(GOOD.replace("chapter.some-claim", "Chapter.Some_Claim"), "id must be", id="upper-case-id"),
        pytest.param(GOOD.replace("chapter.some-claim", "nodot"), "id must be", id="id-without-dot"),
        pytest.param(GOOD.replace('"exact"', '"vibes"'), "kind 'vibes'", id="unknown-kind"),
        pytest.param(GOOD + GOOD, "duplicate id", id="duplicate-id"),
        pytest.param(GOOD + 'colour = "blue"\n', "unknown keys ['colour']", id="unknown-key"),
        pytest.param(GOOD + 'untestable = "  "\n', "'untestable' must be a non-empty reason", id="empty-untestable"),
        pytest.param(GOOD.replace('statement = "something checkable"', 'statement = ""'), "'statement'", id="empty-statement"),
        pytest.param(GOOD.replace('kind = "exact"\n', ""), "'kind'", id="missing-kind"),
        pytest.param('title = "no claims at all"\n', "non-empty array", id="no-claims"),
    ],
)
def test_a_malformed_catalogue_is_refused_with_the_reason(tmp_path, text, problem):
    path = tmp_path / "claims.toml"
    path.write_text(text)
    with pytest.raises(CatalogueError) as excinfo:
        load_catalogue(path)
    assert problem in str(excinfo.value)
    assert "claims.toml" in str(excinfo.value)


def _marked_claims(obj) -> list[str]:
    marks = getattr(obj, "pytestmark", [])
    marks = marks if isinstance(marks, list) else [marks]
    return [arg for mark in marks if getattr(mark, "name", None) == "claim" for arg in mark.args]


def claims_tested_in(folder, package: str) -> dict[str, list[str]]:
    """claim id -> the tests marked with it in folder/test_*.py (imported as package.<stem>),
    read statically from the marks the decorators leave (no collection)."""
    tested: dict[str, list[str]] = {}

    def note(ids, where):
        for claim_id in ids:
            tested.setdefault(claim_id, []).append(where)

    # spec/ and its claim-testing sub-packages (spec/book/); the harness tests, the benchmarks and the
    # fixes name no claim of their own.
    modules = sorted(p for p in folder.rglob("test_*.py")
                     if not ({"meta", "benchmarks", "fixes"} & set(p.relative_to(folder).parts[:-1])))
    assert modules, f"no test_*.py modules in {folder}"
    for path in modules:
        dotted = ".".join((package, *path.relative_to(folder).with_suffix("").parts))
        module = importlib.import_module(dotted)
        module_ids = _marked_claims(module)
        for name, obj in vars(module).items():
            if getattr(obj, "__module__", None) != module.__name__ or not name.startswith(("test", "Test")):
                continue
            where = f"{path.relative_to(folder)}::{name}"
            own = _marked_claims(obj)
            if inspect.isclass(obj):
                for method_name, method in vars(obj).items():
                    if method_name.startswith("test") and callable(method):
                        note(module_ids + own + _marked_claims(method), f"{where}::{method_name}")
            elif callable(obj):
                note(module_ids + own, where)
    return tested


def test_marks_are_read_from_functions_classes_and_modules(monkeypatch, tmp_path):
    """The static reader itself: decorators, class-level and module-level pytestmark."""
    package = "handbook_meta_fake_spec"
    (tmp_path / package).mkdir()
    (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / package / "test_fake_chapter.py").write_text(
        "import pytest\n"
        "pytestmark = pytest.mark.claim('fake.module-level')\n"
        "@pytest.mark.claim('fake.on-function', 'fake.second')\n"
        "def test_function(): pass\n"
        "@pytest.mark.claim('fake.on-class')\n"
        "class TestGroup:\n"
        "    @pytest.mark.claim('fake.on-method')\n"
        "    def test_method(self): pass\n"
        "@pytest.mark.claim('fake.not-a-test')\n"
        "def helper(): pass\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        tested = claims_tested_in(tmp_path / package, package)
    finally:
        for name in (package, f"{package}.test_fake_chapter"):
            sys.modules.pop(name, None)
    assert set(tested) == {"fake.module-level", "fake.on-function", "fake.second", "fake.on-class", "fake.on-method"}
    assert tested["fake.on-method"] == ["test_fake_chapter.py::TestGroup::test_method"]
    assert tested["fake.on-class"] == ["test_fake_chapter.py::TestGroup::test_method"]
    assert sorted(tested["fake.module-level"]) == [
        "test_fake_chapter.py::TestGroup::test_method",
        "test_fake_chapter.py::test_function",
    ]


def test_every_claim_is_tested_or_says_why_it_is_untestable():
    catalogue = load_catalogue()
    tested = claims_tested_in(ROOT / "spec", "spec")
    uncovered = sorted(cid for cid, claim in catalogue.items() if cid not in tested and not claim.untestable)
    both = sorted(cid for cid, claim in catalogue.items() if cid in tested and claim.untestable)
    unknown = sorted(set(tested) - set(catalogue))
    assert not uncovered, f"claims with neither a spec test nor an `untestable` reason: {uncovered}"
    assert not both, f"claims catalogued as untestable that still have tests: {both} -> {[tested[c] for c in both]}"
    assert not unknown, f"tests name claims the catalogue lacks: {unknown}"


def test_a_catalogue_folder_merges_its_files(tmp_path):
    (tmp_path / "a_first.toml").write_text(GOOD)
    (tmp_path / "b_second.toml").write_text(claims_toml(["other.claim"]))
    (tmp_path / "notes.txt").write_text("not a catalogue")
    assert list(load_catalogue(tmp_path)) == ["chapter.some-claim", "other.claim"]


def test_an_id_defined_in_two_files_of_the_folder_is_refused_naming_both(tmp_path):
    (tmp_path / "a_first.toml").write_text(GOOD)
    (tmp_path / "b_second.toml").write_text(GOOD)
    with pytest.raises(CatalogueError, match=r"b_second\.toml: claim 'chapter\.some-claim' is already defined in a_first\.toml"):
        load_catalogue(tmp_path)


def test_an_empty_catalogue_folder_is_refused(tmp_path):
    with pytest.raises(CatalogueError, match="no \\*.toml catalogue files"):
        load_catalogue(tmp_path)


def test_a_catalogue_that_is_not_toml_names_the_file(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('[[claim]]\nid = "a.b\n')
    with pytest.raises(CatalogueError, match=r"broken\.toml: not valid TOML"):
        load_catalogue(path)
