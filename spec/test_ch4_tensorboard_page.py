"""四、TensorFlow常用模块 / （二）TensorBoard可视化 / 1.: the TensorBoard page as a reader sees it. "默认情况下，
TensorBoard每30秒更新一次数据，不过也可以点击右上角的刷新按钮手动刷新" — a real `tensorboard --logdir` server on
loopback (fixtures.tensorboard_server) opened in headless Chromium through Selenium (Debian's `chromium`
and `chromium-driver`, the `report` extra), as ci.browser_check does for the conformance page.

The fast test reads what the page shows: the refresh button at the top right (clicked, it brings a run
written after the page loaded), and the gear icon's settings ("Reload data", "Reload Period
(seconds)"). The slow test watches the page's own data requests (the Performance API's resource
entries under /data/) while it is left alone for longer than 30 s with the defaults, then with
"Reload data" switched on. Without Chromium or Selenium both skip, naming what to install.

The browser is kept off the network: every host name resolves to nothing (--host-resolver-rules),
background services are off, and each test checks that the page requested nothing but the server.
"""
from __future__ import annotations

import time
import urllib.parse

import pytest
import tensorflow as tf

from ci.browser_check import BrowserMissing, find_browser
from fixtures.tensorboard_server import tensorboard_server_for

BOOK_PERIOD_S = 30
IDLE_WINDOW_S = 35  # longer than the book's 30 s: a default reload would fall inside it
AUTO_WINDOW_S = 40  # the first automatic reload comes one period after switching it on
PAGE_TIMEOUT_S = 60  # the page boots an Angular app; a busy 2-core machine is slow
CHROMIUM_FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000",
    "--no-first-run", "--disable-extensions", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--disable-default-apps", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
)
JS_RESOURCES = "return performance.getEntriesByType('resource').map(e => [e.startTime, e.name])"


