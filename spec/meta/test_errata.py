"""The errata (python -m ci.errata): every deviation with a tested fix or a stated reason for none,
in Chinese and English, the book's section titles in its order, each entry linked to its claim on
the page; generated from the catalogues and the fix tests, and committed up to date."""
from __future__ import annotations

import json
import re

import pytest

from ci import errata
from ci.expectations import load_catalogue
from ci.sections import section_order
from fixtures.catalogue import load_catalogue as load_claims

pytestmark = pytest.mark.meta


def test_the_committed_errata_are_up_to_date():
    reference = errata.reference_matrix()  # the committed matrix run dates the entries
    items = errata.load_entries(reference)
    for language in errata.LANGUAGES:
        path = errata.ROOT / "docs" / f"errata.{language}.md"
        assert path.is_file() and path.read_text(encoding="utf-8") == errata.render(language, items, reference), (
            f"{path.relative_to(errata.ROOT)} differs from the catalogues and fix tests: regenerate with python -m ci.errata")


def test_every_deviation_has_a_tested_fix_or_says_why_none_can_exist():
    missing = [(e.deviation.claim, e.deviation.cause) for e in errata.load_entries() if e.kind == "missing"]
    assert not missing, f"deviations without a [deviation.fix] table and fix test, or a none reason: {missing}"


def test_every_fix_text_has_its_test_and_every_fix_test_its_block():
    fixes = errata.fix_code()
    for entry in errata.load_entries():
        if entry.kind == "fix":
            assert entry.fixes and all(f.code.strip() for f in entry.fixes), entry.deviation.claim
    deviating = {d.claim for d in load_catalogue(load_claims())}
    assert set(fixes) <= deviating, f"fix tests for claims that deviate nowhere: {sorted(set(fixes) - deviating)}"


def test_a_fix_test_without_its_errata_block_is_refused(tmp_path):
    (tmp_path / "test_fixes_x.py").write_text('import pytest\n\n\n@pytest.mark.fix("a.b")\ndef test_x():\n    pass\n')
    with pytest.raises(ValueError, match="needs one '# errata: begin' line"):
        errata.fix_code(tmp_path)


@pytest.mark.parametrize("language", errata.LANGUAGES)
def test_the_errata_follow_the_books_sections_and_link_every_entry_to_the_page(language):
    items = errata.load_entries()
    text = errata.render(language, items, page="conformance.html")
    headings = [line.split(" ", 1)[1] for line in text.splitlines() if re.match(r"^#{2,4} [^`]", line)]
    sections = section_order(e.claim.section for e in items)
    chapters = list(dict.fromkeys(s.split(" / ")[0] for s in sections))
    assert [h for h in headings if h in chapters] == chapters, "the book's chapter titles, in its order"
    for entry in items:
        assert f"(conformance.html#claim-{entry.deviation.claim})" in text
    if language == "zh":
        assert "今天应写" in text and "原因" in text
        assert all(e.deviation.reason_zh for e in items), "every deviation's reason in Chinese too"


def test_with_a_matrix_each_entry_names_where_it_deviates_and_how_its_fix_did(tmp_path):
    items = errata.load_entries()
    entry = next(e for e in items if e.kind == "fix" and str(e.deviation.when) == "always")
    facts = {"tensorflow": "2.21.0", "tensorflow-distribution": "tensorflow", "keras": "3.15.1",
             "keras-flavour": "keras3", "numpy": "2.4.6", "gym": "0.26.2", "gymnasium": "1.4.0", "tensorboard": "2.21.0",
             "python": "3.11.7", "platform": "linux", "float32-dot": "double-accumulation"}
    report = {"schema": "handbook-spec/conformance-report/1", "created": "2026-12-01T00:00:00+00:00",
              "environment": {"name": "tf2.21-keras3-np2", "facts": facts}, "summary": {},
              "claims": [{"id": entry.deviation.claim, "section": entry.claim.section, "statement": "",
                          "status": "deviates-known", "reason": entry.deviation.reason, "fix_status": "fix-fails",
                          "fix_tests": [{"nodeid": "spec/fixes/x.py::test_y", "outcome": "failed", "message": "no"}]}]}
    path = tmp_path / "r.json"
    path.write_text(json.dumps(report))
    assert errata.main(["--matrix", str(path), "--out-dir", str(tmp_path)]) == 0
    text = (tmp_path / "errata.en.md").read_text(encoding="utf-8")
    block = text.split(f"`{entry.deviation.claim}`")[1].split("####")[0]
    assert "- Deviates in the matrix in: `tf2.21-keras3-np2`" in block and "tf2.21-keras3-np2 fix-fails" in block
    html = errata.section_html(errata.load_entries())
    assert 'id="errata"' in html and "FIX FAILS" not in html, "without a matrix no fix is known to fail"


def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    assert errata.main(["--matrix", str(tmp_path / "missing.json"), "--out-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing.json" in err[0]
