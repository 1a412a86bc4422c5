"""Open a rendered conformance page in headless Chromium and check what a reader would see.

    python -m ci.browser_check PAGE.html MATRIX.json [--screenshot=OUT.png] [--widths=1400,820,412]
                               [--full-page]

MATRIX.json is the matrix (or the single report) the page was rendered from: the page names it (a
digest of its environments and statuses), and a page rendered from other data is bad input. Checks,
at 1,400 px wide: the overview grid is on the first screen, below only "Needs attention", with the
book's sections in the book's order; one claim line per claim of the matrix, each with one status
cell per environment, showing that environment's status; clicking a claim line shows its reason;
following a #claim link opens and highlights the claim; the "deviating" filter shows exactly the
deviating claims and hides the sections it leaves empty; Chinese text is drawn with real glyphs, not
the missing-glyph box (no CJK font installed: Debian's fonts-noto-cjk); the console logged no error.
At every width (default 1,400, 820 and 412 px): nothing is wider than the window (no horizontal
scrolling of the page; wide tables scroll inside their own box), and a screenshot OUT-<width>.png.

Uses Debian's `chromium` and `chromium-driver` through Selenium, with the driver's path given
explicitly (Selenium Manager would try to download one). Exit status 0 when every check passes, 1
when one fails, 2 on bad input (missing or wrong files, a page that does not match its JSON) or
when Chromium or Selenium is missing.
"""
from __future__ import annotations

import argparse
import base64
import re
import shutil
import sys
from pathlib import Path

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
DRIVER_NAMES = ("chromedriver", "chromium-driver")
WIDTHS = (1400, 820, 412)
HEIGHT = 900
CHROMIUM_ARGUMENTS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                      "--disable-background-networking", "--disable-component-update", "--disable-sync",
                      "--no-first-run", "--disable-extensions", f"--window-size={WIDTHS[0]},{HEIGHT}")


class BrowserMissing(RuntimeError):
    pass


def find_browser() -> tuple[str, str]:
    """(browser binary, driver binary), or BrowserMissing naming what to install."""
    browser = next((p for p in map(shutil.which, CHROMIUM_NAMES) if p), None)
    driver = next((p for p in map(shutil.which, DRIVER_NAMES) if p), None)
    try:
        import selenium  # noqa: F401
    except ImportError as exc:
        raise BrowserMissing("selenium is not installed (pip install '.[report]')") from exc
    if browser is None or driver is None:
        raise BrowserMissing("chromium and chromedriver are not on PATH (Debian: apt install chromium chromium-driver)")
    return browser, driver


def open_browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver = find_browser()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in CHROMIUM_ARGUMENTS:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)


def console_errors(driver) -> list[str]:
    return [f"{entry['level']}: {entry['message']}" for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def page_identity_of(page: Path) -> str:
    """The identity the page declares, or InputError when it is no conformance page."""
    from ci.report_inputs import InputError

    if not page.is_file():
        raise InputError(f"{page}: no such file")
    head = page.read_text(encoding="utf-8", errors="replace")[:4000]
    match = re.search(r'<meta name="handbook-spec-matrix" content="([0-9a-f]+)">', head)
    if match is None:
        raise InputError(f"{page}: not a conformance page rendered by ci.render_report (it names no matrix)")
    return match.group(1)


def check_inputs(page: Path, matrix_path: Path) -> dict:
    """The matrix the page was rendered from; InputError for a missing or wrong file or a page that
    does not match its JSON."""
    from ci.page_html import page_identity
    from ci.report_inputs import InputError, load_comparable

    declared = page_identity_of(page)
    matrix = load_comparable(matrix_path)
    if page_identity(matrix) != declared:
        raise InputError(f"{page}: rendered from another run than {matrix_path} (its environments or statuses differ: "
                         f"{len(matrix['claims'])} claims × {', '.join(e['name'] for e in matrix['environments'])}); "
                         "give the JSON it was rendered from")
    return matrix


def set_width(driver, width: int, height: int = HEIGHT) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})


def screenshot(driver, path: Path, full_page: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not full_page:
        driver.save_screenshot(str(path))
        return
    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics.get("cssContentSize") or metrics["contentSize"]
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 16000), "scale": 1}})
    path.write_bytes(base64.b64decode(shot["data"]))


