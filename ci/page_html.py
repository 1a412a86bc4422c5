"""The conformance page: one self-contained HTML file (inline CSS, SVG and a little script; nothing
loaded from the network), laid out for a reader of the handbook and a maintainer watching CI:

1. Needs attention: new deviations, errors, crashed tests, stale expectations (one line when none).
2. What changed since the baseline (with --baseline).
3. The overview: the book's sections in the book's order × environments, counts and a bar per cell.
4. Since when: deviations × releases, caniuse-style.
5. Drift, grouped by the causes of causes.toml, each defined once (English and Chinese).
6. The claims, one line each, expandable, with filters and a search box.
7. Curves (series only), how each environment ran, the machine, benchmarks.

Rendered by ci.render_report; checked in headless Chromium by ci.browser_check.
"""
from __future__ import annotations

import hashlib
import html
import json
import re

from ci import page_model as pm
from ci import sections as book_sections
from ci.matrix_report import ABSENT, DEVIATING

LANG_ZH = ' lang="zh-CN"'
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
           "#7f7f7f", "#393b79", "#ad494a", "#637939", "#7b4173", "#e6550d", "#3182bd", "#31a354", "#756bb1",
           "#636363", "#843c39")
WIDE_GRID = 6   # up to this many environments, a grid cell spells out its counts


def e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def has_cjk(text: str | None) -> bool:
    return any("\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" for ch in text or "")


def lang_attr(text: str | None) -> str:
    return LANG_ZH if has_cjk(text) else ""


def link(url: str | None, text: str | None = None) -> str:
    if not url:
        return ""
    if url.startswith(("http://", "https://")):
        return f'<a href="{e(url)}" rel="noreferrer">{e(text or url)}</a>'
    return e(text or url)


def page_identity(matrix: dict) -> str:
    """What the page was rendered from: environments (name, when its report was written) and every
    cell's status. ci.browser_check compares it with the JSON it is given."""
    digest = hashlib.sha256()
    for env in matrix["environments"]:
        digest.update(f"{env['name']}\t{env.get('created')}\n".encode())
    for claim in matrix["claims"]:
        digest.update(claim["id"].encode())
        for name in sorted(claim["results"]):
            digest.update(f"\t{name}={claim['results'][name]['status']}".encode())
        digest.update(b"\n")
    return digest.hexdigest()[:20]


# --------------------------------------------------------------------------------------------- CSS

