"""Render a conformance matrix (or single reports) as Markdown and as one self-contained HTML page.

    python -m ci.render_report INPUT.json [INPUT.json ...] [--html=OUT.html] [--markdown=OUT.md]
                               [--matrix=OUT.json] [--baseline=OLD.json] [--benchmarks=SUMMARY.json]
                               [--deviations=OUT.md]

Inputs are per-environment conformance reports (merged; the page orders the environments by
release) or one matrix.json (from `python -m ci.matrix` or `--matrix`). `--baseline` takes an older
report or matrix: the page and the Markdown list every cell whose status, reason or measured values
changed, at the top, and mark those cells. `--deviations` writes the per-chapter deviation view of
the catalogue with where each deviation was measured (ci.deviations_doc).

The page (ci.page_html) and the Markdown put first what needs attention, then the book's sections in
the book's order × environments, the since-table, the drift by cause, the claims, the curves and how
each environment ran. Bad input (a missing file, a file of another kind, two reports of one
environment, a cause causes.toml does not define, a section that matches no heading of the book):
one line naming the file and the problem, exit status 2.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from ci import page_model as pm
from ci.page_html import machine_facts, run_facts
from ci.report_inputs import InputError, load_comparable, load_matrix, read_json
from ci.sections import SectionError

SYMBOL = {"holds": "✓", "deviates-known": "≈", "deviates-new": "✗", "error": "E", "not-run": "–", "absent": "∅"}
LEGEND = ("✓ holds · ≈ deviates (known) · ✗ DEVIATES (new) · E error · – not run · ∅ absent "
          "(the claim is not in that environment's report)")


def load_causes():
    from ci.expectations import load_causes as load

    return load()


# ----------------------------------------------------------------------------------------- Markdown

def md(text) -> str:
    """Text for a Markdown table cell or list item: HTML and Markdown syntax escaped, `|` escaped,
    line breaks as <br>."""
    text = "" if text is None else str(text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub(r"([\\`*_\[\]|~#!])", r"\\\1", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    return text.replace("\n", "<br>")


def md_code(text) -> str:
    """An identifier as inline code (ids never hold backticks or pipes; escaped anyway)."""
    return "`" + str(text).replace("`", "'").replace("|", "\\|") + "`"


def md_link(url: str | None, text: str = "source") -> str:
    if not url:
        return ""
    if url.startswith(("http://", "https://")):
        return f"[{md(text)}](<{url.replace('>', '%3E').replace(' ', '%20')}>)"
    return md(url)


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        assert len(row) == len(header), (header, row)
        lines.append("| " + " | ".join(cell if cell != "" else " " for cell in row) + " |")
    return lines + [""]


def _short(text: str, limit: int) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else text[:limit].rstrip() + " …"


def _tally_md(tally: dict[str, int]) -> str:
    return " ".join(f"{SYMBOL[s]}{n}" for s in pm.ALL_STATUSES if (n := tally.get(s, 0))) or "—"


def render_markdown(matrix: dict, causes: dict | None = None, baseline: dict | None = None,
                    baseline_name: str = "") -> str:
    causes = load_causes() if causes is None else causes
    envs = pm.environments(matrix)
    names = [x.name for x in envs]
    release_order, since_rows, since_problems = pm.since_table(matrix, envs)
    attention = pm.needs_attention(matrix, envs, since_problems)
    span = envs[0].release if envs and envs[0].release == envs[-1].release else (
        f"{envs[0].release} to {envs[-1].release}" if envs else "")
    out = ["# handbook-spec conformance", "",
           f"{len(matrix['claims'])} claims of the handbook × {len(envs)} environment{'s' if len(envs) != 1 else ''} "
           f"(TensorFlow {span}); "
           f"created {md(matrix.get('created'))}" + (f"; compared with {md(baseline_name)}" if baseline is not None else "")
           + ".", ""]

    out += ["## Needs attention", ""]
    if not attention:
        out += ["✓ Nothing needs attention: no new deviation, error, crashed test, stale expectation or failed "
                "environment.", ""]
    for kind, title in pm.ATTENTION_TITLES.items():
        mine = [i for i in attention if i.kind == kind]
        if mine:
            out += [f"### {md(title)} ({len(mine)})", ""]
            for item in mine:
                where = pm.describe_environments(item.environments, envs) if item.environments else ""
                head = " ".join(p for p in (md_code(item.claim) if item.claim else "",
                                            f"({md(item.section)})" if item.section else "",
                                            f"in {md(where)}" if where else "") if p)
                out.append(f"- {head}: {md(_short(item.reason, 400))}")
            out.append("")

    if baseline is not None:
        found = pm.changes(baseline, matrix)
        out += [f"## Changed since the baseline ({len(found)} cells)", "", f"Baseline: {md(baseline_name)}.", ""]
        if not found:
            out += ["No cell's status, reason or measured values changed.", ""]
        for c in found:
            env = c.environment if c.environment == c.baseline_environment else f"{c.baseline_environment} → {c.environment}"
            bits = []
            if "status" in c.kinds:
                bits.append(f"{md(c.old_status)} → **{md(c.new_status)}**")
            if c.reason_diff is not None:
                bits.append("reason: " + md(_short(c.reason_diff, 500)))
            for name, old, new in c.measured:
                bits.append(f"{md(name)}: {md(_short(pm.fmt_value(old), 120))} → {md(_short(pm.fmt_value(new), 120))}")
            out.append(f"- {md_code(c.claim)} in {md(env)}: " + "; ".join(bits))
        out.append("")

    out += ["## Overview: the handbook's sections × environments", "", LEGEND + ".", ""]
    body = [[f"**all claims** ({len(matrix['claims'])})"] + [_tally_md(pm.counts(matrix["claims"], n)) for n in names]]
    for r in pm.outline(matrix):
        indent = "&nbsp;&nbsp;" * r.depth
        title = f"**{md(r.title)}**" if r.kind == "chapter" else md(r.title)
        body.append([f"{indent}{title} ({len(r.claims)})"] + [_tally_md(pm.counts(r.claims, n)) for n in names])
    out += table(["section"] + [md(n) for n in names], body)

    out += ["## Since when: deviations × releases", ""]
    if len(release_order) < 2:
        out += [f"This run covers one release ({md(', '.join(release_order))}): since when each deviation appears "
                "needs reports of several releases (`python -m ci.matrix`).", ""]
    elif not since_rows:
        out += ["No claim deviates in any release of this matrix.", ""]
    else:
        out += ["One row per deviation; each cell the status in that release's environments, in the order "
                + "; ".join(f"{md(rel)}: {md(', '.join(x.label for x in members))}" for rel, members in pm.releases(envs))
                + f". **since** marks the first release where the deviation appears. {LEGEND}.", ""]
        body = []
        for row in since_rows:
            cause = causes.get(row.cause).title if row.cause in causes else ("not in the catalogue" if not row.catalogued else "")
            target = row.notes or row.source
            cells = []
            for rel in release_order:
                text = "".join(SYMBOL.get(c["status"], "?") for c in row.cells.get(rel, []))
                cells.append(f"**{text} since**" if rel == row.first_deviating else text)
            claim_cell = md_code(row.claim) + (" " + md_link(target, "notes" if row.notes else "source") if target else "")
            if row.problems:
                claim_cell += " ⚠ disagrees with the catalogue"
            body.append([claim_cell, md(row.section), md(cause), md(row.when)] + cells)
        out += table(["claim", "section", "cause", "when"] + [md(r) for r in release_order], body)

    out += ["## Drift: why claims deviate, by cause", ""]
    groups = pm.drift(matrix, envs, causes)
    if not groups:
        out += ["No claim deviates in any environment.", ""]
    for cause, entries in groups:
        if cause is None:
            out += [f"### Not explained by the catalogue ({len({x.claim for x in entries})} claims)", ""]
        else:
            out += [f"### {md(cause.title)} · {md(cause.title_zh)} ({len({x.claim for x in entries})} claims)", "",
                    md(cause.explanation), "", md(cause.explanation_zh), ""]
        out += table(["section", "claim", "where", "reason", "source"], [
            [md(x.section), md_code(x.claim) + (" **NEW**" if "deviates-new" in x.statuses.values() else ""),
             md(pm.describe_environments(list(x.statuses), envs)), md(_short(x.reason, 600)), md_link(x.source)]
            for x in entries])

    out += ["## How it ran", ""]
    facts = [(x, run_facts(x, matrix)) for x in envs]
    if facts:
        keys = list(facts[0][1])
        out += table(["environment"] + [md(k) for k in keys], [[md(x.name)] + [md(f[k]) for k in keys] for x, f in facts])
    machines: dict[str, tuple[dict, list[str]]] = {}
    for x in envs:
        m = machine_facts(x)
        if m is not None:
            machines.setdefault(json.dumps(m, sort_keys=True), (m, []))[1].append(x.name)
    if machines:
        keys = list(next(iter(machines.values()))[0])
        out += ["### The machine", ""]
        out += table(["environments"] + [md(k) for k in keys],
                     [[md(pm.describe_environments(where, envs))] + [md(m[k]) for k in keys] for m, where in machines.values()])

    measured = []
    for section, claims in pm.claims_by_section(matrix):
        for claim in claims:
            for row in pm.measured_rows(claim, names):
                if row["handbook"] is None:
                    continue
                for value, where in pm.group_values(row["values"]):
                    verdict = pm.book_comparison(value, row["handbook"])
                    mark = {"differs": "≠ ", "printed-precision": "≈ "}.get(verdict or "", "")
                    measured.append([md_code(claim["id"]), md(row["name"]), md(_short(pm.fmt_value(row["handbook"]), 300)),
                                     mark + md(_short(pm.fmt_value(value), 300)), md(pm.describe_environments(where, envs))])
    if measured:
        out += ["## Measured values next to the book's", "",
                "≠ differs from the book; ≈ rounds to the book's printed digits. Numbers have every digit measured.", ""]
        out += table(["claim", "measured", "the book", "value", "where"], measured)

    if matrix.get("benchmarks"):
        out += ["## Performance", "", "```json", json.dumps(matrix["benchmarks"].get("ratios", matrix["benchmarks"]),
                                                            indent=1), "```", ""]

    out += ["## Claims", "", LEGEND + ".", ""]
    many = len(envs) > 6
    for section, claims in pm.claims_by_section(matrix):
        out += [f"### {md(section)}", ""]
        out += table(["claim"] + [md(n) for n in names], [
            [md_code(c["id"])] + [(SYMBOL if many else pm.SHORT).get(c["results"][n]["status"], md(c["results"][n]["status"]))
                                  for n in names] for c in claims])
    return "\n".join(out).rstrip() + "\n"


# --------------------------------------------------------------------------------------------- files

def render_html(matrix: dict, causes: dict | None = None, baseline: dict | None = None, baseline_name: str = "") -> str:
    from ci.page_html import render_html as page

    return page(matrix, load_causes() if causes is None else causes, baseline, baseline_name)


def write_renderings(matrix: dict, markdown: Path | None, html_path: Path | None, baseline: dict | None = None,
                     baseline_name: str = "", causes: dict | None = None) -> list[Path]:
    """Write the Markdown and the page (either may be None). ci.matrix calls this after a run;
    `baseline` (a matrix, e.g. the committed reference) adds what changed since."""
    causes = load_causes() if causes is None else causes
    written = []
    if markdown is not None:
        markdown.write_text(render_markdown(matrix, causes, baseline, baseline_name), encoding="utf-8")
        written.append(markdown)
    if html_path is not None:
        html_path.write_text(render_html(matrix, causes, baseline, baseline_name), encoding="utf-8")
        written.append(html_path)
    return written


def _fail(message: str) -> int:
    print(f"ci.render_report: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ci.render_report", description=__doc__.split("\n\n")[0])
    parser.add_argument("inputs", nargs="+", type=Path, help="conformance reports, or one matrix.json")
    parser.add_argument("--html", type=Path)
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--matrix", type=Path, help="also write the merged matrix JSON here")
    parser.add_argument("--baseline", type=Path, help="an older report or matrix JSON: mark and list what changed")
    parser.add_argument("--benchmarks", type=Path, help="benchmark summary JSON for the performance section")
    parser.add_argument("--deviations", type=Path,
                        help="also write the per-chapter deviation view (ci.deviations_doc) with where each deviates")
    options = parser.parse_args(argv)
    try:
        from ci.expectations import ExpectationsError

        try:
            causes = load_causes()
        except ExpectationsError as exc:
            return _fail(f"ci/expectations/causes.toml: {exc}")
        matrix = load_matrix(options.inputs, causes)
        baseline = None
        if options.baseline is not None:
            baseline = load_comparable(options.baseline, causes)
            if not pm.pair_environments(baseline, matrix):
                raise InputError(f"{options.baseline}: the baseline shares no environment with the inputs "
                                 f"({', '.join(e['name'] for e in baseline['environments'])} vs "
                                 f"{', '.join(e['name'] for e in matrix['environments'])})")
        if options.benchmarks:
            benchmarks = read_json(options.benchmarks)
            if not isinstance(benchmarks, dict):
                raise InputError(f"{options.benchmarks}: not a benchmark summary (a JSON object)")
            matrix["benchmarks"] = benchmarks
        baseline_name = str(options.baseline) if options.baseline else ""
        try:
            markdown = render_markdown(matrix, causes, baseline, baseline_name)
            page = render_html(matrix, causes, baseline, baseline_name) if options.html else None
        except SectionError as exc:
            return _fail(f"{', '.join(map(str, options.inputs))}: {exc}")
        except ExpectationsError as exc:
            return _fail(f"the expectations catalogue: {exc}")
        if options.deviations:
            from ci.deviations_doc import render as render_deviations

            options.deviations.write_text(render_deviations(matrix), encoding="utf-8")
    except InputError as exc:
        return _fail(str(exc))
    written = []
    try:
        if options.matrix:
            options.matrix.write_text(json.dumps(matrix, indent=1, ensure_ascii=False), encoding="utf-8")
            written.append(options.matrix)
        if options.markdown:
            options.markdown.write_text(markdown, encoding="utf-8")
            written.append(options.markdown)
        if options.html:
            options.html.write_text(page, encoding="utf-8")
            written.append(options.html)
    except OSError as exc:
        return _fail(f"{exc.filename}: cannot write it ({exc.strerror})")
    if not (options.html or options.markdown or options.matrix):
        sys.stdout.write(markdown)
    for path in written + ([options.deviations] if options.deviations else []):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
