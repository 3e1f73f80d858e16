"""Author pages and feeds: /authors/<slug>/ and its Atom, RSS and JSON feeds."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import lxml.html
import pytest
from conftest import app_config

from feedsvc import create_app

BASE = "http://feeds.example.org/"
# Who wrote what in the bundled articles (articles/), by slug.
BY_AUTHOR = {
    "jun-okafor": {"night-market-guide"},
    "lena-voss": {"night-market-guide"},
    "tomas-brandt": {"library-night-hours"},
}


@pytest.mark.parametrize("slug", sorted(BY_AUTHOR))
@pytest.mark.parametrize("kind", ["atom", "rss"])
def test_author_feed_parses_and_holds_exactly_that_authors_entries(client, slug, kind):
    response = client.get(f"/authors/{slug}/feed.{kind}")
    assert response.status_code == 200
    assert response.mimetype == f"application/{kind}+xml"
    parsed = feedparser.parse(response.data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    links = {entry.link.rsplit("/", 1)[1] for entry in parsed.entries}
    assert links == BY_AUTHOR[slug]
    self_links = [link.href for link in parsed.feed.links if link.rel == "self"]
    assert self_links == [BASE + f"authors/{slug}/feed.{kind}"]
    if kind == "atom":
        assert parsed.feed.link == BASE + f"authors/{slug}/"


def test_author_json_feed_holds_exactly_that_authors_items(client):
    data = json.loads(client.get("/authors/jun-okafor/feed.json").data)
    assert data["feed_url"] == BASE + "authors/jun-okafor/feed.json"
    assert data["home_page_url"] == BASE + "authors/jun-okafor/"
    assert [item["url"] for item in data["items"]] == [BASE + "articles/night-market-guide"]
    assert all("Jun Okafor" in [a["name"] for a in i["authors"]] for i in data["items"])


def test_every_author_feed_holds_every_article_naming_them(client):
    main = feedparser.parse(client.get("/feed.atom").data)
    expected: dict[str, set[str]] = {}
    for entry in main.entries:
        for author in entry.authors:
            slug = author.name.lower().replace(" ", "-").replace("á", "a")
            expected.setdefault(slug, set()).add(entry.id)
    assert len(expected) >= 4
    for slug, ids in expected.items():
        parsed = feedparser.parse(client.get(f"/authors/{slug}/feed.atom").data)
        assert parsed.bozo == 0
        assert {e.id for e in parsed.entries} == ids, slug


def test_author_page_lists_their_articles_and_autodiscovers_their_feeds(client):
    response = client.get("/authors/lena-voss/")
    assert response.status_code == 200
    page = lxml.html.fromstring(response.data)
    assert page.cssselect("h1")[0].text_content() == "Articles by Lena Voss"
    titles = [a.text_content() for a in page.cssselect("article.summary h2 a")]
    assert titles == ["A Guide to the Night Market: What to Eat First"]
    alternates = [
        (link.get("type"), link.get("href"), link.get("title"))
        for link in page.cssselect('head link[rel="alternate"]')
    ]
    kinds = [("application/atom+xml", "atom", "Atom"), ("application/rss+xml", "rss", "RSS")]
    kinds.append(("application/feed+json", "json", "JSON Feed"))
    assert alternates[3:] == [
        (t, BASE + f"authors/lena-voss/feed.{k}", f"feedsvc: Lena Voss ({name})")
        for t, k, name in kinds
    ]
    assert alternates[:3] == [(t, BASE + f"feed.{k}", f"feedsvc ({n})") for t, k, n in kinds]
    follow = [a.get("href") for a in page.cssselect(".tag-feeds a")]
    assert follow == [BASE + f"authors/lena-voss/feed.{k}" for _, k, _ in kinds]
    canonical = page.cssselect('link[rel="canonical"]')[0].get("href")
    assert canonical == BASE + "authors/lena-voss/"


def test_bylines_link_each_author_to_their_page(client):
    page = lxml.html.fromstring(client.get("/articles/night-market-guide").data)
    links = [(a.text_content(), a.get("href")) for a in page.cssselect(".byline a[rel=author]")]
    assert links == [
        ("Jun Okafor", BASE + "authors/jun-okafor/"),
        ("Lena Voss", BASE + "authors/lena-voss/"),
    ]
    index = lxml.html.fromstring(client.get("/").data)
    assert index.cssselect(f'.byline a[href="{BASE}authors/tomas-brandt/"]')


@pytest.mark.parametrize(
    "path", ["/authors/nobody/", "/authors/nobody/feed.atom", "/authors/Lena-Voss/"]
)
def test_unknown_authors_answer_404(client, path):
    assert client.get(path).status_code == 404


def test_an_edit_that_changes_only_the_body_keeps_author_feeds_current(articles: Path):
    client = create_app(app_config(articles)).test_client()
    assert b"brand-new sentence" not in client.get("/authors/tomas-brandt/feed.atom").data
    path = articles / "library-night-hours.txt"
    path.write_text(
        path.read_text().replace("Staff volunteered", "A brand-new sentence. Staff volunteered")
    )
    for _ in range(100):  # the edit settles, then a request rescans
        body = client.get("/authors/tomas-brandt/feed.atom").data
        if b"brand-new sentence" in body:
            break
        __import__("time").sleep(0.05)
    assert b"brand-new sentence" in body
    parsed = feedparser.parse(body)
    assert [e.link for e in parsed.entries] == [BASE + "articles/library-night-hours"]