CSS = """
:root{--holds:#2e8540;--known:#e0a100;--new:#d62d20;--error:#8e24aa;--notrun:#b8b8b8;--absent:#fff;
--holds-bg:#e3f4e6;--known-bg:#fdf1cf;--new-bg:#fbd9d6;--error-bg:#eed6f3;--notrun-bg:#f0f0f0;--line:#d9d9d9;--ink:#1d1d1d;--muted:#5f6368}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;color:var(--ink);background:#fff;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Hiragino Sans GB","Microsoft YaHei","WenQuanYi Micro Hei",sans-serif}
:lang(zh){font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Hiragino Sans GB","Microsoft YaHei","WenQuanYi Micro Hei",system-ui,sans-serif}
code,pre,.mono,pre:lang(zh),code:lang(zh){font-family:ui-monospace,"DejaVu Sans Mono","Cascadia Mono",Menlo,Consolas,"Noto Sans Mono CJK SC","Noto Sans CJK SC",monospace;font-size:12.5px}
pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:.2em 0;padding:4px 6px;background:#f7f7f7;border:1px solid #eee;border-radius:3px;max-height:24em;overflow-y:auto}
main{max-width:1400px;margin:0 auto;padding:12px 16px 48px;overflow-wrap:break-word}
a{color:#0b57d0}
h1{font-size:22px;margin:4px 0 2px} h2{font-size:18px;margin:28px 0 8px;padding-bottom:3px;border-bottom:2px solid #e4e4e4}
h3{font-size:15px;margin:16px 0 6px} h4{font-size:14px;margin:12px 0 4px}
.erratum{border:1px solid var(--line);border-radius:3px;margin:4px 0;padding:4px 8px}
.erratum summary{cursor:pointer} .erratum-failing{border:2px solid var(--new);background:var(--new-bg)}
.fix-badge{display:inline-block;font-size:11px;padding:0 5px;margin:1px 2px;border-radius:8px;border:1px solid var(--line)}
.fix-fixed{background:var(--holds-bg)} .fix-fix-fails{background:var(--new);color:#fff;font-weight:600}
.fix-no-fix,.fix-fix-not-run,.fix-fix-missing,.fix-none{background:var(--notrun-bg)}
.meta,.muted{color:var(--muted)} .small{font-size:12px}
nav.toc{font-size:13px;margin:4px 0 6px;display:flex;flex-wrap:wrap;gap:2px 14px}
.legend{display:flex;flex-wrap:wrap;gap:4px 12px;font-size:12px;margin:4px 0}
.legend span{display:inline-flex;align-items:center;gap:4px}
.sw{display:inline-block;width:12px;height:12px;border-radius:2px;border:1px solid rgba(0,0,0,.15);vertical-align:-2px}
.s-holds{--c:var(--holds);--b:var(--holds-bg)} .s-deviates-known{--c:var(--known);--b:var(--known-bg)}
.s-deviates-new{--c:var(--new);--b:var(--new-bg)} .s-error{--c:var(--error);--b:var(--error-bg)}
.s-not-run{--c:var(--notrun);--b:var(--notrun-bg)} .s-absent{--c:#fff;--b:#fff}
.sw,.bar i,.strip .cell,.stripe{background:var(--c)}
.s-absent.sw,.strip .cell.s-absent,.stripe.s-absent{background:repeating-linear-gradient(45deg,#fff 0 3px,#ddd 3px 5px)}
.badge{display:inline-block;padding:0 6px;border-radius:9px;font-size:12px;font-weight:600;background:var(--b);color:#222;border:1px solid var(--c);white-space:nowrap}
.scroll{overflow-x:auto;max-width:100%;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse}
.plain th,.plain td{border:1px solid var(--line);padding:3px 6px;text-align:left;vertical-align:top}
.plain th{background:#f5f5f5;font-weight:600}
#how-table th,#how-table td{white-space:nowrap} #how-table td.wrap{white-space:normal;min-width:22em}
#how-table tbody th{position:sticky;left:0;z-index:1}
/* needs attention */
#attention{border:2px solid var(--new);border-radius:6px;padding:6px 12px;margin:10px 0;background:#fff7f6}
#attention.clear{border-color:var(--holds);background:#f3faf4}
#attention h2{border:0;margin:4px 0;font-size:16px} #attention h3{margin:8px 0 2px;font-size:14px}
#attention .attlist{max-height:30vh;overflow-y:auto;border-top:1px solid #f1dcda}
#attention ul{margin:0;padding:0;list-style:none}
#attention h2 a{color:var(--new)}
#attention li{padding:2px 0;border-top:1px solid #f1dcda}
#attention .ok{margin:2px 0;font-weight:600;color:var(--holds)}
details.item>summary{cursor:pointer;overflow-wrap:anywhere;white-space:normal}
.why{color:#333;font-size:13px;white-space:pre-wrap;overflow-wrap:anywhere}
.one-line{display:inline}
.sec-name{color:var(--muted);font-size:12.5px}
/* changes */
#changes{border:1px solid #9fb9e8;border-radius:6px;padding:4px 12px;background:#f5f8fe}
#changes h2{border:0;font-size:16px;margin:4px 0} #changes p{margin:2px 0}
#changes ul{max-height:18vh;overflow-y:auto;margin:0;padding:0;list-style:none} #changes li{border-top:1px solid #dfe7f7}
del{background:#fbd9d6;text-decoration:line-through} ins{background:#d9f2dc;text-decoration:none}
/* the overview grid */
.grid{font-size:12.5px}
.grid th,.grid td{border-bottom:1px solid #eee;padding:2px 3px}
.grid thead th{position:sticky;top:0;background:#fff;z-index:1}
.grid .rel{text-align:center;border-left:2px solid #fff;background:#f1f3f4;font-weight:600;padding:2px 4px}
.grid th.env{font-weight:500;color:#333;vertical-align:bottom;height:auto}
.grid.many th.env{height:96px;padding:2px 0}
.grid.many th.env span{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;display:inline-block;font-size:11.5px}
.grid th.name{text-align:left;font-weight:400;position:sticky;left:0;background:#fff;z-index:2;min-width:11em;max-width:24em}
.grid thead th.name{z-index:3}
.grid tr.chapter th.name{font-weight:700;padding-top:8px} .grid tr.total th.name{font-weight:700}
.grid tr.d1 th.name{padding-left:1.1em} .grid tr.d2 th.name{padding-left:2.2em}
.grid tr.group th.name{color:#333}
.grid tr:hover td,.grid tr:hover th.name{background:#f6f9ff}
.grid td.gc{min-width:30px;text-align:center;border-left:1px solid #f3f3f3}
.grid td.gc a{display:block;text-decoration:none;color:inherit}
.bar{display:flex;height:10px;border-radius:2px;overflow:hidden;background:#eee;min-width:24px}
.grid.wide td.gc a{display:flex;align-items:center;gap:8px}
.grid.wide .bar{height:12px;width:140px;min-width:80px;flex:0 1 140px}
.grid.wide td.gc{text-align:left;min-width:min(24em,60vw)}
.bar i{display:block;height:100%}
.gk{display:block;font-size:11px;line-height:1.2;font-weight:700;white-space:nowrap}
.gk.bad{color:var(--new)} .gk.known{color:#8a6100} .gk.fine{color:var(--holds)} .gk.none{color:#999;font-weight:400}
.gk span{margin-right:5px} .gk .c-holds{color:var(--holds)} .gk .c-deviates-known{color:#8a6100} .gk .c-deviates-new{color:var(--new)}
.gk .c-error{color:var(--error)} .gk .c-not-run{color:#777;font-weight:400} .gk .c-absent{color:#999;font-weight:400}
.gc.changed{box-shadow:inset 0 0 0 2px #0b57d0}
/* since table */
table.since{font-size:12.5px}
.since th,.since td{border:1px solid #e6e6e6;padding:2px 4px;vertical-align:middle}
.since thead th{background:#f1f3f4;position:sticky;top:0}
.since th.claim{text-align:left;font-weight:400;min-width:min(34em,45vw);max-width:40em;position:sticky;left:0;background:#fff;z-index:1}
.since tr.secrow th{background:#fafafa;text-align:left;font-weight:600;font-size:12px}
.since td.sc{min-width:34px;height:26px;position:relative;text-align:center}
.since td.sc .stripes{display:flex;height:18px;border-radius:2px;overflow:hidden}
.since td.sc .stripe{flex:1;border-right:1px solid rgba(255,255,255,.7)}
.since td.sc .stripe.unexpected{outline:2px solid #000;outline-offset:-2px}
.since td.first{box-shadow:inset 3px 0 0 #000}
.since .mark{display:block;font-size:10px;line-height:1;font-weight:700}
.since .mark a{color:#000}
/* drift */
.cause{border-left:4px solid var(--known);padding:2px 0 2px 10px;margin:14px 0}
.cause h3{margin:0 0 2px} .cause p{margin:2px 0;max-width:60em}
.cause ul{margin:4px 0;padding-left:18px} .cause li{margin:3px 0}
.cause.unexplained{border-left-color:var(--new)}
/* claims */
.filters{display:flex;flex-wrap:wrap;gap:6px 12px;align-items:center;padding:8px;background:#f5f5f5;border-radius:6px;position:sticky;top:0;z-index:5}
.filters select,.filters input,.filters button{font:inherit;font-size:13px;max-width:100%}
.filters input[type=search]{min-width:12em;flex:1 1 14em}
.chap>h3{font-size:16px;border-bottom:1px solid #eee}
.sec>h4{display:flex;flex-wrap:wrap;align-items:center;gap:4px 10px}
.sec>h4 .bar{width:160px;flex:0 0 auto}
.grp>h4{color:#333}
details.claim{border-bottom:1px solid #eee}
details.claim>summary{cursor:pointer;list-style:none;display:flex;flex-wrap:wrap;align-items:center;gap:2px 8px;padding:3px 2px}
details.claim>summary::-webkit-details-marker{display:none}
details.claim>summary:hover{background:#f6f9ff}
details.claim[open]>summary{background:#eef3fd}
details.claim.hl{outline:3px solid #0b57d0;outline-offset:1px;background:#f6f9ff}
.strip{display:inline-flex;gap:1px;flex:0 0 auto}
.strip .cell{display:inline-block;width:11px;height:14px;border-radius:2px}
.strip.wide .cell{width:auto;min-width:8.6em;text-align:center;height:auto;padding:0 6px;font-size:12px;font-weight:600;border-radius:9px;background:var(--b);border:1px solid var(--c);color:#222}
.strip .cell.chg{box-shadow:0 0 0 2px #0b57d0} .strip:not(.wide) .cell.rb{margin-left:3px}
.cid{font-size:12.5px;overflow-wrap:anywhere}
.stmt{color:#444;font-size:13px;flex:1 1 20em;min-width:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
details.claim[open] .stmt{white-space:normal}
.chgmark{font-size:11px;color:#0b57d0;font-weight:700}
.body{padding:4px 4px 10px 12px;border-left:3px solid #cfd8ea;margin:0 0 6px 4px}
.body table{margin:4px 0;font-size:13px}
.body td.where{font-size:12px;min-width:10em;max-width:24em}
.reason{margin:0;white-space:pre-wrap;overflow-wrap:anywhere} pre.reason{margin:0}
.facts{margin:2px 0 0;font-size:12px;color:#333}
td.differs pre{background:#fff1c2;border-color:#e0a100}
td.rounds pre{background:#f3f8e9}
.hidden{display:none!important}
/* plots */
.plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,420px),1fr));gap:14px}
figure{margin:0;border:1px solid var(--line);border-radius:4px;padding:6px}
figure svg{width:100%;height:auto;display:block}
figcaption{font-size:12.5px} .plegend{display:flex;flex-wrap:wrap;gap:2px 10px;font-size:11.5px}
.plegend i{display:inline-block;width:14px;height:3px;vertical-align:middle;margin-right:3px}
footer{margin-top:30px;color:var(--muted);font-size:12px}
@media (max-width:600px){main{padding:8px}#attention h2{font-size:14px}#attention .attlist{max-height:26vh}.body table.results,.body table.measured,.body table.results tbody,.body table.measured tbody{display:block}.body table.results thead,.body table.measured thead{display:none}.body table.results tr,.body table.measured tr{display:block;border-top:1px solid var(--line);padding:3px 0}.body table.results td,.body table.measured td{display:block;border:0;padding:2px 4px;max-width:none}h1{font-size:19px}.sec>h4 .bar{width:100px}.stmt{flex-basis:100%;white-space:normal}}
@media print{.filters{display:none}details.claim>.body{display:block}}
"""

