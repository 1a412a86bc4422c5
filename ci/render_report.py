"""Render a conformance matrix (or single reports) as Markdown and as one self-contained HTML page.

    python -m ci.render_report REPORT.json [REPORT.json ...] [--html OUT.html] [--markdown OUT.md]
                               [--benchmarks SUMMARY.json]

Inputs are per-environment conformance reports (merged in the order given) or one matrix.json from
`python -m ci.matrix`. The HTML page has no external resources (inline CSS, SVG and a few lines of
script), so it works opened from a file: claims grouped by handbook section, one column per
environment, a status cell per claim whose details (reason, source, tests, measured values) open on
a click, a drift summary on top, and line plots of every measured series (training curves).
"""
from __future__ import annotations

import argparse
import html
import json
import sys
from pathlib import Path

from ci.matrix_report import ABSENT, DEVIATING, as_matrix, merge_reports, numeric_series

STATUS_ORDER = ("holds", "deviates-known", "deviates-new", "error", "not-run", ABSENT)
STATUS_LABEL = {
    "holds": "holds", "deviates-known": "deviates (known)", "deviates-new": "DEVIATES (new)",
    "error": "ERROR", "not-run": "not run", ABSENT: "absent",
}
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def grouped_by_section(claims: list[dict]) -> list[tuple[str, list[dict]]]:
    """Sections in the order their first claim appears (the catalogue's order)."""
    groups: dict[str, list[dict]] = {}
    for claim in claims:
        groups.setdefault(claim["section"], []).append(claim)
    return list(groups.items())


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):
        if numeric_series(value) is not None and len(value) > 8:
            return f"[{_fmt(value[0])}, …, {_fmt(value[-1])}] ({len(value)} values)"
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return str(value)


def measured_rows(matrix: dict) -> list[dict]:
    """(claim, name, handbook, value per environment) for every measured value, plot-worthy or not."""
    names = [e["name"] for e in matrix["environments"]]
    rows: dict[tuple[str, str], dict] = {}
    for claim in matrix["claims"]:
        for env in names:
            for m in claim["results"][env].get("measured", []):
                row = rows.setdefault((claim["id"], m["name"]), {
                    "claim": claim["id"], "section": claim["section"], "name": m["name"],
                    "handbook": m.get("handbook"), "values": {}, "notes": set(),
                })
                row["values"][env] = m["value"]
                if m.get("handbook") is not None:
                    row["handbook"] = m["handbook"]
                if m.get("note"):
                    row["notes"].add(m["note"])
    return list(rows.values())


def run_verdict(environment: dict) -> str:
    """'passed', 'exit N' or '—', with the matrix command's problem if it had one."""
    status = environment.get("pytest_exit_status")
    verdict = "passed" if status == 0 else (f"exit {status}" if status is not None else "—")
    return verdict + (f" ({environment['problem']})" if environment.get("problem") else "")


# ----------------------------------------------------------------------------------------- Markdown