def open_chromium(profile, extra_flags: tuple[str, ...] = ()):
    """Headless Chromium with a fresh profile and no way to the network, or skip naming what is missing
    (also used by spec/test_ch1_tfjs.py)."""
    try:
        browser, driver = find_browser()
    except BrowserMissing as exc:
        pytest.skip(f"needs headless Chromium driven by Selenium (extra `report`): {exc}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in (*CHROMIUM_FLAGS, *extra_flags, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)


def write_run(logdir, run: str, steps: int = 5) -> None:
    writer = tf.summary.create_file_writer(str(logdir / run))
    with writer.as_default():
        for step in range(steps):
            tf.summary.scalar("loss", 1.0 / (step + 1), step=step)
    writer.flush()
    writer.close()


def wait_until(predicate, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as exc:  # noqa: BLE001 - Selenium raises several kinds while the app boots
            last = exc
        time.sleep(0.3)
    raise AssertionError(f"the TensorBoard page showed no {what} within {timeout} s (last error: {last!r})")


class Page:
    """One TensorBoard server on its own logdir and one browser on its page."""

    def __init__(self, tmp_path):
        from selenium.webdriver.common.by import By

        self.by = By
        self.logdir = tmp_path / "tblog"
        write_run(self.logdir, "run_loaded_first")
        self.driver = open_chromium(tmp_path / "chromium-profile")
        try:
            self.server = tensorboard_server_for(self.logdir, tmp_path / "tensorboard.log")
        except BaseException:
            self.driver.quit()
            raise

    def close(self) -> list[int]:
        try:
            self.driver.quit()
        finally:
            left = self.server.stop()
        return left

    def load(self) -> None:
        self.driver.get(self.server.url + "/")
        wait_until(lambda: "run_loaded_first" in self.text(), timeout=PAGE_TIMEOUT_S, what="run 'run_loaded_first'")
        self.reload_button()
        time.sleep(2)  # let the first load's requests finish

    def text(self) -> str:
        return self.driver.find_element(self.by.TAG_NAME, "body").text

    def reload_button(self):
        return wait_until(lambda: self.driver.find_element(self.by.CSS_SELECTOR, "app-header-reload button"),
                          timeout=PAGE_TIMEOUT_S, what="refresh button")

    def settings(self) -> dict:
        """Open the gear icon's settings dialog: the 'Reload data' checkbox and the period field."""
        gear = wait_until(lambda: self.driver.find_element(self.by.CSS_SELECTOR, "settings-button button"),
                          timeout=PAGE_TIMEOUT_S, what="settings (gear) button")
        gear.click()
        dialog = wait_until(lambda: self.driver.find_element(self.by.CSS_SELECTOR, "settings-dialog-component"),
                            timeout=20, what="settings dialog")
        checkbox = dialog.find_element(self.by.CSS_SELECTOR, "mat-checkbox")
        box = checkbox.find_element(self.by.CSS_SELECTOR, "input[type=checkbox]")
        period = dialog.find_element(self.by.CSS_SELECTOR, "input.reload-period")
        return {"label": " ".join(checkbox.text.split()), "checked": bool(box.get_property("checked")),
                "period": period.get_property("value"), "checkbox": box}

    def close_settings(self) -> None:
        from selenium.webdriver.common.keys import Keys

        self.driver.find_element(self.by.TAG_NAME, "body").send_keys(Keys.ESCAPE)
        wait_until(lambda: not self.driver.find_elements(self.by.CSS_SELECTOR, "settings-dialog-component"),
                   timeout=10, what="closed settings dialog")

    def now_ms(self) -> float:
        return self.driver.execute_script("return performance.now()")

    def requests_since(self, t0_ms: float) -> list[tuple[float, str]]:
        """(seconds after t0, path) of the page's requests under /data/ since t0."""
        return [((t - t0_ms) / 1000, urllib.parse.urlsplit(url).path)
                for t, url in self.driver.execute_script(JS_RESOURCES) if t > t0_ms and "/data/" in url]

    def foreign_requests(self) -> list[str]:
        origin = self.server.url
        return sorted({url for _, url in self.driver.execute_script(JS_RESOURCES)
                       if not url.startswith((origin + "/", "data:", "blob:"))})

    def add_run_the_server_has(self, run: str) -> None:
        """Write a new run and wait until the server (not the page) lists it."""
        write_run(self.logdir, run)
        self.server.wait_for(lambda: run in self.server.get_json("/data/runs"), what=f"run {run!r}")


@pytest.fixture
def page(tmp_path):
    opened = Page(tmp_path)
    try:
        opened.load()
        yield opened
    finally:
        left = opened.close()
        assert not left, f"tensorboard left processes behind: {left}"


def book_reloads_by_default(auto_reload_on: bool, what: str) -> None:
    __tracebackhide__ = True
    assert auto_reload_on, (
        f"auto-reload is off by default: {what}; the page refreshes only when its refresh button is clicked "
        "or 'Reload data' is switched on in the settings"
    )


@pytest.mark.claim("tensorboard.page-refresh-30s")
def test_page_refresh_button_and_reload_setting(page, measured):
    import tensorboard

    button = page.reload_button()
    width = page.driver.get_window_size()["width"]
    place = {"x": button.location["x"], "y": button.location["y"], "window width": width,
             "title": button.get_attribute("title")}
    measured("refresh button", place, handbook="右上角的刷新按钮", note=f"TensorBoard {tensorboard.__version__}")
    settings = page.settings()
    page.close_settings()
    measured("auto-reload on by default", settings["checked"], handbook=True,
             note=f"settings dialog: {settings['label']!r} checkbox")
    measured("reload period (s)", int(settings["period"]), handbook=BOOK_PERIOD_S)
    page.add_run_the_server_has("run_written_later")
    shown_before = "run_written_later" in page.text()
    t0 = page.now_ms()
    button.click()
    wait_until(lambda: "run_written_later" in page.text(), timeout=30,
               what="run 'run_written_later' after the refresh button was clicked")
    clicked = page.requests_since(t0)
    measured("requests after one click on the refresh button", sorted({path for _, path in clicked}))
    foreign = page.foreign_requests()
    assert not foreign, f"the page requested something other than the server: {foreign}"

    assert place["x"] > 0.8 * width and place["y"] < 64, f"the refresh button is not at the top right: {place}"
    assert settings["label"] == "Reload data", settings["label"]
    assert any(path.endswith("/data/runs") for _, path in clicked), f"the refresh button fetched no run list: {clicked}"
    assert not shown_before, "run 'run_written_later' was on the page before any refresh"
    assert int(settings["period"]) == BOOK_PERIOD_S, f"reload period {settings['period']} s, not {BOOK_PERIOD_S}"
    book_reloads_by_default(settings["checked"], f"the settings' {settings['label']!r} box is unchecked")


@pytest.mark.slow
@pytest.mark.claim("tensorboard.page-refresh-30s")
def test_page_left_alone_fetches_data_every_30_s(page, measured):
    import tensorboard

    page.add_run_the_server_has("run_written_later")
    t0 = page.now_ms()
    time.sleep(IDLE_WINDOW_S)
    idle = page.requests_since(t0)
    shown_idle = "run_written_later" in page.text()
    measured(f"data requests in {IDLE_WINDOW_S} s left alone with the defaults", len(idle), handbook=">= 1 (every 30 s)",
             note=f"TensorBoard {tensorboard.__version__}")
    measured("auto-reload on by default", bool(idle))

    settings = page.settings()
    # Script clicks: some Angular Material versions overlay the input with its label. Already on, it is
    # switched off and on again, so that its timer starts now.
    for _ in range(2 if settings["checked"] else 1):
        page.driver.execute_script("arguments[0].click()", settings["checkbox"])
    switched_on = bool(settings["checkbox"].get_property("checked"))
    t1 = page.now_ms()
    page.close_settings()
    time.sleep(AUTO_WINDOW_S)
    runs_at = [round(s, 1) for s, path in page.requests_since(t1) if path.endswith("/data/runs")]
    measured("with 'Reload data' switched on: /data/runs requested at (s after switching)", runs_at,
             handbook=f"every {BOOK_PERIOD_S} s")
    foreign = page.foreign_requests()
    assert not foreign, f"the page requested something other than the server: {foreign}"

    assert switched_on, "the 'Reload data' checkbox did not switch on"
    assert runs_at and abs(runs_at[0] - BOOK_PERIOD_S) <= 5, (
        f"with 'Reload data' on, the first automatic reload came at {runs_at} s, not after about {BOOK_PERIOD_S} s")
    assert shown_idle == bool(idle), f"run 'run_written_later' shown {shown_idle} after {len(idle)} data requests"
    book_reloads_by_default(bool(idle), f"no data request in {IDLE_WINDOW_S} s and run 'run_written_later' was not shown")