SCRIPT = r"""
(function(){
  var claims=[].slice.call(document.querySelectorAll('details.claim'));
  var fStatus=document.getElementById('f-status'),fEnv=document.getElementById('f-env'),
      fCause=document.getElementById('f-cause'),fSearch=document.getElementById('f-search'),
      count=document.getElementById('f-count');
  if(!fStatus){return;}
  var data=claims.map(function(c){return {el:c,st:c.getAttribute('data-st').split(' '),
    ca:c.getAttribute('data-ca').split(' '),ch:c.getAttribute('data-ch').split(' '),
    text:(c.getAttribute('data-text')||'')};});
  var WANT={deviating:['deviates-known','deviates-new'],'new':['deviates-new'],error:['error'],'not-run':['not-run']};
  function visible(d){
    var env=fEnv.value===''?-1:parseInt(fEnv.value,10), s=fStatus.value, cause=fCause.value;
    var idx=env<0?d.st.map(function(_,i){return i;}):[env];
    var ok=idx.some(function(i){
      if(s==='changed'){if(d.ch[i]!=='1')return false;}
      else if(s!=='all'&&WANT[s].indexOf(d.st[i])<0)return false;
      if(cause!==''&&d.ca[i]!==cause)return false;
      return true;});
    if(!ok)return false;
    var q=fSearch.value.trim().toLowerCase();
    return !q||d.text.indexOf(q)>=0;
  }
  function apply(){
    var shown=0;
    data.forEach(function(d){var v=visible(d);d.el.classList.toggle('hidden',!v);if(v)shown++;});
    [].slice.call(document.querySelectorAll('#claims .sec,#claims .grp,#claims .chap')).forEach(function(s){
      s.classList.toggle('hidden',!s.querySelector('details.claim:not(.hidden)'));});
    count.textContent=shown+' of '+data.length+' claims';
  }
  [fStatus,fEnv,fCause].forEach(function(x){x.addEventListener('change',apply);});
  fSearch.addEventListener('input',apply);
  document.getElementById('expand-all').addEventListener('click',function(){
    var open=this.getAttribute('data-open')!=='yes';
    claims.forEach(function(c){if(!c.classList.contains('hidden'))c.open=open;});
    this.setAttribute('data-open',open?'yes':'no');this.textContent=open?'collapse all':'expand all';});
  function reset(){fStatus.value='all';fEnv.value='';fCause.value='';fSearch.value='';apply();}
  function follow(){
    var id=decodeURIComponent(location.hash.slice(1)); if(!id)return;
    var el=document.getElementById(id); if(!el)return;
    if(el.closest('.hidden')){reset();}
    if(el.matches('details.claim')){
      claims.forEach(function(c){c.classList.remove('hl');});
      el.open=true; el.classList.add('hl');
    }
    function place(){el.scrollIntoView({block:'start'});
      var bar=document.querySelector('.filters'); if(bar&&el.closest('#claims')){window.scrollBy(0,-(bar.offsetHeight+8));}}
    place(); setTimeout(place,0);
  }
  window.addEventListener('hashchange',follow);
  apply(); follow();
})();
"""


# ------------------------------------------------------------------------------------------ pieces

def _bar(tally: dict[str, int]) -> str:
    total = sum(tally.values())
    if not total:
        return '<span class="bar"></span>'
    return '<span class="bar">' + "".join(
        f'<i class="s-{s}" style="flex:{n}"></i>' for s in pm.ALL_STATUSES if (n := tally.get(s, 0))) + "</span>"


def _tally_words(tally: dict[str, int], zeros: bool = True) -> str:
    return ", ".join(f"{tally.get(s, 0)} {pm.LABEL[s]}" for s in pm.ALL_STATUSES
                     if tally.get(s) or (zeros and s != ABSENT))


def _grid_key(tally: dict[str, int], wide: bool) -> str:
    if wide:
        return '<span class="gk">' + "".join(
            f'<span class="c-{s}">{n} {pm.SHORT[s]}</span>' for s in pm.ALL_STATUSES if (n := tally.get(s, 0))) + "</span>"
    bad = tally["deviates-new"] + tally["error"]
    if bad:
        return f'<span class="gk bad">{bad}!</span>'
    if tally["deviates-known"]:
        return f'<span class="gk known">{tally["deviates-known"]}</span>'
    if tally["holds"]:
        return '<span class="gk fine">✓</span>'
    return '<span class="gk none">–</span>'


def _legend() -> str:
    return '<div class="legend">' + "".join(
        f'<span><i class="sw s-{s}"></i>{e(pm.LABEL[s])}</span>' for s in pm.ALL_STATUSES) + "</div>"


def _claim_link(claim_id: str | None) -> str:
    if not claim_id:
        return ""
    return f'<a href="#claim-{e(claim_id)}"><code>{e(claim_id)}</code></a>'


def _section_label(section: str | None) -> str:
    if not section:
        return ""
    return f'<span class="sec-name"{LANG_ZH}>{e(section)}</span>'


# ------------------------------------------------------------------------------------- attention

def attention_html(items: list[pm.Attention], envs: list[pm.Env]) -> str:
    if not items:
        return ('<section id="attention" class="clear"><p class="ok">✓ Nothing needs attention: no new deviation, '
                'error, crashed test, stale expectation or failed environment.</p></section>')
    kinds = [(kind, title, [i for i in items if i.kind == kind]) for kind, title in pm.ATTENTION_TITLES.items()]
    kinds = [k for k in kinds if k[2]]
    out = [f'<section id="attention"><h2>Needs attention: '
           + " · ".join(f'<a href="#att-{e(kind)}">{len(mine)} {e(ATTENTION_SHORT[kind][len(mine) != 1])}</a>'
                        for kind, _, mine in kinds)
           + '</h2><div class="attlist">']
    for kind, title, mine in kinds:
        out.append(f'<h3 id="att-{e(kind)}">{e(title)} ({len(mine)})</h3><ul>')
        for item in mine:
            where = pm.describe_environments(item.environments, envs) if item.environments else ""
            reason = (item.reason or "").strip()
            first_line = reason.splitlines()[0] if reason else ""
            brief = _short(first_line, 180) + ("…" if "\n" in reason and len(first_line) <= 180 else "")
            head = " ".join(p for p in (_claim_link(item.claim), _section_label(item.section),
                                        f'<span class="muted small">in {e(where)}</span>' if where and item.claim else "")
                            if p)
            if item.claims:
                head = f'<span class="muted small">in {e(where)}</span>'
                more = '<div class="small">' + " ".join(_claim_link(c) for c in item.claims) + "</div>"
            else:
                more = ""
            out.append(f'<li class="att" data-kind="{e(kind)}" data-claim="{e(item.claim or "")}"><details class="item">'
                       f'<summary>{head}{" — " if head else ""}<span class="one-line">{e(brief)}</span></summary>'
                       f'<div class="why{" mono" if chr(10) in reason else ""}">{e(reason)}</div>{more}</details></li>')
        out.append("</ul>")
    out.append("</div></section>")
    return "".join(out)


