"""The conformance matrix: merging per-environment reports, the drift summary, the Markdown and HTML
renderings, the matrix command's plumbing, and the page as a browser shows it."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from ci.matrix_report import ABSENT, SCHEMA, as_matrix, merge_reports, numeric_series
from ci.render_report import main as render_main
from ci.render_report import render_html, render_markdown

pytestmark = pytest.mark.meta


def claim(cid, status, section="二、基础 / （一）张量", reason=None, source=None, cause=None, measured=()):
    return {"id": cid, "section": section, "statement": f"statement of {cid}", "kind": "exact",
            "handbook": "3.0", "status": status, "reason": reason, "source": source, "cause": cause,
            "expected_deviation": status == "deviates-known", "measured": list(measured),
            "tests": [{"nodeid": f"spec/test_x.py::test_{cid}", "outcome": "passed", "message": None,
                       "duration": 0.1, "seed": 1, "measured": list(measured)}]}


def report(name, claims, exit_status=0):
    return {"schema": 1, "created": "2026-11-27T00:00:00+00:00",
            "environment": {"name": name, "tensorflow": "2.x", "keras": "3", "keras_flavour": "keras3", "numpy": "2"},
            "options": {}, "pytest_exit_status": exit_status, "worker_errors": [],
            "summary": {"holds": sum(c["status"] == "holds" for c in claims)}, "claims": claims}


@pytest.fixture
def two_reports():
    curve = {"name": "loss per epoch", "value": [3.0, 2.0, 1.5, 1.2], "handbook": None}
    # b.five comes back to the first section after the second began: the page groups it there.
    a = report("env-a", [
        claim("a.one", "holds", measured=[{"name": "accuracy", "value": 0.97, "handbook": 0.972155}]),
        claim("a.two", "deviates-known", reason="Keras 3 <renamed> it", source="https://keras.io/x", cause="keras3"),
        claim("b.three", "holds", section="三、模型 / （二）MLP", measured=[curve]),
    ])
    b = report("env-b", [
        claim("a.one", "deviates-new", reason="got 0.5", measured=[{"name": "accuracy", "value": 0.5, "handbook": 0.972155}]),
        claim("a.two", "deviates-known", reason="Keras 3 <renamed> it", source="https://keras.io/x", cause="keras3"),
        claim("b.three", "holds", section="三、模型 / （二）MLP", measured=[{**curve, "value": [3.0, 2.5, 2.0, 1.9]}]),
        claim("b.four", "not-run", section="三、模型 / （二）MLP", reason="untestable here: needs a GPU"),
        claim("a.five", "holds"),
    ], exit_status=1)
    return a, b


def test_merge_makes_one_row_per_claim_and_one_cell_per_environment(two_reports):
    m = merge_reports(list(two_reports))
    assert m["schema"] == SCHEMA
    assert [e["name"] for e in m["environments"]] == ["env-a", "env-b"]
    assert [c["id"] for c in m["claims"]] == ["a.one", "a.two", "b.three", "b.four", "a.five"]
    for c in m["claims"]:
        assert list(c["results"]) == ["env-a", "env-b"]
    assert m["claims"][3]["results"]["env-a"]["status"] == ABSENT
    assert m["claims"][0]["results"]["env-b"]["status"] == "deviates-new"


def test_drift_groups_deviations_by_cause_and_lists_their_environments(two_reports):
    drift = merge_reports(list(two_reports))["drift"]
    assert [g["cause"] for g in drift] == ["keras3", "unexpected"]
    keras3 = drift[0]["claims"]
    assert keras3 == [{"claim": "a.two", "section": "二、基础 / （一）张量", "reason": "Keras 3 <renamed> it",
                       "source": "https://keras.io/x", "environments": ["env-a", "env-b"]}]
    assert drift[1]["claims"][0]["claim"] == "a.one" and drift[1]["claims"][0]["environments"] == ["env-b"]


def test_an_environment_without_a_report_still_gets_a_column(two_reports):
    runs = [{"name": "env-a", "seconds": 12.0}, {"name": "env-c", "problem": "install failed with exit status 1"}]
    m = merge_reports([two_reports[0]], runs=runs)
    assert [e["name"] for e in m["environments"]] == ["env-a", "env-c"]
    assert m["environments"][1]["problem"] == "install failed with exit status 1"
    assert all(c["results"]["env-c"]["status"] == ABSENT for c in m["claims"])
    assert "install failed" in render_markdown(m)


def test_two_reports_of_one_environment_are_refused(two_reports):
    with pytest.raises(ValueError, match="same environment"):
        merge_reports([two_reports[0], two_reports[0]])


def test_a_single_report_becomes_a_one_column_matrix(two_reports):
    m = as_matrix(two_reports[0])
    assert [e["name"] for e in m["environments"]] == ["env-a"]
    assert as_matrix(m) is m
    with pytest.raises(ValueError):
        as_matrix({"something": "else"})


@pytest.mark.parametrize("value, series", [
    ([1, 2.5, 3], [1.0, 2.5, 3.0]), ([1, 2], None), ([1, "a", 3], None), ([True, False, True], None), (0.9, None),
])
def test_only_lists_of_three_or_more_numbers_are_plotted(value, series):
    assert numeric_series(value) == series


def test_markdown_lists_every_claim_status_and_the_measured_values(two_reports):
    text = render_markdown(merge_reports(list(two_reports)))
    assert "| `a.one` | holds | DEVIATES (new) |" in text
    assert "| `b.four` | absent | not run |" in text
    assert "### keras3 (1)" in text and "[source](https://keras.io/x)" in text
    assert "| a.one | accuracy | 0.972155 | 0.97 | 0.5 |" in text
    assert "| env-b |" in text and "exit 1" in text


class _Collector(HTMLParser):
    """Tags that must be balanced, element counts and text, parsed as a browser's tokenizer would."""

    VOID = {"meta", "br", "input", "img", "hr", "link", "rect", "polyline", "text"}

    def __init__(self):
        super().__init__()
        self.stack, self.problems, self.rows, self.text = [], [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and "claim-row" in (attrs.get("class") or ""):
            self.rows.append(attrs["data-claim"])
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def test_the_html_page_is_balanced_self_contained_and_escapes_text(two_reports):
    page = render_html(merge_reports(list(two_reports)))
    parser = _Collector()
    parser.feed(page)
    assert not parser.problems and not parser.stack
    assert parser.rows == ["a.one", "a.two", "a.five", "b.three", "b.four"], "rows grouped by section"
    assert "Keras 3 &lt;renamed&gt; it" in page and "<renamed>" not in page
    assert not re.search(r"""(src|href)=["'](https?:)?//""", page.replace('href="https://keras.io/x"', "")), \
        "the page may link to sources, but must load nothing from the network"
    assert "<script src" not in page and "<link" not in page
    assert page.count("<svg") == 1, "one plot: the loss-per-epoch series of b.three, both environments overlaid"
    assert page.count("<polyline") == 2


def test_render_command_merges_reports_and_writes_both_files(tmp_path, two_reports):
    paths = []
    for r in two_reports:
        paths.append(tmp_path / f"{r['environment']['name']}.json")
        paths[-1].write_text(json.dumps(r))
    assert render_main([*map(str, paths), "--html", str(tmp_path / "m.html"), "--markdown", str(tmp_path / "m.md"),
                        "--matrix", str(tmp_path / "m.json")]) == 0
    assert json.loads((tmp_path / "m.json").read_text())["schema"] == SCHEMA
    assert (tmp_path / "m.html").read_text().startswith("<!DOCTYPE html>")


# ---------------------------------------------------------------- the page in a real browser

@pytest.fixture(scope="module")
def browser_ready():
    from ci.browser_check import BrowserMissing, find_browser

    try:
        find_browser()
    except BrowserMissing as exc:
        pytest.skip(f"browser test impossible here: {exc}")


@pytest.mark.timeout(120)
def test_the_page_in_headless_chromium(browser_ready, tmp_path, two_reports):
    from ci.browser_check import check_page

    m = merge_reports(list(two_reports))
    page = tmp_path / "matrix.html"
    page.write_text(render_html(m), encoding="utf-8")
    shot = tmp_path / "matrix.png"
    assert check_page(page, m, shot) == []
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.timeout(120)
def test_the_browser_check_notices_a_missing_row_a_hidden_reason_and_a_console_error(browser_ready, tmp_path, two_reports):
    from ci.browser_check import check_page

    m = merge_reports(list(two_reports))
    page = render_html(m)
    page = re.sub(r'<tr class="claim-row" id="claim-b\.three".*?</tr>', "", page, flags=re.S)
    page = page.replace('<p class="reason">', '<p class="reason" style="display:none">')
    page = page.replace("</body>", "<script>undefinedFunction();</script></body>")
    broken = tmp_path / "broken.html"
    broken.write_text(page, encoding="utf-8")
    problems = check_page(broken, m)
    assert any("claim rows: 4 shown for 5 claims" in p for p in problems), problems
    assert any("did not show its reason" in p for p in problems), problems
    assert any(p.startswith("console: SEVERE") and "undefinedFunction" in p for p in problems), problems
