"""/sitemap.xml (sitemaps.org, with lastmod) and /feeds.opml (every feed of the site)."""

from __future__ import annotations

from datetime import datetime

import feedparser
import lxml.etree
import lxml.html

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
        BASE + "tags/food/feed.rss",
        BASE + "authors/jun-okafor/feed.json",
    ):
        assert url in feeds
    assert len(feeds) == len(set(feeds))
    for url in feeds:
        body = client.get(url.removeprefix(BASE[:-1])).data
        if not url.endswith(".json"):
            assert feedparser.parse(body).bozo == 0, url


def test_every_page_links_to_the_opml_and_the_sitemap(client):
    for path in ("/", "/articles/night-market-guide", "/tags/city/", "/authors/lena-voss/"):
        page = lxml.html.fromstring(client.get(path).data)
        hrefs = [a.get("href") for a in page.cssselect("#subscribe a")]
        assert BASE + "feeds.opml" in hrefs and BASE + "sitemap.xml" in hrefs, path