ATTENTION_SHORT = {"environment": ("environment problem", "environment problems"),
                   "new": ("new deviation", "new deviations"), "error": ("error", "errors"),
                   "crashed": ("crashed test", "crashed tests"), "stale": ("stale expectation", "stale expectations"),
                   "fix": ("failing fix", "failing fixes"),
                   "since": ("catalogue disagreement", "catalogue disagreements")}


# --------------------------------------------------------------------------------------- changes

def changes_html(changes: list[pm.Change], baseline_name: str, envs: list[pm.Env]) -> str:
    kinds = {"status": 0, "reason": 0, "measured": 0}
    for c in changes:
        for k in c.kinds:
            kinds[k] += 1
    summary = ", ".join(f"{n} {k}" for k, n in kinds.items() if n) or "nothing"
    out = [f'<section id="changes"><h2>Changed since the baseline ({len(changes)} cells: {e(summary)})</h2>'
           f'<p class="small muted">Baseline: {e(baseline_name)}. Changed cells are outlined in blue in the overview '
           'and the claims; “changed since the baseline” in the claim filter lists them.</p>']
    if not changes:
        out.append("<p>No cell's status, reason or measured values changed.</p></section>")
        return "".join(out)
    out.append("<ul>")
    for c in changes:
        env = c.environment if c.environment == c.baseline_environment else f"{c.baseline_environment} → {c.environment}"
        head = []
        if "status" in c.kinds:
            head.append(f'<span class="badge s-{e(c.old_status)}">{e(pm.SHORT.get(c.old_status, c.old_status))}</span> → '
                        f'<span class="badge s-{e(c.new_status)}">{e(pm.SHORT.get(c.new_status, c.new_status))}</span>')
        else:
            head.append(f'<span class="badge s-{e(c.new_status)}">{e(pm.SHORT.get(c.new_status, c.new_status))}</span>')
        if c.reason_diff is not None:
            head.append("reason changed")
        if c.measured:
            head.append(f"{len(c.measured)} measured value{'s' if len(c.measured) > 1 else ''} changed")
        detail = []
        if c.reason_diff is not None:
            detail.append("<div>reason: " + _diff_html(c.reason_diff) + "</div>")
        for name, old, new in c.measured:
            detail.append(f"<div>{e(name)}: <del>{e(_short(pm.fmt_value(old)))}</del> → "
                          f"<ins>{e(_short(pm.fmt_value(new)))}</ins></div>")
        out.append(f'<li><details class="item"><summary>{_claim_link(c.claim)} <span class="muted small">in {e(env)}</span> '
                   f'{_section_label(c.section)}: {", ".join(head)}</summary><div class="why small">{"".join(detail)}'
                   "</div></details></li>")
    out.append("</ul></section>")
    return "".join(out)


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _diff_html(diff: str) -> str:
    """[-removed-] and {+added+} runs as <del>/<ins>, the rest escaped."""
    out = []
    pos = 0
    for match in re.finditer(r"\[-(.*?)-\]|\{\+(.*?)\+\}", diff):
        out.append(e(diff[pos:match.start()]))
        out.append(f"<del>{e(match.group(1))}</del>" if match.group(1) is not None else f"<ins>{e(match.group(2))}</ins>")
        pos = match.end()
    out.append(e(diff[pos:]))
    return "".join(out)


# -------------------------------------------------------------------------------------- overview

def overview_html(rows: list[pm.OutlineRow], envs: list[pm.Env], all_claims: list[dict],
                  changed: set[tuple[str, str]]) -> str:
    names = [x.name for x in envs]
    wide = len(envs) <= WIDE_GRID
    cls = "grid wide" if wide else "grid many"
    head1 = ['<tr><th class="name" rowspan="2">section of the handbook</th>']
    for release, members in pm.releases(envs):
        head1.append(f'<th class="rel" colspan="{len(members)}">{e(release)}</th>')
    head1.append("</tr>")
    head2 = ["<tr>"] + [f'<th class="env" data-env="{e(x.name)}" title="{e(x.name)}"><span>{e(x.label if not wide else x.name)}'
                        "</span></th>" for x in envs] + ["</tr>"]

    def row(kind: str, label: str, claims: list[dict], anchor: str, depth: int, section: str) -> str:
        cells = []
        for name in names:
            tally = pm.counts(claims, name)
            mark = " changed" if any((c["id"], name) in changed for c in claims) else ""
            cells.append(f'<td class="gc{mark}" title="{e(name)} · {e(section or "all claims")}: {e(_tally_words(tally))}">'
                         f'<a href="#{e(anchor)}">{_bar(tally)}{_grid_key(tally, wide)}</a></td>')
        lang = lang_attr(label)
        return (f'<tr class="{kind} d{depth}" data-section="{e(section)}"><th class="name"{lang}>'
                f'<a href="#{e(anchor)}">{e(label)}</a> <span class="muted small">{len(claims)}</span></th>'
                + "".join(cells) + "</tr>")

    body = [row("total", "all claims", all_claims, "claims", 0, "")]
    for r in rows:
        label = r.title if r.kind != "chapter" or r.depth else r.title
        body.append(row(r.kind, label, r.claims, r.anchor, r.depth, r.section))
    hint = ("Each cell: that section's claims in that environment as a bar; below it the number of new deviations "
            "and errors (red, with !), else of known deviations (amber), else ✓. Point at a cell for its counts, "
            "click it for the section." if not wide else
            "each cell: how many claims of that section hold, deviate (known or new), err or did not run there; "
            "click to go to the section.")
    return (f'<section id="overview"><h2>Overview: the handbook\'s sections × environments</h2>'
            f'<p class="small muted">{e(hint)}</p><div class="scroll"><table class="{cls}" id="overview-grid">'
            f'<thead>{"".join(head1)}{"".join(head2)}</thead><tbody>{"".join(body)}</tbody></table></div></section>')


# ----------------------------------------------------------------------------------------- since

