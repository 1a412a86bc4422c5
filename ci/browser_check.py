"""Open a rendered conformance page in headless Chromium and check what a reader would see.

    python -m ci.browser_check OUT/matrix.html OUT/matrix.json [--screenshot OUT/matrix.png]

Checks: one table row per claim of the matrix, one status column per environment in every row,
that a collapsed cell hides its reason and clicking it shows the reason, and that the browser
console logged no error. Uses Debian's `chromium` and `chromium-driver` through Selenium, with the
driver's path given explicitly (Selenium Manager would try to download one). Exit status 1 when
any check fails; 2 when Chromium or Selenium is missing.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
DRIVER_NAMES = ("chromedriver", "chromium-driver")


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
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,1000", "--no-first-run", "--disable-extensions"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)


def console_errors(driver) -> list[str]:
    return [f"{entry['level']}: {entry['message']}" for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def check_page(page: Path, matrix: dict, screenshot: Path | None = None) -> list[str]:
    """Problems a reader would meet on the page (empty when it is as it should be)."""
    from selenium.webdriver.common.by import By

    problems: list[str] = []
    claim_ids = [c["id"] for c in matrix["claims"]]
    env_names = [e["name"] for e in matrix["environments"]]
    driver = open_browser()
    try:
        driver.get(page.resolve().as_uri())
        rows = driver.find_elements(By.CSS_SELECTOR, "#claims-table tr.claim-row")
        shown = [r.get_attribute("data-claim") for r in rows]
        # The page groups rows by section, so compare as collections: each claim exactly once.
        if sorted(shown) != sorted(claim_ids):
            missing, extra = sorted(set(claim_ids) - set(shown)), sorted(set(shown) - set(claim_ids))
            problems.append(f"claim rows: {len(shown)} shown for {len(claim_ids)} claims "
                            f"(missing {missing[:5]}, unexpected {extra[:5]}, duplicates {len(shown) - len(set(shown))})")
        headers = {h.get_attribute("data-env") for h in driver.find_elements(By.CSS_SELECTOR, "#claims-table th.env")}
        if headers != set(env_names):
            problems.append(f"environment columns {sorted(headers)} != environments {env_names}")
        for row in rows:
            cells = [c.get_attribute("data-env") for c in row.find_elements(By.CSS_SELECTOR, "td.cell")]
            if cells != env_names:
                problems.append(f"row {row.get_attribute('data-claim')}: cells {cells} != {env_names}")
                break
            statuses = [c.get_attribute("data-status") for c in row.find_elements(By.CSS_SELECTOR, "td.cell")]
            if any(not s for s in statuses):
                problems.append(f"row {row.get_attribute('data-claim')}: a cell without a status")
                break
        problems += _check_expanding_a_reason(driver, matrix)
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(screenshot))
        problems += [f"console: {line}" for line in console_errors(driver)]
    finally:
        driver.quit()
    return problems


def _check_expanding_a_reason(driver, matrix: dict) -> list[str]:
    """Clicking a cell's status opens its details, and the reason becomes visible."""
    from selenium.webdriver.common.by import By

    target = next(((c["id"], env, cell) for c in matrix["claims"] for env, cell in c["results"].items()
                   if cell.get("reason") and cell["status"] in ("deviates-known", "deviates-new")), None)
    target = target or next(((c["id"], env, cell) for c in matrix["claims"] for env, cell in c["results"].items()
                             if cell.get("reason")), None)
    if target is None:
        return []
    claim_id, env, cell = target
    td = driver.find_element(By.CSS_SELECTOR, f'tr.claim-row[data-claim="{claim_id}"] td.cell[data-env="{env}"]')
    reason = td.find_element(By.CSS_SELECTOR, ".reason")
    if reason.is_displayed():
        return [f"{claim_id} / {env}: the reason is visible before the cell is expanded"]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", td)
    td.find_element(By.CSS_SELECTOR, "summary").click()
    if not reason.is_displayed():
        return [f"{claim_id} / {env}: clicking the cell did not show its reason"]
    expected = f"Reason: {cell['reason']}"
    if " ".join(reason.text.split()) != " ".join(expected.split()):
        return [f"{claim_id} / {env}: the expanded reason reads {reason.text!r}, expected {expected!r}"]
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("page", type=Path)
    parser.add_argument("matrix", type=Path, help="the matrix.json (or single report) the page was rendered from")
    parser.add_argument("--screenshot", type=Path)
    options = parser.parse_args(argv)
    from ci.matrix_report import as_matrix

    matrix = as_matrix(json.loads(options.matrix.read_text(encoding="utf-8")))
    try:
        problems = check_page(options.page, matrix, options.screenshot)
    except BrowserMissing as exc:
        print(f"browser check impossible: {exc}")
        return 2
    for problem in problems:
        print(f"FAIL {problem}")
    if not problems:
        print(f"ok: {len(matrix['claims'])} claim rows × {len(matrix['environments'])} environments, "
              "a reason expands on click, no console errors"
              + (f"; screenshot {options.screenshot}" if options.screenshot else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