OVERFLOW_JS = r"""
var W=document.documentElement.clientWidth, sw=document.documentElement.scrollWidth, bad=[];
function scrolls(el){for(var p=el.parentElement;p&&p!==document.documentElement;p=p.parentElement){var s=getComputedStyle(p);
  if(s.overflowX!=='visible')return true;}return false;}
function name(el){return el.tagName.toLowerCase()+(el.id?'#'+el.id:'')+
  (el.className&&typeof el.className==='string'?'.'+el.className.trim().split(/\s+/).join('.'):'');}
if(sw>W){document.querySelectorAll('body *').forEach(function(el){if(scrolls(el))return;
  var r=el.getBoundingClientRect();
  if(r.width>0&&r.right>W+1){bad.push(name(el)+' right='+Math.round(r.right));return;}
  // text that does not wrap overflows its box without moving the box
  function spills(x){return getComputedStyle(x).overflowX==='visible'&&x.clientWidth>0&&x.scrollWidth>x.clientWidth+1;}
  if(spills(el)&&![].some.call(el.children,spills))
    bad.push(name(el)+' (text '+el.scrollWidth+' px wide: '+JSON.stringify((el.textContent||'').slice(0,50))+')');});}
return {width:W, scrollWidth:sw, offenders:bad.slice(0,5)};
"""

GLYPHS_JS = r"""
var els=[].slice.call(document.querySelectorAll('[lang|="zh"]'));
var text=els.map(function(x){return x.textContent;}).join('');
var han=[];(text.match(/\p{Script=Han}/gu)||[]).forEach(function(ch){if(han.indexOf(ch)<0&&han.length<24)han.push(ch);});
if(!han.length)return {han:[], font:null};
var el=els.find(function(x){return /\p{Script=Han}/u.test(x.textContent);});
var cs=getComputedStyle(el), font='400 32px '+cs.fontFamily;
function draw(ch){var c=document.createElement('canvas');c.width=48;c.height=48;var g=c.getContext('2d');
  g.font=font;g.fillStyle='#000';g.textBaseline='top';g.fillText(ch,4,4);return c.toDataURL();}
// Code points no font covers: what the missing-glyph box looks like here.
var tofu=['\u{F0000}','\u{F0001}','\u{10FFFD}'].map(draw);
var boxes=han.filter(function(ch){return tofu.indexOf(draw(ch))>=0;});
var distinct={};han.forEach(function(ch){distinct[draw(ch)]=1;});
return {han:han, boxes:boxes, distinct:Object.keys(distinct).length, font:cs.fontFamily};
"""