def since_html(release_order: list[str], rows: list[pm.SinceRow], causes: dict, envs: list[pm.Env]) -> str:
    out = ['<section id="since"><h2>Since when: deviations × releases</h2>']
    if len(release_order) < 2:
        out.append(f"<p>This run covers one release ({e(', '.join(release_order))}): since when each deviation "
                   "appears needs reports of several releases (<code>python -m ci.matrix</code>). Its deviations are "
                   'listed by cause <a href="#drift">below</a>.</p></section>')
        return "".join(out)
    if not rows:
        out.append("<p>No claim deviates in any release of this matrix.</p></section>")
        return "".join(out)
    label = {x.name: x.label for x in envs}
    out.append('<p class="small muted">One row per deviation of the catalogue (and per deviating claim it does not '
               'list), one column per TensorFlow release, each cell a stripe per environment of that release, coloured '
               'by its status; a black outline marks a status the catalogue\'s condition does not predict. The heavy '
               'left edge marks the first release where the deviation appears; its link goes to the deviation\'s '
               'release notes or source.</p><div class="scroll"><table class="since" id="since-table"><thead><tr>'
               '<th class="claim">claim · cause · condition</th>'
               + "".join(f"<th>{e(r)}</th>" for r in release_order) + "</tr></thead><tbody>")
    current = None
    for row in rows:
        if row.section != current:
            current = row.section
            out.append(f'<tr class="secrow"><th colspan="{1 + len(release_order)}"{LANG_ZH}>{e(row.section)}</th></tr>')
        cause = causes.get(row.cause) if row.cause else None
        cause_text = (f'<a href="#cause-{e(row.cause)}">{e(cause.title)}</a>' if cause else
                      ("<b>not in the catalogue</b>" if not row.catalogued else e(row.cause or "")))
        target = row.notes or row.source
        since = (f"since {e(row.first_deviating)}" if row.first_deviating else
                 "deviates in no environment where the condition holds")
        if row.last_holding:
            since += f", holds in {e(row.last_holding)}"
        out.append(f'<tr data-claim="{e(row.claim)}" data-first="{e(row.first_deviating or "")}"><th class="claim">'
                   f'{_claim_link(row.claim)}<div class="small muted">{cause_text}'
                   + (f" · when {e(row.when)}" if row.catalogued else "") + f" · {since}"
                   + (f" · {link(target, 'notes' if row.notes else 'source')}" if target else "")
                   + (' · <b style="color:var(--new)">disagrees with the catalogue</b>' if row.problems else "")
                   + "</div></th>")
        for release in release_order:
            cells = row.cells.get(release, [])
            first = release == row.first_deviating
            stripes = []
            for c in cells:
                deviates = c["status"] in DEVIATING
                unexpected = row.catalogued and ((c["expected"] and c["status"] == "holds") or
                                                 (deviates and c["environment"] not in row.predicted))
                tip = (f'{c["environment"]}: {pm.LABEL.get(c["status"], c["status"])}'
                       + (f' (the catalogue expects it to {"deviate" if c["expected"] else "hold"})' if row.catalogued else ""))
                stripes.append(f'<span class="stripe s-{e(c["status"])}{" unexpected" if unexpected else ""}" '
                               f'title="{e(tip)}" data-env="{e(c["environment"])}" data-status="{e(c["status"])}"></span>')
            tip = "; ".join(f'{label.get(c["environment"], c["environment"])}: {pm.SHORT.get(c["status"], c["status"])}'
                            for c in cells) or "no environment of this release"
            mark = ""
            if first:
                mark = (f'<span class="mark">{link(target, "since") if target else "since"}</span>')
            out.append(f'<td class="sc{" first" if first else ""}" data-release="{e(release)}" title="{e(release)}: {e(tip)}">'
                       f'<span class="stripes">{"".join(stripes)}</span>{mark}</td>')
        out.append("</tr>")
    out.append("</tbody></table></div></section>")
    return "".join(out)


# ----------------------------------------------------------------------------------------- drift

def drift_html(groups, envs: list[pm.Env]) -> str:
    out = ['<section id="drift"><h2>Drift: why claims deviate, by cause</h2>']
    if not groups:
        out.append("<p>No claim deviates in any environment.</p></section>")
        return "".join(out)
    for cause, entries in groups:
        claims = len({x.claim for x in entries})
        if cause is None:
            out.append(f'<div class="cause unexplained" id="cause-none"><h3>Not explained by the catalogue '
                       f'<span class="muted small">{claims} claims</span></h3><p>Deviations that no expectation '
                       'lists: a change of TensorFlow, Keras, NumPy or the suite that nobody has looked at yet.</p><ul>')
        else:
            out.append(f'<div class="cause" id="cause-{e(cause.id)}"><h3>{e(cause.title)} · <span{LANG_ZH}>'
                       f'{e(cause.title_zh)}</span> <span class="muted small">{claims} claims</span></h3>'
                       f'<p>{e(cause.explanation)}</p><p{LANG_ZH}>{e(cause.explanation_zh)}</p><ul>')
        for x in entries:
            new = [n for n, s in x.statuses.items() if s == "deviates-new"]
            flag = ' <span class="badge s-deviates-new">NEW</span>' if new else ""
            where = pm.describe_environments(list(x.statuses), envs)
            source = f' · {link(x.source, "source")}' if x.source else ""
            first_line = x.reason.strip().splitlines()[0] if x.reason.strip() else ""
            out.append(f'<li data-claim="{e(x.claim)}">{_claim_link(x.claim)}{flag} {_section_label(x.section)} '
                       f'<span class="muted small">in {e(where)}{source}</span><details class="item"><summary class="small">'
                       f'{e(_short(first_line, 200))}</summary><div class="why{" mono" if chr(10) in x.reason.strip() else ""}">'
                       f'{e(x.reason)}</div></details></li>')
        out.append("</ul></div>")
    out.append("</section>")
    return "".join(out)


# ---------------------------------------------------------------------------------------- claims

def _result_groups(claim: dict, names: list[str]) -> list[tuple[dict, list[str]]]:
    groups: dict[str, tuple[dict, list[str]]] = {}
    for name in names:
        cell = claim["results"][name]
        key = json.dumps([cell.get(k) for k in ("status", "reason", "cause", "source", "expected_failure",
                                                "not_run_cause", "stale_expectation")], ensure_ascii=False)
        groups.setdefault(key, (cell, []))[1].append(name)
    return list(groups.values())


