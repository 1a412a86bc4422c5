"""The conformance matrix: merging per-environment reports, the page (sections in the book's order,
needs attention, drift by cause, since-table, claims, plots, how it ran, changes since a baseline),
the Markdown (parsed with a real GFM table parser), bad input, and the page as a browser shows it."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from ci import page_model as pm
from ci.matrix_report import ABSENT, SCHEMA, as_matrix, merge_reports
from ci.page_html import page_identity
from ci.render_report import main as render_main
from ci.render_report import render_html, render_markdown, write_renderings

pytestmark = pytest.mark.meta

TENSORS = "二、TensorFlow基础 / （一）张量与运算"
MLP = "三、TensorFlow模型建立与训练 / （二）示例：多层感知器 / 2. 模型构建：tf.keras.Model和tf.keras.layers"
RL = "三、TensorFlow模型建立与训练 / （五）深度强化学习"
INSTALL = "一、TensorFlow概述 / 安装验证"
KERAS3_REASON = "Keras 3 <renamed> it"


def claim(cid, status, section=TENSORS, reason=None, source=None, cause=None, measured=(), **extra):
    tests = [{"nodeid": f"spec/test_x.py::test_{cid}", "outcome": {"holds": "passed", "deviates-known": "xfailed",
                                                                   "deviates-new": "failed", "error": "error",
                                                                   "not-run": "skipped"}.get(status, "passed"),
              "message": reason, "duration": 0.1, "seed": 1, "measured": list(measured), "deviation_check": None}]
    return {"id": cid, "section": section, "statement": f"statement of {cid}", "kind": "exact",
            "handbook": "3.0", "status": status, "reason": reason, "source": source, "cause": cause,
            "not_run_cause": "untestable" if status == "not-run" else None,
            "expected_deviation": status == "deviates-known", "expected_failure": "TypeError" if cause else None,
            "actual_failures": [], "measured": list(measured), "tests": extra.pop("tests", tests), **extra}


def report(name, claims, exit_status=0, tensorflow="2.21.0", keras="3.15.1", flavour="keras3", numpy="2.4.6"):
    facts = {"tensorflow": tensorflow, "tensorflow-distribution": "tensorflow", "keras": keras,
             "keras-flavour": flavour, "numpy": numpy, "gym": None, "gymnasium": None, "tensorboard": None,
             "python": "3.11.7", "platform": "linux", "float32-dot": "double-accumulation"}
    return {"schema": "handbook-spec/conformance-report/1", "created": f"2026-11-27T00:00:0{len(name) % 10}+00:00",
            "environment": {"name": name, "tensorflow": tensorflow, "keras": keras, "keras_flavour": flavour,
                            "numpy": numpy, "python": "3.11.7", "facts": facts, "devices": ["/device:CPU:0"],
                            "machine": {"cpu": {"vendor": "AuthenticAMD", "model_name": "AMD EPYC", "cores": 2,
                                                "flags": ["avx2"]},
                                        "blas": [{"internal_api": "openblas", "version": "0.3.23",
                                                  "architecture": "Haswell", "num_threads": 2}],
                                        "blas_environment": {}, "float32_dot": "double-accumulation"}},
            "options": {"tier": "fast", "devices": "all", "data_dir": "/data", "seed": 0, "allow_network": False,
                        "workers": 2},
            "pytest_exit_status": exit_status, "worker_errors": [],
            "summary": {"holds": sum(c["status"] == "holds" for c in claims)}, "claims": claims}


@pytest.fixture
def two_reports():
    curve = {"name": "val accuracy per epoch", "value": [0.9, 0.95, 0.96, 0.97], "handbook": None}
    book_accuracy = {"name": "test accuracy", "value": 0.9721554517745972, "handbook": 0.972155}
    # The files list 三 before 一 and 二: the page must follow the book, not the files.
    a = report("tf2.15-keras2-np1", [
        claim("b.three", "holds", section=MLP, measured=[curve, book_accuracy]),
        claim("a.one", "holds", measured=[{"name": "printed a", "value": "0.9591617", "handbook": "0.9591617"}]),
        claim("a.two", "deviates-known", reason=KERAS3_REASON, source="https://keras.io/x", cause="keras3"),
        claim("c.six", "holds", section=INSTALL),
    ], tensorflow="2.15.1", keras="2.15.0", flavour="keras2", numpy="1.26.4")
    b = report("tf2.21-keras3-np2", [
        claim("b.three", "holds", section=MLP, measured=[{**curve, "value": [0.9, 0.93, 0.95, 0.955]}, book_accuracy]),
        claim("a.one", "deviates-new", reason="got 0.9591616988182068\nnot 0.9591617",
              measured=[{"name": "printed a", "value": "0.9591616988182068", "handbook": "0.9591617"}]),
        claim("a.two", "deviates-known", reason=KERAS3_REASON, source="https://keras.io/x", cause="keras3"),
        claim("b.four", "not-run", section=RL, reason="untestable here: needs a GPU"),
        claim("c.six", "error", section=INSTALL, reason="a test of this claim errored: boom"),
        claim("a.five", "holds", measured=[{"name": "sizes (a, b, c)", "value": [320056, 349959, 319882]}]),
    ], exit_status=1)
    return a, b


@pytest.fixture
def causes():
    from ci.expectations import load_causes

    return load_causes()


def test_merge_makes_one_row_per_claim_and_one_cell_per_environment(two_reports):
    m = merge_reports(list(two_reports))
    assert m["schema"] == SCHEMA
    assert [e["name"] for e in m["environments"]] == ["tf2.15-keras2-np1", "tf2.21-keras3-np2"]
    assert [c["id"] for c in m["claims"]] == ["b.three", "a.one", "a.two", "c.six", "b.four", "a.five"]
    for c in m["claims"]:
        assert list(c["results"]) == ["tf2.15-keras2-np1", "tf2.21-keras3-np2"]
    b_four = next(c for c in m["claims"] if c["id"] == "b.four")
    assert b_four["results"]["tf2.15-keras2-np1"]["status"] == ABSENT
    cell = b_four["results"]["tf2.21-keras3-np2"]
    assert cell["not_run_cause"] == "untestable" and "expected_failure" in cell and "actual_failures" in cell


def test_drift_groups_deviations_by_cause_and_lists_their_environments(two_reports):
    drift = merge_reports(list(two_reports))["drift"]
    assert [g["cause"] for g in drift] == ["keras3", "unexpected"]
    assert drift[0]["claims"][0]["environments"] == ["tf2.15-keras2-np1", "tf2.21-keras3-np2"]


def test_an_environment_without_a_report_still_gets_a_column(two_reports, causes):
    runs = [{"name": "tf2.15-keras2-np1", "seconds": 12.0},
            {"name": "tf2.16-keras3-np1", "release": "2.16", "problem": "install failed with exit status 1"}]
    m = merge_reports([two_reports[0]], runs=runs)
    assert [e["name"] for e in m["environments"]] == ["tf2.15-keras2-np1", "tf2.16-keras3-np1"]
    assert all(c["results"]["tf2.16-keras3-np1"]["status"] == ABSENT for c in m["claims"])
    text = render_markdown(m, causes)
    assert "install failed" in text.split("## Overview")[0], "a failed environment needs attention"


def test_two_reports_of_one_environment_are_refused(two_reports):
    with pytest.raises(ValueError, match="same environment"):
        merge_reports([two_reports[0], two_reports[0]])


def test_a_single_report_becomes_a_one_column_matrix(two_reports):
    m = as_matrix(two_reports[0])
    assert [e["name"] for e in m["environments"]] == ["tf2.15-keras2-np1"]
    assert as_matrix(m) is m
    with pytest.raises(ValueError):
        as_matrix({"something": "else"})


# ------------------------------------------------------------------------------------ page model

def test_sections_follow_the_book_not_the_files(two_reports):
    m = merge_reports(list(two_reports))
    assert [s for s, _ in pm.claims_by_section(m)] == [INSTALL, TENSORS, MLP, RL]
    rows = pm.outline(m)
    assert [(r.kind, r.title) for r in rows] == [
        ("chapter", "一、TensorFlow概述"), ("section", "安装验证"), ("chapter", "二、TensorFlow基础"),
        ("section", "（一）张量与运算"), ("chapter", "三、TensorFlow模型建立与训练"), ("group", "（二）示例：多层感知器"),
        ("section", "2. 模型构建：tf.keras.Model和tf.keras.layers"), ("section", "（五）深度强化学习")]
    assert len(rows[4].claims) == 2, "a chapter row counts every claim below it"


def test_environments_are_ordered_by_release(two_reports):
    m = merge_reports(list(reversed(two_reports)))
    assert [e.name for e in pm.environments(m)] == ["tf2.15-keras2-np1", "tf2.21-keras3-np2"]
    assert [e.label for e in pm.environments(m)] == ["keras2-np1", "keras3-np2"]


def test_needs_attention_lists_new_deviations_errors_crashes_and_stale_expectations(two_reports):
    a, b = two_reports
    b["claims"].append(claim("a.seven", "holds", stale_expectation=True, cause="keras3",
                             reason="listed as a known deviation but held: the expectations file is stale"))
    b["claims"].append(claim("a.eight", "error", reason="a test of this claim errored, crashed its worker, or never "
                             "reported: spec/t.py::test_x: worker crashed",
                             tests=[{"nodeid": "spec/t.py::test_x", "outcome": "crashed", "message": "worker crashed"}]))
    m = merge_reports([a, b])
    items = pm.needs_attention(m, pm.environments(m))
    kinds = {(i.kind, i.claim) for i in items}
    assert {("new", "a.one"), ("error", "c.six"), ("stale", "a.seven"), ("crashed", "a.eight")} <= kinds
    new = next(i for i in items if i.kind == "new")
    assert new.section == TENSORS and new.environments == ["tf2.21-keras3-np2"] and "0.9591616988182068" in new.reason
    clean = merge_reports([a])
    assert pm.needs_attention(clean, pm.environments(clean)) == []


def test_claims_failing_alike_are_one_attention_item(two_reports):
    a, b = two_reports
    for n in range(6):
        b["claims"].append(claim(f"z.lost{n}", "error", reason="a test of this claim errored, crashed its worker, or "
                                 f"never reported: spec/t.py::test_{n}: collected but never reported"))
    m = merge_reports([a, b])
    items = [i for i in pm.needs_attention(m, pm.environments(m)) if i.kind == "error"]
    merged = [i for i in items if i.claims]
    assert len(merged) == 1 and len(merged[0].claims) == 6 and "collected but never reported" in merged[0].reason


def test_numbers_keep_every_digit_and_differences_from_the_book_are_found():
    assert pm.fmt_value(0.9591617) == "0.9591617"
    assert pm.fmt_value(0.9591616988182068) == "0.9591616988182068"
    assert pm.fmt_value([1.7881393432617188e-07, 3]) == "[1.7881393432617188e-07, 3]"
    assert pm.book_comparison(0.9591616988182068, 0.9591617) == "printed-precision"
    assert pm.book_comparison("0.9591617", "0.9591714862483188") == "differs"
    assert pm.book_comparison(0.35, 0.0) == "differs" and pm.book_comparison([], []) == "same"
    assert pm.book_comparison(3.96, 4.0) == "differs", "a book's 4.0 has no printed digits to round to"
    assert pm.book_comparison(1, None) is None


@pytest.mark.parametrize("name, value, plotted", [
    ("val accuracy per epoch", [0.9, 0.95, 0.96], True),
    ("losses every 50 batches", [4.0, 3.1, 2.8, 2.7], True),
    ("run 2: scores per 10 episodes", [20.0, 40.0, 80.0], True),
    ("random-policy episode lengths", [20, 12, 15], True),
    ("mlp: bytes (.tflite, SavedModel folder, its variables)", [320056, 349959, 319882], False),
    ("reward on the terminating step", [1.0, 1.0, 1.0], False),
    ("val accuracy per epoch", [0.9, 0.95], False),
    ("val accuracy per epoch", [True, False, True], False),
    ("counts vs expected", [[1, 2], [3, 4], [5, 6]], False),
])
def test_only_series_are_plotted(name, value, plotted):
    assert pm.is_series(name, value) is plotted


def test_plots_have_labelled_axes_a_book_reference_and_one_line_per_environment(two_reports):
    m = merge_reports(list(two_reports))
    (plot,) = pm.plots(m, pm.environments(m))
    assert (plot.x_label, plot.y_label) == ("epoch", "val accuracy")
    assert plot.reference == 0.972155 and "test accuracy" in plot.reference_label
    assert [env for env, _, _ in plot.lines] == ["tf2.15-keras2-np1", "tf2.21-keras3-np2"]
    runs = {"name": "run 1: scores per 10 episodes", "value": [10.0, 20.0, 30.0]}
    m["claims"][0]["results"]["tf2.15-keras2-np1"]["measured"] = [runs, {**runs, "name": "run 2: scores per 10 episodes"}]
    by_name = {p.name: p for p in pm.plots(m, pm.environments(m))}
    assert [run for _, run, _ in by_name["scores per 10 episodes"].lines] == ["run 1", "run 2"], "seeds share a plot"


def test_word_diff_shows_what_changed_inside_a_reason():
    old = "Keras 3 raises TypeError when build() is called with a tuple of four integers in the book's code"
    new = "Keras 3 raises ValueError when build() is called with a tuple of four integers in the book's code"
    assert pm.word_diff(old, new) == "Keras 3 raises [-TypeError-] {+ValueError+} when build() is called with …"


def test_changes_since_a_baseline_name_status_reason_and_measured_values(two_reports):
    a, b = two_reports
    old = merge_reports([a, b])
    b2 = json.loads(json.dumps(b))
    b2["claims"][1]["status"] = "deviates-known"                                       # a.one: status
    b2["claims"][2]["reason"] = "Keras 3 <renamed> it again"                           # a.two: reason
    b2["claims"][5]["measured"] = [{"name": "sizes (a, b, c)", "value": [320056, 349959, 1]}]   # a.five: measured
    b2["claims"][4]["reason"] = "a test of this claim errored: boom at 2026-12-01 20:21:07.036960"
    b2["claims"][3]["measured"] = [{"name": "training seconds", "value": 99.0}]       # timings are no change
    new = merge_reports([a, b2])
    found = {(c.claim, c.environment): c.kinds for c in pm.changes(old, new)}
    assert found == {("a.one", "tf2.21-keras3-np2"): ["status"], ("a.two", "tf2.21-keras3-np2"): ["reason"],
                     ("a.five", "tf2.21-keras3-np2"): ["measured"], ("c.six", "tf2.21-keras3-np2"): ["reason"]}
    assert pm.pair_environments(merge_reports([a]), merge_reports([b])) == [("tf2.15-keras2-np1", "tf2.21-keras3-np2")]


# -------------------------------------------------------------------------------------- Markdown

NASTY = "a | b || c\nsecond line with `code | pipe` and <b>html</b> *stars* _under_ [link](x) \\ back"


def _tables(text: str):
    """(header cells, [row cells ...], [source line of each row]) of every GFM table, parsed by
    markdown-it-py; the cell counts are taken from the source lines with its own splitter."""
    from markdown_it import MarkdownIt
    from markdown_it.rules_block.table import escapedSplit

    lines = text.splitlines()
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    tables, current, row = [], None, None
    for n, token in enumerate(tokens):
        if token.type == "table_open":
            current = {"rows": [], "lines": []}
        elif token.type == "tr_open":
            row = []
            current["lines"].append(lines[token.map[0]])
        elif token.type in ("th_open", "td_open"):
            row.append(tokens[n + 1].content if tokens[n + 1].type == "inline" else "")
        elif token.type == "tr_close":
            current["rows"].append(row)
        elif token.type == "table_close":
            tables.append(current)

    def cells(line):
        parts = escapedSplit(line.strip())
        if parts and not parts[0].strip():
            parts = parts[1:]
        if parts and not parts[-1].strip():
            parts = parts[:-1]
        return parts

    return [(t["rows"][0], t["rows"][1:], [len(cells(line)) for line in t["lines"]]) for t in tables]


def test_markdown_tables_keep_their_shape_with_pipes_and_line_breaks(two_reports, causes):
    pytest.importorskip("markdown_it", reason="markdown-it-py is in the report extra: pip install '.[report]'")
    a, b = two_reports
    b["claims"][2]["reason"] = NASTY                     # a known deviation: drift table
    b["claims"][1]["reason"] = NASTY                     # a new deviation: needs attention
    b["claims"][5]["measured"] = [{"name": "printed | value", "value": "line 1 | x\nline 2", "handbook": "line | 1"}]
    b["environment"]["numpy"] = "2.4|6"
    text = render_markdown(merge_reports([a, b]), causes)
    tables = _tables(text)
    assert len(tables) >= 6, "overview, since, drift, how it ran, measured values, claims"
    for header, rows, counts in tables:
        assert set(counts) == {len(header)}, f"a row has another width than its header {header}: {counts}"
        assert all(len(r) == len(header) for r in rows)
    cells = [cell for _, rows, _ in tables for r in rows for cell in r]
    assert any("a | b || c" in cell and "<br>" in cell and "code | pipe" in cell for cell in cells), \
        "the reason stays one cell, pipes and line break included"
    assert any(cell.endswith("line 1 | x<br>line 2") for cell in cells)
    assert "<b>html</b>" not in text and "&lt;b&gt;html&lt;/b&gt;" in text
    assert "numpy" in text and "2.4\\|6" in text


def test_markdown_puts_attention_first_and_lists_sections_in_the_books_order(two_reports, causes):
    text = render_markdown(merge_reports(list(two_reports)), causes)
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings[0] == "## Needs attention" and headings[1].startswith("## Overview")
    assert text.index("### 一、TensorFlow概述 / 安装验证") < text.index("### 二、TensorFlow基础") < text.index(
        f"### {MLP}")
    assert "0.9591616988182068" in text, "numbers with every digit"
    assert "≠ 0.9591616988182068" in text, "a measured value that differs from the book is marked"
    from ci.render_report import md

    assert "### Keras 3 · Keras 3" in text and md(causes["keras3"].explanation) in text


def test_markdown_with_nothing_to_attend_to_says_so_in_one_line(two_reports, causes):
    text = render_markdown(merge_reports([two_reports[0]]), causes)
    section = text.split("## Needs attention\n\n")[1].split("\n\n")[0]
    assert section.startswith("✓ Nothing needs attention") and "\n" not in section


# ------------------------------------------------------------------------------------------ HTML

class _Collector(HTMLParser):
    """Tags that must be balanced, element counts and text, parsed as a browser's tokenizer would."""

    VOID = {"meta", "br", "input", "img", "hr", "link", "rect", "polyline", "text", "line"}

    def __init__(self):
        super().__init__()
        self.stack, self.problems, self.claims, self.sections, self.langs = [], [], [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "details" and "claim" in (attrs.get("class") or "").split():
            self.claims.append(attrs["data-claim"])
        if tag == "tr" and attrs.get("data-section"):
            self.sections.append(attrs["data-section"])
        if attrs.get("lang"):
            self.langs.append(attrs["lang"])
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()


def test_the_html_page_is_balanced_self_contained_and_in_the_books_order(two_reports, causes):
    m = merge_reports(list(two_reports))
    page = render_html(m, causes)
    parser = _Collector()
    parser.feed(page)
    assert not parser.problems and not parser.stack
    assert parser.claims == ["c.six", "a.one", "a.two", "a.five", "b.three", "b.four"], "claims in the book's order"
    assert parser.sections == [r.section for r in pm.outline(m)]
    assert page.index('id="attention"') < page.index('id="overview"') < page.index('id="since"') < page.index('id="claims"')
    assert "Keras 3 &lt;renamed&gt; it" in page and "<renamed>" not in page
    assert not re.search(r"""(src|href)=["'](https?:)?//""", re.sub(r'href="https://[^"]+" rel="noreferrer"', "", page)), \
        "the page may link to sources, but must load nothing from the network"
    assert "<script src" not in page and "<link" not in page
    assert f'<meta name="handbook-spec-matrix" content="{page_identity(m)}">' in page


def test_the_page_declares_its_languages_and_a_cjk_font_stack(two_reports, causes):
    page = render_html(merge_reports(list(two_reports)), causes)
    assert page.startswith('<!DOCTYPE html>\n<html lang="en">')
    parser = _Collector()
    parser.feed(page)
    assert "zh-CN" in parser.langs
    assert re.search(r'<th class="name" lang="zh-CN"><a [^>]*>安装验证</a>', page), "Chinese headings are marked zh-CN"
    assert '"Noto Sans CJK SC"' in page and '"PingFang SC"' in page and '"Microsoft YaHei"' in page
    assert re.search(r"<p lang=\"zh-CN\">" + re.escape(causes["keras3"].explanation_zh), page)


def test_the_page_shows_causes_once_measured_values_and_printed_output(two_reports, causes):
    page = render_html(merge_reports(list(two_reports)), causes)
    assert page.count(f"<p>{causes['keras3'].explanation}</p>") == 1, "each cause is defined once"
    assert '<td class="differs"' in page and "0.9591616988182068" in page
    assert '<td class="rounds"' in page, "0.9721554517745972 rounds to the book's 0.972155"
    assert "got 0.9591616988182068\nnot 0.9591617" in page, "line breaks of printed output are kept"
    assert page.count("<svg") == 1 and page.count("<polyline") == 2, "one series, one line per environment"
    assert ">epoch</text>" in page and "val accuracy</text>" in page and "stroke-dasharray=\"5 3\"" in page
    assert "320056, 349959, 319882" in page and page.count("<svg") == 1, "a list of sizes is a table row"


def test_how_it_ran_shows_each_environments_run_and_machine(two_reports, causes):
    a, b = two_reports
    m = merge_reports([a, b], runs=[{"name": "tf2.21-keras3-np2", "seconds": 85.0}])
    page = render_html(m, causes)
    how = page.split('id="how"')[1]
    for text in ("fast", "/data", "off", "85 s", "not recorded", "1 untestable", "AMD EPYC", "openblas 0.3.23 Haswell",
                 "double-accumulation", "/device:CPU:0"):
        assert text in how, text


def test_the_since_table_has_one_column_per_release_and_marks_the_first(two_reports, causes):
    m = merge_reports(list(two_reports))
    releases, rows, _ = pm.since_table(m, pm.environments(m))
    assert releases == ["2.15", "2.21"]
    row = next(r for r in rows if r.claim == "a.one")
    assert (row.first_deviating, row.last_holding, row.catalogued) == ("2.21", "2.15", False)
    assert all(r.claim != "b.three" for r in rows), "only claims that deviate somewhere"
    page = render_html(m, causes)
    assert re.search(r'<tr data-claim="a\.one" data-first="2\.21">.*?<td class="sc first" data-release="2\.21"', page)


def test_a_baseline_marks_changed_cells_and_lists_them_at_the_top(tmp_path, two_reports, capsys):
    a, b = two_reports
    old = tmp_path / "old.json"
    old.write_text(json.dumps(b))
    b2 = json.loads(json.dumps(b))
    b2["claims"][1]["status"] = "holds"
    b2["claims"][1]["reason"] = None
    new = tmp_path / "new.json"
    new.write_text(json.dumps(b2))
    html_path, md_path = tmp_path / "m.html", tmp_path / "m.md"
    assert render_main([str(new), f"--baseline={old}", f"--html={html_path}", f"--markdown={md_path}"]) == 0
    page = html_path.read_text(encoding="utf-8")
    assert page.index('id="changes"') < page.index('id="overview"')
    assert 'class="cell s-holds chg" data-env="tf2.21-keras3-np2"' in page
    assert "Changed since the baseline (1 cells: 1 status, 1 reason)" in page
    assert "## Changed since the baseline (1 cells)" in md_path.read_text(encoding="utf-8")


def test_render_command_merges_reports_and_writes_every_file(tmp_path, two_reports):
    paths = []
    for r in two_reports:
        paths.append(tmp_path / f"{r['environment']['name']}.json")
        paths[-1].write_text(json.dumps(r))
    assert render_main([*map(str, paths), "--html", str(tmp_path / "m.html"), "--markdown", str(tmp_path / "m.md"),
                        "--matrix", str(tmp_path / "m.json"), f"--deviations={tmp_path / 'd.md'}"]) == 0
    assert json.loads((tmp_path / "m.json").read_text())["schema"] == SCHEMA
    assert (tmp_path / "m.html").read_text().startswith("<!DOCTYPE html>")
    assert (tmp_path / "d.md").read_text().startswith("# Known deviations, chapter by chapter")
    # ci.matrix's call: write_renderings(matrix, md_path, html_path), with an optional baseline.
    m = json.loads((tmp_path / "m.json").read_text())
    assert write_renderings(m, tmp_path / "w.md", tmp_path / "w.html", baseline=m) == [tmp_path / "w.md", tmp_path / "w.html"]


def _one_line_exit_2(capsys, argv, *needles):
    assert render_main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    for needle in needles:
        assert needle in err, err


def test_bad_input_is_one_line_and_exit_status_2(tmp_path, two_reports, capsys):
    good = tmp_path / "a.json"
    good.write_text(json.dumps(two_reports[0]))
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"benchmarks": {}}))
    text = tmp_path / "notes.md"
    text.write_text("# not json")
    _one_line_exit_2(capsys, [str(tmp_path / "missing.json")], "missing.json: no such file")
    _one_line_exit_2(capsys, [str(text)], "notes.md: not JSON")
    _one_line_exit_2(capsys, [str(other)], "other.json: neither a conformance report", "nor a matrix.json")
    _one_line_exit_2(capsys, [str(good), str(good)], "a second report of environment tf2.15-keras2-np1")
    _one_line_exit_2(capsys, [str(good), f"--baseline={tmp_path / 'gone.json'}"], "gone.json: no such file")
    bad_cause = json.loads(json.dumps(two_reports[0]))
    bad_cause["claims"][2]["cause"] = "cosmic-rays"
    (tmp_path / "cause.json").write_text(json.dumps(bad_cause))
    _one_line_exit_2(capsys, [str(tmp_path / "cause.json")], "cause.json", "'cosmic-rays'", "causes.toml")
    bad_section = json.loads(json.dumps(two_reports[0]))
    bad_section["claims"][0]["section"] = "九、Nowhere / （一）nothing"
    (tmp_path / "section.json").write_text(json.dumps(bad_section))
    _one_line_exit_2(capsys, [str(tmp_path / "section.json")], "section.json", "九、Nowhere")


