"""The pages in a real browser: headless Chromium from Debian, driven by Selenium.

Needs the Debian packages ``chromium`` and ``chromium-driver`` (/usr/bin/chromium,
/usr/bin/chromedriver); skips with a message where they are missing, but fails under
CI=true. The driver is never downloaded: Selenium is given both paths and told to stay
offline.
Screenshots go to test-artifacts/ at the repository root.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, Server, start_server, stop_server

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = ROOT / "test-artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDTHS = {"phone": (390, 844), "desktop": (1280, 900)}
FEED_TYPES = ["application/atom+xml", "application/rss+xml", "application/feed+json"]
ARTICLE_TITLE = "Harbour Bridge Reopens After Eighteen Months of Repairs"

pytestmark = [pytest.mark.browser, pytest.mark.server]


def _missing() -> str:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            return (
                f"{path} not found: install the Debian packages chromium and chromium-driver "
                "(apt-get install -y chromium chromium-driver) to run the browser tests"
            )
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed: pip install -e '.[test]'"
    return ""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real server on the sample articles, BASE_URL its own loopback address."""
    if reason := _missing():
        if os.environ.get("CI") == "true":  # .ci/run installs them: a CI without them fails
            pytest.fail(f"CI=true and {reason}")
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("browser")
    articles = folder / "articles"
    shutil.copytree(ROOT / "articles", articles)
    server = start_server(
        articles, env={"FEEDSVC_STATE": str(folder / "state.sqlite3")}, workers=1
    )
    yield server
    stop_server(server)


@pytest.fixture
def browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Return a headless Chromium with a fresh profile; quit it afterwards."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.selenium_manager import SeleniumManager

    # Selenium Manager must never look for a driver or a browser on the network:
    # both paths are given, and running it at all fails the test.
    monkeypatch.setenv("SE_OFFLINE", "true")
    monkeypatch.setenv("SE_AVOID_STATS", "true")

    def no_manager(self, args):
        raise AssertionError(f"Selenium Manager was asked for {args}")

    monkeypatch.setattr(SeleniumManager, "binary_paths", no_manager)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'profile'}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(CHROMEDRIVER, log_output=str(tmp_path / "chromedriver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()


def _console_errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def _fits(driver) -> bool:
    return driver.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth"
    )


def _shot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    height = driver.execute_script("return document.documentElement.scrollHeight")
    width = driver.get_window_size()["width"]
    driver.set_window_size(width, min(max(height + 140, 600), 4000))  # whole page in one shot
    driver.save_screenshot(str(path))
    return path


@pytest.mark.parametrize("width", list(WIDTHS))
def test_index_link_leads_to_article_with_title_and_autodiscovery(site: Server, browser, width):
    from selenium.webdriver.common.by import By

    w, h = WIDTHS[width]
    browser.set_window_size(w, h)
    browser.get(site.url)
    assert browser.find_element(By.CSS_SELECTOR, "main h1").text
    assert not _console_errors(browser), "console errors on the index"
    assert _fits(browser), "the index scrolls sideways"
    _shot(browser, f"index-{width}")

    browser.set_window_size(w, h)
    browser.find_element(By.LINK_TEXT, ARTICLE_TITLE).click()
    assert browser.current_url == site.url + "articles/harbour-bridge-reopens"
    assert browser.title.startswith(ARTICLE_TITLE)
    assert browser.find_element(By.CSS_SELECTOR, "article h1").text == ARTICLE_TITLE
    links = browser.find_elements(By.CSS_SELECTOR, 'head link[rel="alternate"]')
    assert [link.get_attribute("type") for link in links] == FEED_TYPES
    assert [link.get_attribute("href") for link in links] == [
        site.url + name for name in ("feed.atom", "feed.rss", "feed.json")
    ]
    assert not _console_errors(browser), "console errors on the article"
    assert _fits(browser), "the article scrolls sideways"
    _shot(browser, f"article-{width}")


def test_pages_run_no_script_and_load_only_their_own_assets(site: Server, browser):
    from selenium.webdriver.common.by import By

    browser.get(site.url + "tags/city/")
    assert browser.find_elements(By.TAG_NAME, "script") == []
    resources = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert resources and all(url.startswith(site.url + "static/") for url in resources)
    assert not _console_errors(browser)
    _shot(browser, "tag-desktop")


def test_error_page_is_a_styled_page_of_the_site(site: Server, browser):
    from selenium.webdriver.common.by import By

    browser.set_window_size(*WIDTHS["phone"])
    browser.get(site.url + "no-such-page")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Page not found"
    colour = browser.find_element(By.CSS_SELECTOR, "header.site").value_of_css_property(
        "background-color"
    )
    assert colour not in ("rgba(0, 0, 0, 0)", "transparent"), "style.css did not apply"
    # the only console message allowed is the document's own 404
    assert all("404" in message for message in _console_errors(browser))
    _shot(browser, "error-phone")