def _claim_body(claim: dict, envs: list[pm.Env], causes: dict, changes: dict) -> str:
    names = [x.name for x in envs]
    out = [f'<div class="body"><p>{e(claim.get("statement"))}</p>']
    if claim.get("handbook"):
        out.append(f'<div><b class="small">The handbook</b><pre{LANG_ZH}>{e(claim["handbook"])}</pre></div>')
    mine = [c for (cid, _), c in changes.items() if cid == claim["id"]]
    if mine:
        out.append('<div class="small"><b>Changed since the baseline:</b><ul>')
        for c in mine:
            bits = []
            if "status" in c.kinds:
                bits.append(f"{e(c.old_status)} → {e(c.new_status)}")
            if c.reason_diff is not None:
                bits.append("reason: " + _diff_html(c.reason_diff))
            for name, old, new in c.measured:
                bits.append(f"{e(name)}: <del>{e(_short(pm.fmt_value(old)))}</del> → <ins>{e(_short(pm.fmt_value(new)))}</ins>")
            out.append(f"<li>{e(c.environment)}: " + "; ".join(bits) + "</li>")
        out.append("</ul></div>")
    out.append('<div class="scroll"><table class="plain results"><thead><tr><th>status</th><th>where</th><th>why</th>'
               "</tr></thead><tbody>")
    for cell, where in _result_groups(claim, names):
        status = cell["status"]
        facts = []
        if cell.get("cause"):
            cause = causes.get(cell["cause"])
            facts.append("cause: " + (f'<a href="#cause-{e(cell["cause"])}">{e(cause.title)}</a>' if cause else e(cell["cause"])))
        if cell.get("source"):
            facts.append("source: " + link(cell["source"]))
        if cell.get("expected_failure"):
            facts.append(f'expected failure: <code>{e(cell["expected_failure"])}</code>')
        if cell.get("not_run_cause"):
            facts.append("not run: " + e(pm.NOT_RUN_CAUSE_LABEL.get(cell["not_run_cause"], cell["not_run_cause"])))
        if cell.get("stale_expectation"):
            facts.append("<b>stale expectation</b>")
        multiline = "\n" in (cell.get("reason") or "").strip()
        # A failure message of several lines holds printed output or a traceback: monospace, as printed.
        reason = ((f'<pre class="reason">{e(cell["reason"])}</pre>' if multiline else
                   f'<p class="reason">{e(cell["reason"])}</p>') if cell.get("reason") else
                  '<p class="reason muted">every test passed</p>' if status == "holds" else "")
        out.append(f'<tr class="res s-{e(status)}" data-envs="{e(" ".join(where))}"><td><span class="badge s-{e(status)}">'
                   f'{e(pm.LABEL.get(status, status))}</span></td><td class="where">{e(pm.describe_environments(where, envs))}'
                   f'</td><td>{reason}' + (f'<p class="facts">{" · ".join(facts)}</p>' if facts else "") + "</td></tr>")
    out.append("</tbody></table></div>")
    measured = pm.measured_rows(claim, names)
    if measured:
        out.append('<div class="scroll"><table class="plain measured"><thead><tr><th>measured</th><th>the book</th>'
                   "<th>value</th><th>where</th></tr></thead><tbody>")
        for row in measured:
            groups = pm.group_values(row["values"])
            book = row["handbook"]
            notes = sorted(set(row["notes"].values()))
            for n, (value, where) in enumerate(groups):
                verdict = pm.book_comparison(value, book)
                cls = {"differs": "differs", "printed-precision": "rounds"}.get(verdict or "", "")
                tip = {"differs": "differs from the book", "printed-precision": "rounds to the book's printed digits",
                       "same": "as the book"}.get(verdict or "", "")
                first = ""
                if n == 0:
                    first = (f'<td rowspan="{len(groups)}">{e(row["name"])}'
                             + (f'<div class="small muted">{e("; ".join(notes))}</div>' if notes else "") + "</td>"
                             f'<td rowspan="{len(groups)}">' + (f"<pre{LANG_ZH}>{e(pm.fmt_value(book))}</pre>" if book is not None else "—")
                             + "</td>")
                out.append(f'<tr>{first}<td class="{cls}" title="{e(tip)}"><pre>{e(pm.fmt_value(value))}</pre>'
                           + (f'<span class="small">{"≠ the book" if verdict == "differs" else "≈ the book’s digits" if verdict == "printed-precision" else ""}</span>' if verdict in ("differs", "printed-precision") else "")
                           + f'</td><td class="where">{e(pm.describe_environments(where, envs))}</td></tr>')
        out.append("</tbody></table></div>")
    tests: dict[str, tuple[dict, list[str]]] = {}
    for name in names:
        for t in claim["results"][name].get("tests") or []:
            check = t.get("deviation_check") or {}
            key = json.dumps([t.get("nodeid"), t.get("outcome"), pm.stable(t.get("message")), pm.stable(check.get("actual"))],
                             ensure_ascii=False)
            tests.setdefault(key, (t, []))[1].append(name)
    if tests:
        out.append(f'<details class="tests"><summary class="small">{len({t["nodeid"] for t, _ in tests.values()})} '
                   'tests: outcomes and messages</summary><div class="scroll"><table class="plain"><thead><tr><th>test</th>'
                   "<th>outcome</th><th>where</th><th>message</th></tr></thead><tbody>")
        for t, where in tests.values():
            check = t.get("deviation_check") or {}
            message = t.get("message") or ""
            if check.get("actual"):
                message = (message + "\n" if message else "") + f"failed with: {check['actual']}"
            out.append(f'<tr><td class="mono">{e(t.get("nodeid"))}</td><td>{e(t.get("outcome"))}</td>'
                       f'<td class="where">{e(pm.describe_environments(where, envs))}</td><td>'
                       + (f"<pre>{e(message)}</pre>" if message else "") + "</td></tr>")
        out.append("</tbody></table></div></details>")
    out.append("</div>")
    return "".join(out)


def claims_html(matrix: dict, rows: list[pm.OutlineRow], envs: list[pm.Env], causes: dict,
                changes: dict[tuple[str, str], pm.Change]) -> str:
    names = [x.name for x in envs]
    wide = len(envs) <= 3
    present_causes = [c for c in causes if any(cell.get("cause") == c for claim in matrix["claims"]
                                              for cell in claim["results"].values())]
    options = ['<option value="all">all claims</option>', '<option value="deviating">deviating</option>',
               '<option value="new">new deviations</option>', '<option value="error">errors</option>',
               '<option value="not-run">not run</option>']
    if changes:
        options.append('<option value="changed">changed since the baseline</option>')
    out = ['<section id="claims"><h2>Claims</h2><div class="filters" role="search">'
           f'<label>Show <select id="f-status">{"".join(options)}</select></label>'
           '<label>in <select id="f-env"><option value="">any environment</option>'
           + "".join(f'<option value="{n}">{e(x.name)}</option>' for n, x in enumerate(envs)) + "</select></label>"
           '<label>cause <select id="f-cause"><option value="">any cause</option>'
           + "".join(f'<option value="{e(c)}">{e(causes[c].title)}</option>' for c in present_causes)
           + '</select></label><input type="search" id="f-search" placeholder="search ids, statements, reasons" '
           'aria-label="search the claims"><button type="button" id="expand-all">expand all</button>'
           f'<span id="f-count" class="small muted">{len(matrix["claims"])} claims</span></div>']
    open_containers: list[str] = []
    by_section = dict(pm.claims_by_section(matrix))
    release_starts = {members[0].name for _, members in pm.releases(envs)[1:]}
    for r in rows:
        while open_containers and len(open_containers) > r.depth:
            out.append("</div>")
            open_containers.pop()
        lang = lang_attr(r.title)
        if r.kind == "chapter":
            out.append(f'<div class="chap" id="{e(r.anchor)}" data-section="{e(r.section)}"><h3{lang}>{e(r.title)}</h3>')
            open_containers.append("chap")
            claims = by_section.get(r.section, [])
            if not claims:
                continue
            out.append(f'<div class="sec" data-section="{e(r.section)}">')
        elif r.kind == "group":
            out.append(f'<div class="grp" id="{e(r.anchor)}" data-section="{e(r.section)}"><h4{lang}>{e(r.title)}</h4>')
            open_containers.append("grp")
            continue
        else:
            tallies = {n: pm.counts(r.claims, n) for n in names}
            total = {s: sum(t[s] for t in tallies.values()) for s in pm.ALL_STATUSES}
            words = (_tally_words(total, zeros=False) if len(names) == 1 else
                     f"{len(r.claims)} claims × {len(names)} environments: {_tally_words(total, zeros=False)}")
            out.append(f'<div class="sec" id="{e(r.anchor)}" data-section="{e(r.section)}"><h4><span{lang}>{e(r.title)}</span>'
                       f'{_bar(total)}<span class="small muted">{e(words)}</span></h4>')
            claims = by_section[r.section]
        for claim in claims:
            statuses = [claim["results"][n]["status"] for n in names]
            cause_ids = [claim["results"][n].get("cause") or "-" for n in names]
            changed = ["1" if (claim["id"], n) in changes else "0" for n in names]
            text = " ".join([claim["id"], claim.get("statement") or "", claim["section"], claim.get("handbook") or ""]
                            + [claim["results"][n].get("reason") or "" for n in names]).lower()
            strip = "".join(
                f'<span class="cell s-{e(s)}{" chg" if ch == "1" else ""}{" rb" if n in release_starts else ""}" '
                f'data-env="{e(n)}" data-status="{e(s)}" '
                f'title="{e(n)}: {e(pm.LABEL.get(s, s))}{" (changed since the baseline)" if ch == "1" else ""}">'
                + (e(pm.LABEL.get(s, s)) if wide else "") + "</span>"
                for n, s, ch in zip(names, statuses, changed))
            mark = ' <span class="chgmark">changed</span>' if "1" in changed else ""
            out.append(f'<details class="claim" id="claim-{e(claim["id"])}" data-claim="{e(claim["id"])}" '
                       f'data-st="{e(" ".join(statuses))}" data-ca="{e(" ".join(cause_ids))}" data-ch="{" ".join(changed)}" '
                       f'data-text="{e(text)}"><summary><span class="strip{" wide" if wide else ""}">{strip}</span>'
                       f'<code class="cid">{e(claim["id"])}</code>{mark}<span class="stmt">{e(claim.get("statement"))}</span>'
                       f"</summary>{_claim_body(claim, envs, causes, changes)}</details>")
        out.append("</div>")
    while open_containers:
        out.append("</div>")
        open_containers.pop()
    out.append("</section>")
    return "".join(out)


