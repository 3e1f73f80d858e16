"""A person who opens a feed URL in a browser sees a page about the feed: feed.css, no XSLT.

Chromium renders application/atom+xml and application/rss+xml as plain text,
so a request that prefers text/html gets the same bytes as application/xml;
feed readers keep the feed's own media type. The page is CSS applied to the
feed's own XML (``<?xml-stylesheet type="text/css"?>``): no XSLT, which
Chromium 156 marks as deprecated with a console warning and a banner.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import feedparser
import pytest
from conftest import ROOT, SCENARIOS, app_config, start_server, stop_server

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
    """Return a headless Chromium; skip where it is missing, but fail under CI=true."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    missing = "" if binary and driver else "needs Debian's chromium and chromium-driver packages"
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing = "selenium is not installed: pip install -e '.[test]'"
    if missing:
        if os.environ.get("CI") == "true":  # .ci/run installs all three: a CI without them fails
            pytest.fail(f"CI=true and {missing}")
        pytest.skip(missing)
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.binary_location = binary
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(driver))


# What the browser shows, read from the rendered XML document (it has no innerText).
SHOWN = """
const shown = e => e.getClientRects().length > 0 && getComputedStyle(e).display !== 'none';
const root = document.documentElement;
const feed = root.localName === 'rss' ? root.firstElementChild : root;
const kids = (e, name) => Array.from(e.children).filter(c => c.localName === name);
const entries = [...kids(feed, 'entry'), ...kids(feed, 'item')];
const self = Array.from(feed.children).find(c => c.localName === 'link' &&
  c.getAttribute('rel') === 'self');
return {
  type: document.contentType,
  root: [root.namespaceURI, root.localName],
  instructions: Array.from(document.childNodes).filter(n => n.nodeType === 7)
    .map(n => n.target + ' ' + n.data),
  sheets: Array.from(document.styleSheets).map(s => [s.href, s.cssRules.length]),
  about: getComputedStyle(feed, '::before').content,
  title: shown(kids(feed, 'title')[0]) ? kids(feed, 'title')[0].textContent : null,
  self: self && shown(self) ? self.getAttribute('href') : null,
  selfShown: self ? getComputedStyle(self, '::after').content : null,
  titles: entries.map(e => kids(e, 'title')[0]).filter(shown).map(t => t.textContent),
  entries: entries.length,
  hidden: entries.every(e => kids(e, 'content').concat(kids(e, 'encoded'))
    .every(c => !shown(c))),
  scripts: document.getElementsByTagNameNS('*', 'script').length,
  width: document.documentElement.scrollWidth,
};
"""


@pytest.mark.browser
@pytest.mark.server
def test_chromium_shows_every_feed_as_a_readable_page_without_xslt(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    shutil.copytree(SCENARIOS / "awkward", articles)
    server = start_server(articles, workers=1)
    browser = None
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    try:
        browser = _chromium()
        browser.set_page_load_timeout(20)
        browser.set_window_size(390, 844)
        for path in ("feed.atom", "feed.rss", "tags/security/feed.atom", "archive/2026-01.rss"):
            browser.get(server.url + path)
            page = browser.execute_script(SHOWN)
            browser.save_screenshot(str(artifacts / f"feed-view-{path.replace('/', '-')}.png"))
            log = browser.get_log("browser")
            assert log == [], (path, log)  # no error, and no XSLT deprecation warning
            assert page["type"] == "application/xml", "the XML itself, not a transformed page"
            assert page["root"][1] in ("feed", "rss"), page["root"]
            css = server.url + "static/feed.css"
            assert page["instructions"] == [f'xml-stylesheet type="text/css" href="{css}"']
            assert page["sheets"] == [[css, page["sheets"][0][1]]] and page["sheets"][0][1] > 5
            assert "This is a web feed" in page["about"] and "feed reader" in page["about"]
            assert page["title"], "the feed's title is shown"
            assert page["self"] == server.url + path, "the address to copy is shown"
            assert page["selfShown"] == f'"{server.url + path}"', "shown as text"
            assert page["entries"] > 0 and len(page["titles"]) == page["entries"]
            assert page["hidden"], "summaries, not content"
            assert page["scripts"] == 0
            assert page["width"] <= 390, "fits a phone"
            if path.startswith(("feed.", "archive/2026-01")):
                assert "<b>Bold</b> claims & “quotes” about <script>" in page["titles"]
            # A feed reader gets the same bytes at the same URL, and reads them as a feed.
            status, _, as_reader = server.get(path, {"Accept": "application/atom+xml, */*"})
            _, _, as_browser = server.get(path, {"Accept": BROWSER_ACCEPT})
            assert status == 200 and as_reader == as_browser
            parsed = feedparser.parse(server.url + path)
            assert parsed.bozo == 0 and parsed.version in ("atom10", "rss20")
            assert [e.title for e in parsed.entries] == page["titles"]
    finally:
        if browser is not None:
            browser.quit()
        stop_server(server)


@pytest.mark.browser
@pytest.mark.server
def test_chromium_shows_the_json_feed_as_its_text(articles: Path) -> None:
    """No style sheet can reach JSON: Chromium shows the feed's text, as docs/feeds.md says."""
    server = start_server(articles, workers=1)
    browser = None
    try:
        browser = _chromium()
        browser.set_page_load_timeout(20)
        browser.get(server.url + "feed.json")
        shown = browser.execute_script(
            "return [location.href, document.contentType,"
            " document.querySelector('pre') ? document.querySelector('pre').textContent : null]"
        )
        assert browser.get_log("browser") == []
        _, _, body = server.get("feed.json")
        assert shown[:2] == [server.url + "feed.json", "application/feed+json"], "not a download"
        assert shown[2] is not None and json.loads(shown[2]) == json.loads(body)
    finally:
        if browser is not None:
            browser.quit()
        stop_server(server)


@pytest.mark.parametrize(
    ("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)]
)
def test_a_missing_chromium_skips_but_fails_under_ci(monkeypatch, ci, outcome) -> None:
    monkeypatch.setenv("CI", ci)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(outcome, match="chromium-driver"):
        _chromium()
