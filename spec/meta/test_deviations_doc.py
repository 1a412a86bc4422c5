"""docs/deviations.md, the per-chapter view of the known deviations, is generated from the
expectations catalogue (python -m ci.deviations_doc) and must be up to date with it."""
from __future__ import annotations

import json

import pytest

from ci import deviations_doc
from ci.expectations import load_catalogue
from fixtures.catalogue import load_catalogue as load_claims

pytestmark = pytest.mark.meta


def test_docs_deviations_md_is_up_to_date_with_the_catalogue():
    committed = deviations_doc.DEFAULT_OUT.read_text(encoding="utf-8") if deviations_doc.DEFAULT_OUT.is_file() else ""
    assert committed == deviations_doc.render(), (
        "docs/deviations.md differs from the expectations catalogue: regenerate it with python -m ci.deviations_doc")


def test_every_deviation_appears_once_with_its_cause_condition_and_signature():
    text = deviations_doc.render()
    deviations = load_catalogue(load_claims())
    for d in deviations:
        assert text.count(f"#### `{d.claim}`") == 1, d.claim
        assert f"`{str(d.when)}`" in text and f"(`{d.cause}`)" in text
    assert text.count("- **fails with:**") == len(deviations)
    chapters = [line for line in text.splitlines() if line.startswith("## ") and line != "## Causes"]
    assert chapters == sorted(chapters, key=lambda line: "一二三四".index(line[3])), "chapters in the book's order"


def test_with_a_matrix_it_says_where_each_deviation_was_measured(tmp_path):
    claims = load_claims()
    deviation = next(d for d in load_catalogue(claims) if str(d.when) == "always")
    facts = {"tensorflow": "2.21.0", "tensorflow-distribution": "tensorflow", "keras": "3.15.1", "keras-flavour": "keras3",
             "numpy": "2.4.6", "gym": None, "gymnasium": None, "tensorboard": None, "python": "3.11.7",
             "platform": "linux", "float32-dot": "double-accumulation"}
    report = {"schema": "handbook-spec/conformance-report/1", "created": "2026-12-01T00:00:00+00:00",
              "environment": {"name": "tf2.21-keras3-np2", "facts": facts},
              "claims": [{"id": deviation.claim, "section": claims[deviation.claim].section, "statement": "",
                          "status": "deviates-known", "reason": deviation.reason}]}
    path = tmp_path / "r.json"
    path.write_text(json.dumps(report))
    out = tmp_path / "d.md"
    assert deviations_doc.main([f"--matrix={path}", f"--out={out}"]) == 0
    text = out.read_text(encoding="utf-8")
    block = text.split(f"#### `{deviation.claim}`")[1].split("####")[0]
    assert "- **measured:** deviates in tf2.21-keras3-np2" in block
    assert deviations_doc.main([f"--out={out}", "--check"]) == 1, "a document with measurements is not the catalogue's"