# ----------------------------------------------------------------------------------------- plots

def _nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    import math

    if hi == lo:
        return [lo]
    raw = (hi - lo) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(lo / step) * step
    ticks = []
    value = first
    while value <= hi + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    return ticks


def _tick_text(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


def svg_plot(plot: pm.Plot, colours: dict[str, str], width: int = 460, height: int = 250) -> str:
    values = [v for _, _, line in plot.lines for v in line]
    if plot.reference is not None:
        values.append(plot.reference)
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.06 or abs(hi) * 0.05 or 0.5
    lo, hi = lo - pad, hi + pad
    longest = max(len(line) for _, _, line in plot.lines)
    x_values = [plot.x_start + i * plot.x_step for i in range(longest)]
    x_lo, x_hi = x_values[0], x_values[-1] if longest > 1 else x_values[0] + 1
    left, right, top, bottom = 58, 12, 10, 44
    w, h = width - left - right, height - top - bottom

    def sx(x):
        return left + w * (x - x_lo) / ((x_hi - x_lo) or 1)

    def sy(y):
        return top + h * (1 - (y - lo) / ((hi - lo) or 1))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{e(plot.y_label)} by {e(plot.x_label)}">',
             f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="#fff" stroke="#999"/>']
    for t in _nice_ticks(lo, hi):
        y = sy(t)
        parts.append(f'<line x1="{left}" x2="{left + w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>'
                     f'<text x="{left - 4}" y="{y + 3:.1f}" font-size="10" text-anchor="end">{e(_tick_text(t))}</text>')
    for t in _nice_ticks(x_lo, x_hi, 6):
        x = sx(t)
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top + h}" y2="{top + h + 4}" stroke="#999"/>'
                     f'<text x="{x:.1f}" y="{top + h + 15}" font-size="10" text-anchor="middle">{e(_tick_text(t))}</text>')
    parts.append(f'<text x="{left + w / 2:.1f}" y="{height - 6}" font-size="11" text-anchor="middle">{e(plot.x_label)}</text>')
    parts.append(f'<text transform="translate(13 {top + h / 2:.1f}) rotate(-90)" font-size="11" text-anchor="middle">'
                 f'{e(plot.y_label)}</text>')
    if plot.reference is not None:
        y = sy(plot.reference)
        parts.append(f'<line x1="{left}" x2="{left + w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#000" stroke-dasharray="5 3">'
                     f'<title>{e(plot.reference_label)}</title></line>'
                     f'<text x="{left + w - 4}" y="{y - 4:.1f}" font-size="10" text-anchor="end">{e(plot.reference_label)}</text>')
    runs = sorted({run for _, run, _ in plot.lines})
    dashes = ["", "6 3", "2 2", "8 3 2 3"]
    for env, run, line, _ in distinct_lines(plot):
        points = " ".join(f"{sx(plot.x_start + i * plot.x_step):.1f},{sy(v):.1f}" for i, v in enumerate(line))
        dash = dashes[runs.index(run) % len(dashes)] if run else ""
        parts.append(f'<polyline fill="none" stroke="{colours[env]}" stroke-width="1.6"'
                     + (f' stroke-dasharray="{dash}"' if dash else "")
                     + f' points="{points}"><title>{e(env)}{" " + e(run) if run else ""}: '
                       f'{e(", ".join(pm.fmt_number(v) for v in line))}</title></polyline>')
    parts.append("</svg>")
    return "".join(parts)


def distinct_lines(plot: pm.Plot) -> list[tuple[str, str, list[float], list[str]]]:
    """One line per distinct series (environment, run, values, every environment that measured it)."""
    lines: dict[str, tuple[str, str, list[float], list[str]]] = {}
    for env, run, values in plot.lines:
        key = json.dumps([run, values])
        lines.setdefault(key, (env, run, values, []))[3].append(env)
    return list(lines.values())


def plots_html(plots: list[pm.Plot], envs: list[pm.Env]) -> str:
    if not plots:
        return ""
    colours = {x.name: PALETTE[n % len(PALETTE)] for n, x in enumerate(envs)}
    out = ['<section id="curves"><h2>Curves: training, convergence, episode scores</h2><div class="plots">']
    for plot in plots:
        legend = []
        for env, run, _, same in distinct_lines(plot):
            names = env if len(same) == 1 else f"{pm.describe_environments(same, envs)} (identical)"
            legend.append(f'<span><i style="background:{colours[env]}"></i>{e(names)}{" " + e(run) if run else ""}</span>')
        out.append(f'<figure data-claim="{e(plot.claim)}">{svg_plot(plot, colours)}<figcaption>'
                   f'{_claim_link(plot.claim)} {e(plot.name)} {_section_label(plot.section)}'
                   f'<div class="plegend">{"".join(legend)}'
                   + ("<span><i style=\"background:#000\"></i>the book (dashed)</span>" if plot.reference is not None else "")
                   + "</div></figcaption></figure>")
    out.append("</div></section>")
    return "".join(out)


# ----------------------------------------------------------------------------------- how it ran

def _verdict(entry: dict) -> str:
    status = entry.get("pytest_exit_status")
    text = "passed" if status == 0 else (f"exit {status}" if status is not None else "—")
    if entry.get("problem") and entry["problem"] != f"pytest exit status {status}":
        text += f" ({entry['problem']})"
    return text


def _duration(seconds) -> str:
    if seconds is None:
        return "not recorded"
    seconds = float(seconds)
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def run_facts(env: pm.Env, matrix: dict) -> dict[str, str]:
    o, fp, entry = env.options, env.fingerprint, env.entry
    not_run: dict[str, int] = {}
    for claim in matrix["claims"]:
        cell = claim["results"][env.name]
        if cell["status"] == "not-run":
            cause = cell.get("not_run_cause") or "other"
            not_run[cause] = not_run.get(cause, 0) + 1
    devices = fp.get("devices")
    keras = f'{fp.get("keras") or "—"} ({fp.get("keras_flavour") or "—"})'
    return {
        "release": env.release,
        "tensorflow": f'{fp.get("tensorflow") or "—"}' + (f' ({fp["tensorflow_distribution"]})'
                                                           if fp.get("tensorflow_distribution") not in (None, "tensorflow") else ""),
        "keras": keras, "numpy": fp.get("numpy") or "—", "python": fp.get("python") or "—",
        "pytest": _verdict(entry),
        "took": _duration(entry.get("seconds")),
        "not run": ", ".join(f"{n} {pm.NOT_RUN_CAUSE_LABEL.get(c, c)}" for c, n in sorted(not_run.items(), key=lambda kv: -kv[1]))
                   or "none",
        "tier": str(o.get("tier") or "—"),
        "devices": f'{o.get("devices") or "—"}: ' + (", ".join(devices) if devices else "none listed"),
        "network": "on" if o.get("allow_network") else ("off" if o.get("allow_network") is not None else "—"),
        "data folder": o.get("data_dir") or "none (data-driven claims skipped)",
        "seed": str(o.get("seed") if o.get("seed") is not None else "—"),
        "hypothesis": str(o.get("hypothesis_profile") or entry.get("hypothesis_profile") or "not recorded"),
        "workers": str(o.get("workers") if o.get("workers") is not None else "—"),
        "started": entry.get("started") or "not recorded",
        "finished": entry.get("created") or "—",
    }


