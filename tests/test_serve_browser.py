"""`portalwatch serve` in a real headless Chromium: diffs show, captured scripts never run.

Starts the real command in a subprocess on a free port and drives Debian's chromium with
chromedriver through Selenium. Skips when either binary is missing.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storage.archive import Archive
from storage.records import VersionContent
from tests.test_serve import NOTICE_URL, build_archive

try:
    from selenium import webdriver
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
except ImportError:  # pragma: no cover - the test extra is not installed
    pytest.skip("selenium is not installed (pip install -e '.[test]')", allow_module_level=True)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
    pytest.skip("chromium and chromedriver are not installed", allow_module_level=True)

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage")
HOSTILE_URL = "http://www.example.gov.cn/art/2024/3/8/art_1_200.html"
HOSTILE_TITLE = "<img src=x onerror=\"alert('title')\">关于<script>alert('title')</script>的公告"
HOSTILE_TEXT = ("附件：<script>document.title='pwned'; window.pwned = true;</script>"
                "<img src=x onerror=\"document.title='pwned'; window.pwned = true; alert(1)\">。\n")


def add_hostile_notice(path: Path) -> int:
    """A notice whose title and new text carry script tags and an onerror handler."""
    archive = Archive(path)
    with archive.transaction():
        page = archive.ensure_page("hunan", HOSTILE_URL, "2024-03-08T08:00:00+08:00")
        v1 = archive.add_version(page.id, VersionContent(fingerprint="h1", text="原文。\n", title=HOSTILE_TITLE),
                                 created_at="2024-03-08T08:00:00+08:00", capture_id=None)
        v2 = archive.add_version(page.id, VersionContent(fingerprint="h2", text="原文。\n" + HOSTILE_TEXT,
                                                         title=HOSTILE_TITLE),
                                 created_at="2024-03-09T08:00:00+08:00", capture_id=None)
        change_id = archive.add_change(page.id, "edited", detected_at="2024-03-09T08:00:01+08:00",
                                       fields=["text"], from_version_id=v1.id, to_version_id=v2.id)
    archive.close()
    return change_id


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def portalwatch_command() -> list[str]:
    script = Path(sys.executable).parent / "portalwatch"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from monitor.cli import main; main()"]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The real `portalwatch serve` on a free port; yields (base URL, built archive, hostile id)."""
    path = tmp_path_factory.mktemp("serve") / "archive.db"
    built = build_archive(path)
    hostile_id = add_hostile_notice(path)
    port = free_port()
    server = subprocess.Popen(
        [*portalwatch_command(), "serve", "--archive", str(path), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if server.poll() is not None:
                pytest.fail(f"portalwatch serve exited: {server.stdout.read()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("portalwatch serve did not start listening within 30s")
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", built, hostile_id
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = Options()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def open_page(driver, url: str) -> None:
    driver.get(url)
    driver.execute_script("return document.readyState")  # raises if an alert is open
    time.sleep(0.3)  # let image errors and deferred scripts fire


def assert_no_alert(driver) -> None:
    try:
        alert = driver.switch_to.alert
    except NoAlertPresentException:
        return
    text = alert.text
    alert.dismiss()
    pytest.fail(f"an alert ran: {text!r}")


def csp_violations(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if "Content Security Policy" in entry["message"]]


def test_change_page_shows_deleted_and_inserted_text(served, browser):
    base, built, _ = served
    open_page(browser, f"{base}/-/change/{built.edit_id}")
    table = browser.find_element(By.CSS_SELECTOR, "table.pw-side-by-side")
    deleted = [e.text for e in table.find_elements(By.TAG_NAME, "del")]
    inserted = [e.text for e in table.find_elements(By.TAG_NAME, "ins")]
    assert deleted == ["5"]
    assert inserted == ["9", "联系人：王科长。"]
    assert browser.find_element(By.CSS_SELECTOR, ".pw-url a").get_attribute("href") == NOTICE_URL
    # The stylesheet loaded: inserted text is highlighted, not underlined.
    ins = table.find_element(By.TAG_NAME, "ins")
    assert ins.value_of_css_property("text-decoration-line") == "none"


def test_scripts_in_captured_text_and_title_do_not_run(served, browser):
    base, _, hostile_id = served
    browser.get_log("browser")  # clear
    open_page(browser, f"{base}/-/change/{hostile_id}")
    assert_no_alert(browser)
    assert browser.title.startswith(f"Change {hostile_id}: ")
    assert "pwned" not in browser.title
    assert browser.execute_script("return window.pwned === undefined")
    assert browser.execute_script(
        "return document.querySelectorAll('section.content script, section.content img').length") == 0
    inserted = browser.find_element(By.CSS_SELECTOR, "table.pw-side-by-side ins").text
    assert "<script>document.title='pwned'; window.pwned = true;</script>" in inserted
    assert "<img src=x onerror=" in inserted
    assert browser.find_element(By.CSS_SELECTOR, "h1.pw-title").text == HOSTILE_TITLE


def test_the_policy_blocks_an_inline_script_added_to_the_change_page(served, browser):
    base, built, _ = served
    open_page(browser, f"{base}/-/change/{built.edit_id}")
    title = browser.title
    browser.execute_script(
        "window.violations = [];"
        "document.addEventListener('securitypolicyviolation', e => window.violations.push(e.violatedDirective));"
        "const s = document.createElement('script'); s.textContent = \"document.title = 'csp-failed'\";"
        "document.body.appendChild(s);"
    )
    time.sleep(0.3)
    assert browser.title == title
    assert any(d.startswith("script-src") for d in browser.execute_script("return window.violations"))


def test_datasette_pages_run_their_own_scripts_without_violations(served, browser):
    base, _, _ = served
    browser.get_log("browser")  # clear
    open_page(browser, f"{base}/archive")
    # The SQL editor is set up by Datasette's inline script, allowed by its hash.
    assert browser.find_elements(By.CSS_SELECTOR, ".CodeMirror")
    open_page(browser, f"{base}/archive/changes")
    assert browser.find_elements(By.CSS_SELECTOR, "table.rows-and-columns")
    assert csp_violations(browser) == []


def test_escaped_markup_in_the_versions_table_does_not_run(served, browser):
    base, _, _ = served
    open_page(browser, f"{base}/archive/versions?_search=onerror")
    assert_no_alert(browser)
    assert "pwned" not in browser.title
    assert browser.execute_script("return window.pwned === undefined")
    cells = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "td.col-text")]
    assert any("<script>document.title='pwned'" in text for text in cells)


def test_sample_portal_edit_is_shown_on_its_change_page(browser, tmp_path):
    """End to end: crawl the sample portal, let it edit a notice, re-check, serve, look."""
    from sampleportal import SamplePortal
    from tests.conftest import make_setup
    from tests.test_monitor import check

    with SamplePortal() as portal:
        setup = make_setup(portal, tmp_path)
        check(setup)
        edit = portal.edit_notice("hunan", 1)
        check(setup)
    with Archive(setup.archive_path, readonly=True) as archive:
        (change,) = archive.changes(kinds=["edited"])
    port = free_port()
    server = subprocess.Popen([*portalwatch_command(), "serve", "--archive", str(setup.archive_path),
                               "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "serve did not start"
                time.sleep(0.1)
        browser.get(f"http://127.0.0.1:{port}/-/change/{change.id}")
        inserted = "".join(el.text for el in browser.find_elements(By.TAG_NAME, "ins"))
        deleted = "".join(el.text for el in browser.find_elements(By.TAG_NAME, "del"))
        (before, after), *rest = edit.changes
        assert inserted and deleted
        # The changed figure's new digits are inserted, its old digits deleted.
        new_digits = {ch for ch in after if ch.isdigit()} - {ch for ch in before if ch.isdigit()}
        assert not new_digits or new_digits & set(inserted)
        for _before, after_sentence in rest:
            assert after_sentence[:6] in inserted
    finally:
        server.terminate()
        server.wait(timeout=10)