# ---------------------------------------------------------------- the page in a real browser

@pytest.fixture(scope="module")
def browser_ready():
    from ci.browser_check import BrowserMissing, find_browser

    try:
        find_browser()
    except BrowserMissing as exc:
        pytest.skip(f"browser test impossible here: {exc}")


def _cjk_font_installed() -> bool:
    import shutil
    import subprocess

    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return True  # cannot tell: let the browser check decide
    return bool(subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True).stdout.strip())


@pytest.mark.timeout(180)
def test_the_page_in_headless_chromium_at_three_widths(browser_ready, tmp_path, two_reports, causes):
    from ci.browser_check import check_page

    if not _cjk_font_installed():
        pytest.skip("no CJK font installed, so the page's Chinese cannot render (Debian: apt install fonts-noto-cjk)")
    m = merge_reports(list(two_reports))
    page = tmp_path / "matrix.html"
    page.write_text(render_html(m, causes), encoding="utf-8")
    shot = tmp_path / "matrix.png"
    assert check_page(page, m, shot) == []
    for width in (1400, 820, 412):
        assert (tmp_path / f"matrix-{width}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.timeout(180)
def test_the_browser_check_notices_a_missing_row_a_hidden_reason_an_overflow_and_a_console_error(
        browser_ready, tmp_path, two_reports, causes):
    from ci.browser_check import check_page

    m = merge_reports(list(two_reports))
    page = render_html(m, causes)
    page = re.sub(r'<details class="claim" id="claim-b\.three".*?</details>(?=<details|</div>)', "", page, flags=re.S)
    page = page.replace('class="reason">', 'class="reason" style="display:none">')
    page = page.replace("</body>", '<div style="width:2000px">too wide</div>'
                                   "<script>undefinedFunction();</script></body>")
    broken = tmp_path / "broken.html"
    broken.write_text(page, encoding="utf-8")
    problems = check_page(broken, m, widths=(1400, 412))
    assert any("claim rows: 5 shown for 6 claims" in p for p in problems), problems
    assert any("did not show its reason" in p for p in problems), problems
    assert any(p.startswith("412 px: the page is") and "wider than the window" in p for p in problems), problems
    assert any(p.startswith("console: SEVERE") and "undefinedFunction" in p for p in problems), problems


@pytest.mark.timeout(180)
def test_the_browser_check_fails_when_chinese_falls_back_to_missing_glyphs(browser_ready, tmp_path, two_reports,
                                                                           causes, monkeypatch):
    """Chromium under a fontconfig that knows only DejaVu (no CJK font) draws the missing-glyph box."""
    from ci.browser_check import check_page

    fonts = [p for p in ("/usr/share/fonts/truetype/dejavu",) if __import__("os").path.isdir(p)]
    if not fonts:
        pytest.skip("no DejaVu fonts to build a CJK-less font configuration from")
    conf = tmp_path / "fonts.conf"
    conf.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                    f"<dir>{fonts[0]}</dir><cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>")
    monkeypatch.setenv("FONTCONFIG_FILE", str(conf))
    m = merge_reports(list(two_reports))
    page = tmp_path / "matrix.html"
    page.write_text(render_html(m, causes), encoding="utf-8")
    problems = check_page(page, m, widths=(1400,))
    assert any("Chinese text falls back to missing glyphs" in p and "fonts-noto-cjk" in p for p in problems), problems


def test_the_browser_check_refuses_a_page_that_does_not_match_its_json(tmp_path, two_reports, causes, capsys):
    from ci.browser_check import main as check_main

    m = merge_reports(list(two_reports))
    page = tmp_path / "m.html"
    page.write_text(render_html(m, causes), encoding="utf-8")
    other = tmp_path / "other.json"
    other.write_text(json.dumps(merge_reports([two_reports[0]])))
    for argv, needle in (([str(page), str(other)], "rendered from another run than"),
                         ([str(page), str(tmp_path / "none.json")], "none.json: no such file"),
                         ([str(other), str(other)], "not a conformance page"),
                         ([str(tmp_path / "no.html"), str(other)], "no.html: no such file")):
        assert check_main(argv) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and needle in err, err
