"""A person who opens a feed URL in a browser sees a page about the feed (feed.xsl).

Chromium renders application/atom+xml and application/rss+xml as plain text,
so a request that prefers text/html gets the same bytes as application/xml;
feed readers keep the feed's own media type.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import SCENARIOS, app_config, start_server, stop_server

from feedsvc import create_app

BROWSER_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (BROWSER_ACCEPT, "application/xml"),
        (None, "{feed}"),
        ("*/*", "{feed}"),
        ("application/atom+xml, application/rss+xml;q=0.9, */*;q=0.1", "{feed}"),
        ("application/rss+xml, application/atom+xml;q=0.6, text/html;q=0.2", "{feed}"),
    ],
)
@pytest.mark.parametrize("kind", ["atom", "rss"])
def test_browsers_get_xml_and_readers_the_feed_type(articles: Path, accept, expected, kind):
    client = create_app(app_config(articles)).test_client()
    headers = {"Accept": accept} if accept else {}
    response = client.get(f"/feed.{kind}", headers=headers)
    feed_type = f"application/{kind}+xml"
    assert response.content_type == expected.format(feed=feed_type) + "; charset=utf-8"
    assert "Accept" in response.headers["Vary"]
    plain = client.get(f"/feed.{kind}")
    assert response.data == plain.data, "the same bytes whatever the media type"


def test_json_feed_type_does_not_depend_on_accept(articles: Path) -> None:
    client = create_app(app_config(articles)).test_client()
    response = client.get("/feed.json", headers={"Accept": BROWSER_ACCEPT})
    assert response.content_type == "application/feed+json; charset=utf-8"


def _chromium():
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not binary or not driver:
        pytest.skip("needs Debian's chromium and chromium-driver packages")
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.binary_location = binary
    return webdriver.Chrome(options=options, service=Service(driver))


@pytest.mark.browser
def test_chromium_renders_every_feed_as_a_page(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    shutil.copytree(SCENARIOS / "awkward", articles)
    server = start_server(articles, workers=1)
    browser = None
    try:
        browser = _chromium()
        browser.set_page_load_timeout(20)
        for path in ("feed.atom", "feed.rss", "tags/security/feed.atom", "archive/2026-01.rss"):
            browser.get(server.url + path)
            assert browser.title.endswith("(web feed)"), (path, browser.title)
            text = browser.execute_script("return document.body.innerText")
            assert "This is a web feed" in text and server.url + path in text
            assert "Handlers and styles" not in text, "summaries, not content"
            if path.startswith(("feed.", "archive/2026-01")):
                assert "<b>Bold</b> claims & “quotes” about <script>" in text, "titles as text"
            rules = browser.execute_script(
                "return Array.from(document.styleSheets).map(s => [s.href, s.cssRules.length])"
            )
            assert rules == [[server.url + "static/style.css", rules[0][1]]] and rules[0][1] > 0
            assert not browser.execute_script("return document.querySelectorAll('script').length")
    finally:
        if browser is not None:
            browser.quit()
        stop_server(server)
