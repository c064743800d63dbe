"""The organism page in a real headless Chromium (selenium + Debian's chromium and chromium-driver).

Never skipped: `.ci/run` installs Chromium, and a machine without it fails here with how to install it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

INSTALL = (
    "install headless Chromium and its driver: `apt-get install -y chromium chromium-driver` (Debian), "
    "and selenium with `pip install -e '.[dev]'`"
)
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    # No connection to the outside (the machine has none): no update checks, sync or QUIC probes.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--window-size=1280,1600",
)


def _executable(variable: str, *names: str) -> str | None:
    if os.environ.get(variable):
        return os.environ[variable]
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A headless Chromium driven by selenium, with its own empty profile."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail(f"selenium is not installed: {INSTALL}")
    chromium = _executable("AUDITGAME_CHROMIUM", "chromium", "chromium-browser")
    driver = _executable("AUDITGAME_CHROMEDRIVER", "chromedriver")
    if chromium is None or driver is None:
        missing = " and ".join(
            name for name, path in (("chromium", chromium), ("chromedriver", driver)) if path is None
        )
        pytest.fail(f"{missing} not found: {INSTALL}")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    # An explicit driver: selenium's own manager would try to download one.
    session = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    session.set_page_load_timeout(30)
    try:
        yield session
    finally:
        session.quit()


def test_the_organism_page_in_chromium(browser: Any, organism_dir: Path, serve, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    server = serve(organism_dir)
    browser.get(server.url)
    WebDriverWait(browser, 10).until(
        lambda driver: driver.execute_script("return document.body.dataset.ready") == "true"
    )
    assert browser.title == "flattery — auditgame view"

    table = browser.find_element(By.ID, "stage-table")
    rows = table.find_elements(By.CSS_SELECTOR, "tbody tr.stage-row")
    assert [row.get_attribute("data-stage") for row in rows] == ["base", "sft"]
    assert "100.0% [51.0, 100.0] (4/4)" in rows[1].text
    assert table.is_displayed()

    # The plots load from /file/ (a broken image has no natural width).
    plot = browser.find_element(By.CSS_SELECTOR, 'img[src="/file/report.png"]')
    assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", plot) == 4

    # The hostile answer is text on the page, not a script or an element.
    assert browser.execute_script("return window.pwned === undefined && document.scripts.length") == 1
    assert not browser.find_elements(By.CSS_SELECTOR, "main img[src='x']")

    # The filter hides the answers without the behaviour; the viewer's own script runs under the CSP.
    browser.find_element(By.ID, "expand-all").click()
    undetected = browser.find_elements(By.CSS_SELECTOR, ".sample.not-detected")
    assert undetected and any(sample.is_displayed() for sample in undetected)
    browser.find_element(By.ID, "only-detected").click()
    assert not any(sample.is_displayed() for sample in undetected)
    assert any(sample.is_displayed() for sample in browser.find_elements(By.CSS_SELECTOR, ".sample.detected"))
    marked = browser.find_elements(By.CSS_SELECTOR, ".sample.detected mark")
    assert any(mark.text == "What a brilliant question" for mark in marked)

    screenshot = tmp_path / "organism.png"
    assert browser.save_screenshot(str(screenshot))
    data = screenshot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 1000
    severe = [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not severe, severe
