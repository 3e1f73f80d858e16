"""/sitemap.xml (sitemaps.org, with lastmod) and /feeds.opml (every feed of the site)."""

from __future__ import annotations

import gzip
from datetime import datetime

import feedparser
import listparser
import lxml.etree
import lxml.html
from conftest import app_config

from feedsvc import build, config, create_app
from feedsvc.render import listings

BASE = "http://feeds.example.org/"
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def test_sitemap_lists_every_page_with_its_lastmod(client):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    root = lxml.etree.fromstring(response.data)
    assert root.tag == SITEMAP_NS + "urlset"
    urls = {
        u.findtext(SITEMAP_NS + "loc"): u.findtext(SITEMAP_NS + "lastmod")
        for u in root.iter(SITEMAP_NS + "url")
    }
    expected = {BASE, BASE + "tags/city/", BASE + "authors/lena-voss/"}
    expected |= {BASE + f"articles/{s}" for s in ("night-market-guide", "library-night-hours")}
    assert expected <= urls.keys()
    for url in urls:
        assert client.get(url.removeprefix(BASE[:-1])).status_code == 200, url
    for lastmod in urls.values():
        assert datetime.fromisoformat(lastmod).tzinfo is not None  # W3C datetime with a zone
    page = lxml.html.fromstring(client.get("/articles/night-market-guide").data)
    updated = page.cssselect('meta[property="article:modified_time"]')[0].get("content")
    assert datetime.fromisoformat(urls[BASE + "articles/night-market-guide"]) == (
        datetime.fromisoformat(updated)
    )
    city = ("night-market-guide", "library-night-hours")  # the articles tagged city
    assert urls[BASE + "tags/city/"] == max(urls[BASE + f"articles/{s}"] for s in city)


def test_opml_lists_the_sites_tags_and_authors_feeds_and_each_parses(client):
    response = client.get("/feeds.opml")
    assert response.status_code == 200 and response.mimetype == "text/x-opml"
    root = lxml.etree.fromstring(response.data)
    assert root.tag == "opml" and root.get("version") == "2.0"
    feeds = [o.get("xmlUrl") for o in root.iter("outline") if o.get("type") == "rss"]
    for url in (
        BASE + "feed.atom",
        BASE + "tags/food/feed.atom",
        BASE + "authors/jun-okafor/feed.atom",
    ):
        assert url in feeds
    assert len(feeds) == len(set(feeds))
    for url in feeds:
        assert feedparser.parse(client.get(url.removeprefix(BASE[:-1])).data).bozo == 0, url


def test_importing_the_opml_subscribes_once_to_each_feed(client):
    """A reader importing /feeds.opml subscribes to the site, each tag and each author once."""
    imported = listparser.parse(client.get("/feeds.opml").data.decode())
    assert imported.bozo == 0 and imported.version == "opml2"
    urls = [feed.url for feed in imported.feeds]
    pages = _urls(client, "/sitemap.xml")  # every tag and author page the site has
    expected = [BASE + "feed.atom"]
    expected += [url + "feed.atom" for url in pages if url.startswith(BASE + "tags/")]
    expected += [url + "feed.atom" for url in pages if url.startswith(BASE + "authors/")]
    assert len(expected) > 5
    assert sorted(urls) == sorted(expected) and len(urls) == len(set(urls))  # once each
    for feed in imported.feeds:
        parsed = feedparser.parse(client.get(feed.url.removeprefix(BASE[:-1])).data)
        assert parsed.bozo == 0 and parsed.version == "atom10", feed.url
        assert feed.title == parsed.feed.title, feed.url  # named as the feed names itself


def test_every_page_links_to_the_opml_and_the_sitemap(client):
    for path in ("/", "/articles/night-market-guide", "/tags/city/", "/authors/lena-voss/"):
        page = lxml.html.fromstring(client.get(path).data)
        hrefs = [a.get("href") for a in page.cssselect("#subscribe a")]
        assert BASE + "feeds.opml" in hrefs and BASE + "sitemap.xml" in hrefs, path


def _urls(client, path: str) -> dict[str, str | None]:
    root = lxml.etree.fromstring(client.get(path).data)
    assert root.tag == SITEMAP_NS + "urlset", path
    return {
        u.findtext(SITEMAP_NS + "loc"): u.findtext(SITEMAP_NS + "lastmod")
        for u in root.iter(SITEMAP_NS + "url")
    }


def _split(client) -> list[tuple[str, str | None, dict[str, str | None]]]:
    """Return each part the index at /sitemap.xml names: its URL, lastmod and entries."""
    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    root = lxml.etree.fromstring(response.data)
    assert root.tag == SITEMAP_NS + "sitemapindex"
    found = []
    for item in root.iter(SITEMAP_NS + "sitemap"):
        url = item.findtext(SITEMAP_NS + "loc")
        found.append(
            (url, item.findtext(SITEMAP_NS + "lastmod"), _urls(client, url[len(BASE) - 1 :]))
        )
    return found


def test_a_sitemap_over_the_url_limit_becomes_an_index(articles, client, monkeypatch):
    whole = _urls(client, "/sitemap.xml")
    assert client.get("/sitemap-1.xml").status_code == 404  # no parts while one file holds all
    monkeypatch.setattr(listings, "MAX_URLS", 3)
    split = create_app(app_config(articles)).test_client()
    found = _split(split)
    assert [url for url, _, _ in found] == [
        BASE + f"sitemap-{n}.xml" for n in range(1, len(found) + 1)
    ]
    assert len(found) == -(-len(whole) // 3)  # every part full but the last
    assert all(len(entries) == 3 for _, _, entries in found[:-1])
    merged: dict[str, str | None] = {}
    for _, lastmod, entries in found:
        assert lastmod == max(m for m in entries.values() if m)  # the part's newest
        merged |= entries
    assert merged == whole and sum(len(e) for _, _, e in found) == len(whole)
    assert split.get(f"/sitemap-{len(found) + 1}.xml").status_code == 404
    page = lxml.html.fromstring(split.get("/").data)  # pages still link the one entry point
    assert BASE + "sitemap.xml" in [a.get("href") for a in page.cssselect("#subscribe a")]


def test_a_sitemap_over_the_byte_limit_is_split_into_parts_within_it(
    articles, client, monkeypatch
):
    whole = _urls(client, "/sitemap.xml")
    monkeypatch.setattr(listings, "MAX_BYTES", 1000)
    split = create_app(app_config(articles)).test_client()
    found = _split(split)
    assert len(found) > 1
    for url, _, _ in found:
        assert len(split.get(url[len(BASE) - 1 :]).data) <= 1000, url
    merged = {}
    for _, _, entries in found:
        merged |= entries
    assert merged == whole


def test_build_writes_the_sitemap_index_and_its_parts(articles, tmp_path, monkeypatch):
    monkeypatch.setattr(listings, "MAX_URLS", 4)
    out = tmp_path / "site"
    configuration = config.load(env={})
    configuration.update(app_config(articles))
    build.run(configuration, str(out), progress=False)
    served = create_app(app_config(articles)).test_client()
    index = lxml.etree.fromstring((out / "sitemap.xml").read_bytes())
    assert index.tag == SITEMAP_NS + "sitemapindex"
    names = [loc.text.removeprefix(BASE) for loc in index.iter(SITEMAP_NS + "loc")]
    assert len(names) > 1 and names == [f"sitemap-{n}.xml" for n in range(1, len(names) + 1)]
    for name in ["sitemap.xml", *names]:
        assert (out / name).read_bytes() == served.get("/" + name).data, name
        assert gzip.decompress((out / f"{name}.gz").read_bytes()) == (out / name).read_bytes()