def check_glyphs(driver) -> list[str]:
    """Chinese text must be drawn with a font that has its glyphs, not as missing-glyph boxes."""
    result = driver.execute_script(GLYPHS_JS)
    han = result.get("han") or []
    if not han:
        return ["no Chinese text (lang=zh-CN) found on the page: the section titles should be there"]
    boxes = result.get("boxes") or []
    if boxes or result.get("distinct", 0) < max(2, len(han) // 2):
        return [f"Chinese text falls back to missing glyphs: {''.join(boxes or han)} drawn as the missing-glyph box "
                f"with the page's fonts ({result.get('font')}); install a CJK font (Debian: fonts-noto-cjk)"]
    return []


def check_widths(driver, widths, shot: Path | None, full_page: bool) -> list[str]:
    problems = []
    for width in widths:
        set_width(driver, width)
        driver.execute_script("window.scrollTo(0,0)")
        found = driver.execute_script(OVERFLOW_JS)
        if found["scrollWidth"] > found["width"]:
            problems.append(f"{width} px: the page is {found['scrollWidth']} px wide, wider than the window "
                            f"({found['width']} px): {', '.join(found['offenders']) or 'no single element found'}")
        if shot is not None:
            screenshot(driver, shot.with_name(f"{shot.stem}-{width}{shot.suffix or '.png'}"), full_page)
        # Opened, every claim and every detail must fit the window as well.
        driver.execute_script("document.querySelectorAll('details').forEach(function(d){d.open=true;});")
        found = driver.execute_script(OVERFLOW_JS)
        driver.execute_script("document.querySelectorAll('details').forEach(function(d){d.open=false;});")
        if found["scrollWidth"] > found["width"]:
            problems.append(f"{width} px, every claim opened: the page is {found['scrollWidth']} px wide, wider than the "
                            f"window ({found['width']} px): {', '.join(found['offenders']) or 'no single element found'}")
    set_width(driver, widths[0] if widths else WIDTHS[0])
    return problems


def check_structure(driver, matrix: dict) -> list[str]:
    from selenium.webdriver.common.by import By

    from ci import page_model as pm

    problems: list[str] = []
    envs = [x.name for x in pm.environments(matrix)]
    claims = {c["id"]: c for c in matrix["claims"]}
    shown = driver.execute_script(
        "return [].slice.call(document.querySelectorAll('#claims details.claim')).map(function(d){"
        "return [d.getAttribute('data-claim'), [].slice.call(d.querySelectorAll('summary .strip .cell')).map("
        "function(c){return [c.getAttribute('data-env'), c.getAttribute('data-status')];})];});")
    ids = [cid for cid, _ in shown]
    if sorted(ids) != sorted(claims):
        missing, extra = sorted(set(claims) - set(ids)), sorted(set(ids) - set(claims))
        problems.append(f"claim rows: {len(ids)} shown for {len(claims)} claims (missing {missing[:5]}, unexpected "
                        f"{extra[:5]}, duplicates {len(ids) - len(set(ids))})")
    for cid, cells in shown:
        if cid not in claims:
            continue
        if [env for env, _ in cells] != envs:
            problems.append(f"claim {cid}: status cells for {[env for env, _ in cells]}, not one per environment {envs}")
            break
        wrong = [(env, status) for env, status in cells if status != claims[cid]["results"][env]["status"]]
        if wrong:
            problems.append(f"claim {cid}: shows {wrong[0][1]} in {wrong[0][0]}, the matrix says "
                            f"{claims[cid]['results'][wrong[0][0]]['status']}")
            break
    # The overview: first (after Needs attention), on the first screen, sections in the book's order.
    order = driver.execute_script(
        "var ids=[].slice.call(document.querySelectorAll('main > section')).map(function(s){return s.id;});"
        "var g=document.getElementById('overview-grid');"
        "return {ids:ids, top:g?g.getBoundingClientRect().top:null, height:innerHeight,"
        "rows:g?[].slice.call(g.querySelectorAll('tbody tr[data-section]')).map(function(r){return r.getAttribute('data-section');})"
        ".filter(function(s){return s;}):[]};")
    if order["top"] is None:
        problems.append("no overview grid (#overview-grid)")
    else:
        before = order["ids"][:order["ids"].index("overview")] if "overview" in order["ids"] else order["ids"]
        if not before or before[0] != "attention" or set(before) - {"attention", "changes"}:
            problems.append(f"the page should open with Needs attention and then the overview; sections before the "
                            f"overview: {before}")
        if order["top"] >= order["height"]:
            problems.append(f"the overview grid starts {order['top']:.0f} px down, below the first screen "
                            f"({order['height']} px)")
        expected = [r.section for r in pm.outline(matrix)]
        if order["rows"] != expected:
            problems.append(f"overview rows are not the book's sections in the book's order: {order['rows'][:4]}… "
                            f"instead of {expected[:4]}…")
    problems += _check_expanding_a_reason(driver, matrix, envs)
    problems += _check_filter(driver, matrix)
    return problems


def _check_expanding_a_reason(driver, matrix: dict, envs: list[str]) -> list[str]:
    """Clicking a claim's line opens it, and the reason of a deviating environment becomes visible."""
    from selenium.webdriver.common.by import By

    target = next(((c["id"], env, c["results"][env]) for c in matrix["claims"] for env in envs
                   if c["results"][env].get("reason") and c["results"][env]["status"] in ("deviates-known", "deviates-new")),
                  None)
    target = target or next(((c["id"], env, c["results"][env]) for c in matrix["claims"] for env in envs
                             if c["results"][env].get("reason")), None)
    if target is None:
        return []
    claim_id, env, cell = target
    details = driver.find_element(By.CSS_SELECTOR, f'details.claim[data-claim="{claim_id}"]')
    rows = [r for r in details.find_elements(By.CSS_SELECTOR, "tr.res") if env in (r.get_attribute("data-envs") or "").split()]
    if not rows:
        return [f"{claim_id}: no result row for {env}"]
    reason = rows[0].find_elements(By.CSS_SELECTOR, ".reason")
    if not reason:
        return [f"{claim_id} / {env}: the result row shows no reason"]
    reason = reason[0]
    if reason.is_displayed():
        return [f"{claim_id} / {env}: the reason is visible before the claim is opened"]
    summary = details.find_element(By.CSS_SELECTOR, "summary")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", summary)
    summary.click()
    if not reason.is_displayed():
        return [f"{claim_id} / {env}: clicking the claim did not show its reason"]
    if " ".join(reason.text.split()) != " ".join(cell["reason"].split()):
        return [f"{claim_id} / {env}: the opened reason reads {reason.text[:120]!r}, expected {cell['reason'][:120]!r}"]
    summary.click()
    return []


def check_link(driver, page: Path, matrix: dict) -> list[str]:
    """Following #claim-<id> opens the claim, highlights it and scrolls to it."""
    if len(matrix["claims"]) < 2:
        return []
    claim_id = matrix["claims"][len(matrix["claims"]) // 2]["id"]
    driver.get(page.resolve().as_uri() + f"#claim-{claim_id}")
    state = driver.execute_script(
        "var d=document.getElementById(arguments[0]); if(!d)return null; var r=d.getBoundingClientRect();"
        "return {open:d.open, hl:d.classList.contains('hl'), top:r.top, height:innerHeight};", f"claim-{claim_id}")
    if state is None:
        return [f"#claim-{claim_id}: no such element"]
    problems = []
    if not (state["open"] and state["hl"]):
        problems.append(f"#claim-{claim_id}: following the link did not open and highlight the claim ({state})")
    if not -2 <= state["top"] < state["height"]:
        problems.append(f"#claim-{claim_id}: the claim is not on screen after following the link (top {state['top']:.0f})")
    return problems


def _check_filter(driver, matrix: dict) -> list[str]:
    deviating = sorted(c["id"] for c in matrix["claims"]
                       if any(cell["status"] in ("deviates-known", "deviates-new") for cell in c["results"].values()))
    result = driver.execute_script(
        "var s=document.getElementById('f-status'); if(!s)return null; s.value='deviating';"
        "s.dispatchEvent(new Event('change'));"
        "var shown=[].slice.call(document.querySelectorAll('#claims details.claim:not(.hidden)')).map(function(d){"
        "return d.getAttribute('data-claim');});"
        "var empty=[].slice.call(document.querySelectorAll('#claims .sec')).filter(function(x){"
        "return !x.classList.contains('hidden') && !x.closest('.hidden') && !x.querySelector('details.claim:not(.hidden)');}).length;"
        "var hidden=[].slice.call(document.querySelectorAll('#claims .sec.hidden')).length;"
        "s.value='all'; s.dispatchEvent(new Event('change'));"
        "return {shown:shown, empty:empty, hidden:hidden};")
    if result is None:
        return ["no claim filter (#f-status)"]
    problems = []
    if sorted(result["shown"]) != deviating:
        problems.append(f"the 'deviating' filter shows {len(result['shown'])} claims, {len(deviating)} deviate somewhere")
    if result["empty"]:
        problems.append(f"the 'deviating' filter leaves {result['empty']} empty sections visible")
    return problems


def check_page(page: Path, matrix: dict, screenshot_path: Path | None = None, widths=WIDTHS,
               full_page: bool = False) -> list[str]:
    """Problems a reader would meet on the page (empty when it is as it should be)."""
    problems: list[str] = []
    driver = open_browser()
    try:
        set_width(driver, WIDTHS[0])
        driver.get(page.resolve().as_uri())
        problems += check_structure(driver, matrix)
        problems += check_glyphs(driver)
        problems += check_link(driver, page, matrix)
        driver.get(page.resolve().as_uri())
        problems += check_widths(driver, widths, screenshot_path, full_page)
        problems += [f"console: {line}" for line in console_errors(driver)]
    finally:
        driver.quit()
    return problems


def main(argv: list[str] | None = None) -> int:
    from ci.report_inputs import InputError

    parser = argparse.ArgumentParser(prog="python -m ci.browser_check", description=__doc__.split("\n\n")[0])
    parser.add_argument("page", type=Path)
    parser.add_argument("matrix", type=Path, help="the matrix.json (or single report) the page was rendered from")
    parser.add_argument("--screenshot", type=Path, help="OUT.png: writes OUT-<width>.png for each width")
    parser.add_argument("--widths", default=",".join(map(str, WIDTHS)), help="window widths in px (default 1400,820,412)")
    parser.add_argument("--full-page", action="store_true", help="screenshots of the whole page, not the first screen")
    options = parser.parse_args(argv)
    try:
        widths = [int(w) for w in options.widths.split(",") if w.strip()]
    except ValueError:
        print(f"ci.browser_check: --widths={options.widths}: not a list of pixel widths", file=sys.stderr)
        return 2
    try:
        matrix = check_inputs(options.page, options.matrix)
    except InputError as exc:
        print(f"ci.browser_check: {exc}", file=sys.stderr)
        return 2
    try:
        problems = check_page(options.page, matrix, options.screenshot, widths, options.full_page)
    except BrowserMissing as exc:
        print(f"ci.browser_check: browser check impossible: {exc}", file=sys.stderr)
        return 2
    for problem in problems:
        print(f"FAIL {problem}")
    if not problems:
        shots = (", screenshots " + ", ".join(f"{options.screenshot.stem}-{w}{options.screenshot.suffix or '.png'}"
                                              for w in widths)) if options.screenshot else ""
        print(f"ok: {len(matrix['claims'])} claims × {len(matrix['environments'])} environments; overview first, in the "
              f"book's order; a reason opens on click; links open claims; filters; Chinese glyphs; no overflow at "
              f"{', '.join(map(str, widths))} px; no console errors{shots}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