def render_markdown(matrix: dict) -> str:
    envs = matrix["environments"]
    names = [e["name"] for e in envs]
    out = ["# handbook-spec conformance", "", f"Created {matrix['created']}; {len(matrix['claims'])} claims "
           f"× {len(envs)} environments.", "", "## Environments", "",
           "| environment | tensorflow | keras | numpy | " + " | ".join(STATUS_ORDER[:5]) + " | pytest | seconds |",
           "|---" * 11 + "|"]
    for e in envs:
        fp, s = e.get("fingerprint", {}), e.get("summary", {})
        verdict = run_verdict(e)
        out.append(f"| {e['name']} | {fp.get('tensorflow', '—')} | {fp.get('keras', '—')} ({fp.get('keras_flavour', '—')}) "
                   f"| {fp.get('numpy', '—')} | " + " | ".join(str(s.get(k, 0)) for k in STATUS_ORDER[:5])
                   + f" | {verdict} | {e.get('seconds') if e.get('seconds') is not None else '—'} |")
    out += ["", "## Drift: claims that deviate somewhere, by cause", ""]
    if not matrix["drift"]:
        out.append("No claim deviates in any environment.")
    for group in matrix["drift"]:
        out += [f"### {group['cause']} ({len(group['claims'])})", ""]
        for entry in group["claims"]:
            source = f" [source]({entry['source']})" if entry.get("source") else ""
            out.append(f"- **{entry['claim']}** in {', '.join(entry['environments'])}: {entry['reason']}{source}")
        out.append("")
    rows = measured_rows(matrix)
    if rows:
        out += ["## Measured values next to the handbook's", "",
                "| claim | measured | handbook | " + " | ".join(names) + " |", "|---" * (3 + len(names)) + "|"]
        for r in rows:
            cells = [_fmt(r["values"][n]) if n in r["values"] else "—" for n in names]
            out.append(f"| {r['claim']} | {r['name']} | {_fmt(r['handbook']) if r['handbook'] is not None else ''} | "
                       + " | ".join(cells) + " |")
        out.append("")
    if matrix.get("benchmarks"):
        out += ["## Performance", "", "```json", json.dumps(matrix["benchmarks"].get("ratios", matrix["benchmarks"]),
                                                            indent=1), "```", ""]
    out += ["## Claims", ""]
    for section, claims in grouped_by_section(matrix["claims"]):
        out += [f"### {section}", "", "| claim | " + " | ".join(names) + " |", "|---" * (1 + len(names)) + "|"]
        for c in claims:
            cells = [STATUS_LABEL.get(c["results"][n]["status"], c["results"][n]["status"]) for n in names]
            out.append(f"| `{c['id']}` | " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


# --------------------------------------------------------------------------------------------- HTML

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:1400px;padding:0 1em;color:#222}
h1{margin-bottom:.2em} h2{margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;margin:.5em 0 1.2em}
th,td{border:1px solid #ddd;padding:4px 6px;vertical-align:top;text-align:left}
th{background:#f4f4f4} td.claim-id{width:40%} td.claim-id code{font-size:12px} .statement{color:#555;font-size:12px}
.cell summary{cursor:pointer;font-weight:600;list-style:none} .cell summary::-webkit-details-marker{display:none}
.s-holds{background:#e7f6e7} .s-deviates-known{background:#fff4d6} .s-deviates-new{background:#fbd5d5}
.s-error{background:#f3b6b6} .s-not-run{background:#f0f0f0;color:#666} .s-absent{background:#fafafa;color:#999}
.detail{font-size:12px;margin-top:4px;max-width:38em} .detail p{margin:.2em 0} .mono{font-family:monospace;font-size:11px;word-break:break-all}
.drift li{margin:.3em 0} .legend span{display:inline-block;padding:2px 8px;margin-right:6px;border:1px solid #ddd}
.plots{display:flex;flex-wrap:wrap;gap:12px} figure{margin:0;border:1px solid #ddd;padding:6px}
figcaption{font-size:12px;max-width:340px} .controls{margin:.8em 0}
tr.hidden{display:none}
"""

SCRIPT = """
(function(){
  var box=document.getElementById('only-deviating');
  function apply(){
    var rows=document.querySelectorAll('tr.claim-row');
    for(var i=0;i<rows.length;i++){
      var r=rows[i];
      r.classList.toggle('hidden', box.checked && r.getAttribute('data-deviates')!=='yes');
    }
  }
  box.addEventListener('change',apply);
  document.getElementById('expand-all').addEventListener('click',function(){
    var d=document.querySelectorAll('td.cell details');
    var open=this.getAttribute('data-open')!=='yes';
    for(var i=0;i<d.length;i++){d[i].open=open;}
    this.setAttribute('data-open',open?'yes':'no');
    this.textContent=open?'collapse all cells':'expand all cells';
  });
  apply();
})();
"""


def e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _link(url: str | None) -> str:
    if not url:
        return ""
    if url.startswith(("http://", "https://")):
        return f'<a href="{e(url)}">{e(url)}</a>'
    return e(url)


def _cell_html(claim: dict, env: str) -> str:
    cell = claim["results"][env]
    status = cell["status"]
    parts = []
    if cell.get("reason"):
        parts.append(f'<p class="reason"><b>Reason:</b> {e(cell["reason"])}</p>')
    if cell.get("source"):
        parts.append(f'<p class="source"><b>Source:</b> {_link(cell["source"])}</p>')
    if cell.get("cause"):
        parts.append(f'<p><b>Cause:</b> {e(cell["cause"])}</p>')
    for m in cell.get("measured", []):
        book = f' (handbook: {e(_fmt(m["handbook"]))})' if m.get("handbook") is not None else ""
        parts.append(f'<p><b>{e(m["name"])}:</b> {e(_fmt(m["value"]))}{book}</p>')
    for t in cell.get("tests", []):
        message = f' — {e((t.get("message") or "")[:400])}' if t.get("message") else ""
        parts.append(f'<p class="mono">{e(t.get("outcome"))}: {e(t.get("nodeid"))}{message}</p>')
    if not parts:
        parts.append("<p>No details.</p>")
    return (f'<td class="cell s-{e(status)}" data-env="{e(env)}" data-status="{e(status)}">'
            f'<details><summary>{e(STATUS_LABEL.get(status, status))}</summary>'
            f'<div class="detail">{"".join(parts)}</div></details></td>')


def svg_plot(series: dict[str, list[float]], colours: dict[str, str], width=340, height=180) -> str:
    """A line plot of one measured series per environment, axes labelled with min/max."""
    values = [v for s in series.values() for v in s]
    lo, hi = min(values), max(values)
    if hi == lo:
        hi, lo = hi + 0.5, lo - 0.5
    longest = max(len(s) for s in series.values())
    left, right, top, bottom = 48, 8, 8, 22
    w, h = width - left - right, height - top - bottom

    def xy(i, v):
        x = left + (w * i / (longest - 1) if longest > 1 else 0)
        y = top + h * (1 - (v - lo) / (hi - lo))
        return f"{x:.1f},{y:.1f}"

    lines = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">',
             f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="none" stroke="#999"/>',
             f'<text x="{left - 4}" y="{top + 10}" font-size="10" text-anchor="end">{e(f"{hi:.4g}")}</text>',
             f'<text x="{left - 4}" y="{top + h}" font-size="10" text-anchor="end">{e(f"{lo:.4g}")}</text>',
             f'<text x="{left}" y="{height - 6}" font-size="10">0</text>',
             f'<text x="{left + w}" y="{height - 6}" font-size="10" text-anchor="end">{longest - 1}</text>']
    for env, s in series.items():
        points = " ".join(xy(i, v) for i, v in enumerate(s))
        lines.append(f'<polyline fill="none" stroke="{colours[env]}" stroke-width="1.5" points="{points}">'
                     f'<title>{e(env)}</title></polyline>')
    lines.append("</svg>")
    return "".join(lines)


def render_html(matrix: dict) -> str:
    envs = matrix["environments"]
    names = [x["name"] for x in envs]
    colours = {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}
    body = [f"<h1>handbook-spec conformance</h1><p>Created {e(matrix['created'])}: "
            f"{len(matrix['claims'])} claims × {len(envs)} environments.</p>"]

    body.append("<h2>Environments</h2><table id=\"environments\"><tr><th>environment</th><th>tensorflow</th>"
                "<th>keras</th><th>numpy</th><th>python</th>"
                + "".join(f"<th>{e(s)}</th>" for s in STATUS_ORDER[:5]) + "<th>pytest</th><th>seconds</th></tr>")
    for x in envs:
        fp, s = x.get("fingerprint", {}), x.get("summary", {})
        verdict = run_verdict(x)
        body.append(f"<tr><td><span style=\"color:{colours[x['name']]}\">■</span> <b>{e(x['name'])}</b>"
                    f"<div class=\"statement\">{e(x.get('description'))}</div></td>"
                    f"<td>{e(fp.get('tensorflow', '—'))}</td><td>{e(fp.get('keras', '—'))} ({e(fp.get('keras_flavour', '—'))})</td>"
                    f"<td>{e(fp.get('numpy', '—'))}</td><td>{e(fp.get('python', '—'))}</td>"
                    + "".join(f"<td>{e(s.get(k, 0))}</td>" for k in STATUS_ORDER[:5])
                    + f"<td>{e(verdict)}</td><td>{e(x.get('seconds') if x.get('seconds') is not None else '—')}</td></tr>")
    body.append("</table>")

    body.append('<h2 id="drift">Drift: claims that deviate somewhere, by cause</h2>')
    if not matrix["drift"]:
        body.append("<p>No claim deviates in any environment.</p>")
    for group in matrix["drift"]:
        body.append(f'<h3>{e(group["cause"])} ({len(group["claims"])})</h3><ul class="drift">')
        for entry in group["claims"]:
            source = f' <span class="source">[{_link(entry.get("source"))}]</span>' if entry.get("source") else ""
            body.append(f'<li><a href="#claim-{e(entry["claim"])}"><code>{e(entry["claim"])}</code></a> in '
                        f'{e(", ".join(entry["environments"]))}: {e(entry["reason"])}{source}</li>')
        body.append("</ul>")

    if matrix.get("benchmarks"):
        body.append('<h2 id="performance">Performance</h2>' + _benchmarks_html(matrix["benchmarks"]))

    rows = measured_rows(matrix)
    plots = []
    for r in rows:
        series = {env: numeric_series(v) for env, v in r["values"].items()}
        series = {env: s for env, s in series.items() if s is not None}
        if series:
            caption = f'{r["claim"]}: {r["name"]}' + (f' ({"; ".join(sorted(r["notes"]))})' if r["notes"] else "")
            plots.append(f'<figure>{svg_plot(series, colours)}<figcaption>{e(caption)}</figcaption></figure>')
    if plots:
        body.append('<h2 id="curves">Measured curves</h2><div class="plots">' + "".join(plots) + "</div>")
    scalar_rows = [r for r in rows if not any(numeric_series(v) for v in r["values"].values())]
    if scalar_rows:
        body.append('<h2 id="measured">Measured values next to the handbook\'s</h2><table id="measured-values">'
                    "<tr><th>claim</th><th>measured</th><th>handbook</th>" + "".join(f"<th>{e(n)}</th>" for n in names)
                    + "</tr>")
        for r in scalar_rows:
            body.append(f'<tr><td><a href="#claim-{e(r["claim"])}"><code>{e(r["claim"])}</code></a></td>'
                        f'<td>{e(r["name"])}</td><td>{e(_fmt(r["handbook"]) if r["handbook"] is not None else "")}</td>'
                        + "".join(f"<td>{e(_fmt(r['values'][n])) if n in r['values'] else '—'}</td>" for n in names)
                        + "</tr>")
        body.append("</table>")

    body.append('<h2 id="claims">Claims</h2><div class="legend">'
                + "".join(f'<span class="s-{s}">{e(STATUS_LABEL[s])}</span>' for s in STATUS_ORDER)
                + '</div><div class="controls"><label><input type="checkbox" id="only-deviating"> only claims that '
                  'deviate or err somewhere</label> <button type="button" id="expand-all">expand all cells</button></div>')
    body.append('<table id="claims-table">')
    header = "<tr><th>claim</th>" + "".join(f'<th class="env" data-env="{e(n)}">{e(n)}</th>' for n in names) + "</tr>"
    for section, claims in grouped_by_section(matrix["claims"]):
        body.append(f'<tr class="section"><th colspan="{1 + len(names)}">{e(section)}</th></tr>{header}')
        for c in claims:
            deviates = any(c["results"][n]["status"] in DEVIATING + ("error",) for n in names)
            book = f'<div class="statement">handbook: {e(c["handbook"])}</div>' if c.get("handbook") else ""
            body.append(f'<tr class="claim-row" id="claim-{e(c["id"])}" data-claim="{e(c["id"])}" '
                        f'data-deviates="{"yes" if deviates else "no"}"><td class="claim-id"><code>{e(c["id"])}</code>'
                        f'<div class="statement">{e(c["statement"])}</div>{book}</td>'
                        + "".join(_cell_html(c, n) for n in names) + "</tr>")
    body.append("</table>")
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>handbook-spec conformance</title>"
            f"<style>{CSS}</style></head><body>{''.join(body)}<script>{SCRIPT}</script></body></html>\n")


def _benchmarks_html(benchmarks: dict) -> str:
    ratios = benchmarks.get("ratios")
    if isinstance(ratios, dict) and ratios:
        rows = "".join(f"<tr><td>{e(k)}</td><td>{e(_fmt(v) if not isinstance(v, dict) else json.dumps(v))}</td></tr>"
                       for k, v in ratios.items())
        return f'<table id="benchmark-ratios"><tr><th>ratio</th><th>value</th></tr>{rows}</table>'
    return f"<pre>{e(json.dumps(benchmarks, indent=1))}</pre>"


def write_renderings(matrix: dict, markdown: Path | None, html_path: Path | None) -> list[Path]:
    written = []
    if markdown is not None:
        markdown.write_text(render_markdown(matrix), encoding="utf-8")
        written.append(markdown)
    if html_path is not None:
        html_path.write_text(render_html(matrix), encoding="utf-8")
        written.append(html_path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("inputs", nargs="+", type=Path, help="conformance reports, or one matrix.json")
    parser.add_argument("--html", type=Path)
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--matrix", type=Path, help="also write the merged matrix JSON here")
    parser.add_argument("--benchmarks", type=Path, help="benchmark summary JSON for the performance section")
    options = parser.parse_args(argv)
    documents = [json.loads(p.read_text(encoding="utf-8")) for p in options.inputs]
    if len(documents) == 1:
        matrix = as_matrix(documents[0])
    else:
        matrix = merge_reports(documents)
    if options.benchmarks:
        matrix["benchmarks"] = json.loads(options.benchmarks.read_text(encoding="utf-8"))
    if options.matrix:
        options.matrix.write_text(json.dumps(matrix, indent=1, ensure_ascii=False), encoding="utf-8")
    if not (options.html or options.markdown):
        sys.stdout.write(render_markdown(matrix))
    for path in write_renderings(matrix, options.markdown, options.html):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