def machine_facts(env: pm.Env) -> dict[str, str] | None:
    machine = env.fingerprint.get("machine")
    if not isinstance(machine, dict):
        return None
    cpu = machine.get("cpu") or {}
    blas = machine.get("blas") or []
    return {
        "cpu": " ".join(str(x) for x in (cpu.get("vendor"), cpu.get("model_name")) if x) +
               (f' (family {cpu.get("family")} model {cpu.get("model")}, {cpu.get("cores")} cores)' if cpu else ""),
        "cpu flags": " ".join(cpu.get("flags") or []) or "—",
        "BLAS": "; ".join(" ".join(str(b.get(k)) for k in ("internal_api", "version", "architecture") if b.get(k))
                          + (f', {b["num_threads"]} threads' if b.get("num_threads") else "")
                          for b in blas) or "—",
        "BLAS variables": ", ".join(f"{k}={v}" for k, v in (machine.get("blas_environment") or {}).items()) or "none",
        "float32 dot kernel": str(machine.get("float32_dot") or "—"),
    }


def how_it_ran_html(matrix: dict, envs: list[pm.Env]) -> str:
    facts = [(x, run_facts(x, matrix)) for x in envs]
    keys = list(facts[0][1]) if facts else []
    out = ['<section id="how"><h2>How it ran</h2><div class="scroll"><table class="plain" id="how-table"><thead><tr>'
           "<th>environment</th>" + "".join(f"<th>{e(k)}</th>" for k in keys) + "</tr></thead><tbody>"]
    for x, f in facts:
        out.append(f'<tr data-env="{e(x.name)}"><th>{e(x.name)}'
                   + (f'<div class="small muted">{e(x.entry.get("description"))}</div>' if x.entry.get("description") else "")
                   + "</th>" + "".join(f'<td class="small{" wrap" if k in ("not run",) else ""}">'
                                       f'{e(f[k])}</td>' for k in keys) + "</tr>")
    out.append("</tbody></table></div>")
    machines: dict[str, tuple[dict, list[str]]] = {}
    for x in envs:
        m = machine_facts(x)
        if m is not None:
            machines.setdefault(json.dumps(m, sort_keys=True), (m, []))[1].append(x.name)
    if machines:
        out.append('<h3>The machine</h3><p class="small muted">The last digits some float32 computations print depend '
                   "on the CPU and the BLAS NumPy loads (see the cause “The machine”).</p>"
                   '<div class="scroll"><table class="plain" id="machine-table"><thead><tr><th>environments</th>'
                   + "".join(f"<th>{e(k)}</th>" for k in next(iter(machines.values()))[0]) + "</tr></thead><tbody>")
        for m, where in machines.values():
            out.append(f'<tr><td class="small">{e(pm.describe_environments(where, envs))}</td>'
                       + "".join(f'<td class="small">{e(v)}</td>' for v in m.values()) + "</tr>")
        out.append("</tbody></table></div>")
    missing = [x.name for x in envs if machine_facts(x) is None and x.fingerprint]
    if missing:
        out.append(f'<p class="small muted">No machine facts in the reports of {e(", ".join(missing))} '
                   "(written before the report recorded them).</p>")
    out.append("</section>")
    return "".join(out)


def benchmarks_html(benchmarks: dict) -> str:
    ratios = benchmarks.get("ratios")
    if isinstance(ratios, dict) and ratios:
        rows = "".join(f"<tr><td>{e(k)}</td><td>{e(pm.fmt_value(v) if not isinstance(v, dict) else json.dumps(v))}</td></tr>"
                       for k, v in ratios.items())
        body = f'<table class="plain" id="benchmark-ratios"><tr><th>ratio</th><th>value</th></tr>{rows}</table>'
    else:
        body = f"<pre>{e(json.dumps(benchmarks, indent=1))}</pre>"
    return f'<section id="performance"><h2>Performance</h2><div class="scroll">{body}</div></section>'


# ------------------------------------------------------------------------------------------ page

def errata_html(matrix: dict) -> str:
    """The errata section (ci.errata), with each fix's outcome in this matrix's environments."""
    from ci.errata import load_entries, section_html

    return section_html(load_entries(matrix))


def render_html(matrix: dict, causes: dict, baseline: dict | None = None, baseline_name: str = "") -> str:
    envs = pm.environments(matrix)
    rows = pm.outline(matrix)
    release_order, since_rows, since_problems = pm.since_table(matrix, envs)
    attention = pm.needs_attention(matrix, envs, since_problems)
    changes = pm.changes(baseline, matrix) if baseline is not None else []
    changed = {(c.claim, c.environment): c for c in changes}
    first_release, last_release = (envs[0].release, envs[-1].release) if envs else ("", "")
    span = first_release if first_release == last_release else f"{first_release} to {last_release}"
    toc = [("attention", "Needs attention"), ("overview", "Overview"), ("since", "Since when"), ("drift", "Drift by cause"),
           ("errata", "Errata"), ("claims", "Claims"), ("how", "How it ran")]
    if baseline is not None:
        toc.insert(1, ("changes", "Changes"))
    plot_list = pm.plots(matrix, envs)
    if plot_list:
        toc.append(("curves", "Curves"))
    body = [
        '<main><header><h1>handbook-spec conformance · <span lang="zh-CN">TensorFlow 2 手册</span></h1>'
        f'<p class="meta">Does TensorFlow still do what the handbook says? {len(matrix["claims"])} claims of the book × '
        f'{len(envs)} environment{"s" if len(envs) != 1 else ""} (TensorFlow {e(span)}); created {e(matrix.get("created"))}'
        + (f"; compared with {e(baseline_name)}" if baseline is not None else "") + ".</p>"
        '<nav class="toc">' + "".join(f'<a href="#{a}">{e(t)}</a>' for a, t in toc) + "</nav>" + _legend() + "</header>",
        attention_html(attention, envs),
        changes_html(changes, baseline_name, envs) if baseline is not None else "",
        overview_html(rows, envs, matrix["claims"], set(changed)),
        since_html(release_order, since_rows, causes, envs),
        drift_html(pm.drift(matrix, envs, causes), envs),
        errata_html(matrix),
        claims_html(matrix, rows, envs, causes, changed),
        plots_html(plot_list, envs),
        how_it_ran_html(matrix, envs),
        benchmarks_html(matrix["benchmarks"]) if matrix.get("benchmarks") else "",
        '<footer>Rendered by <code>python -m ci.render_report</code> from the conformance reports; the claims are in '
        '<code>spec/claims/</code>, the known deviations in <code>ci/expectations/</code> '
        '(<code>docs/deviations.md</code>).</footer></main>',
    ]
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="handbook-spec-matrix" content="{page_identity(matrix)}">'
            f"<title>handbook-spec conformance</title><style>{CSS}</style></head><body>{''.join(body)}"
            f"<script>{SCRIPT}</script></body></html>\n")
