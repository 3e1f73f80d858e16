"""Author pages and feeds: /authors/<slug>/ and its Atom, RSS and JSON feeds."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import feedparser
import lxml.html
import pytest
from conftest import ROOT, Server, app_config, start_server, stop_server

from feedsvc import create_app

BASE = "http://feeds.example.org/"
# Who wrote what in the bundled articles (articles/), by slug.
BY_AUTHOR = {
    "jun-okafor": {"night-market-guide"},
    "lena-voss": {"night-market-guide"},
    "tomas-brandt": {"library-night-hours"},
}
HUB = "http://127.0.0.1:9/hub"  # nothing listens: no change is announced while it runs


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


# The same, as a feed reader meets them: a real server on loopback, BASE_URL its own address.


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("authors")
    shutil.copytree(ROOT / "articles", folder / "articles")
    environment = {"FEEDSVC_STATE": str(folder / "state.sqlite3"), "FEEDSVC_WEBSUB_HUBS": HUB}
    server = start_server(folder / "articles", env=environment)
    yield server
    stop_server(server)


def _discovered(server: Server, path: str) -> dict[str, str]:
    """Return the feeds PATH's page names for autodiscovery after the site's: type -> URL."""
    status, headers, body = server.get(path)
    assert status == 200 and headers.get_content_type() == "text/html"
    links = lxml.html.fromstring(body).cssselect('head link[rel="alternate"]')
    return {link.get("type"): link.get("href") for link in links[3:]}


@pytest.mark.server
@pytest.mark.parametrize("slug", sorted(BY_AUTHOR))
def test_author_feeds_from_a_real_server_parse_and_hold_that_authors_entries(served, slug):
    feeds = _discovered(served, f"authors/{slug}/")
    own = served.url + f"authors/{slug}/feed."
    assert feeds == {
        "application/atom+xml": own + "atom",
        "application/rss+xml": own + "rss",
        "application/feed+json": own + "json",
    }
    for media_type in ("application/atom+xml", "application/rss+xml"):
        parsed = feedparser.parse(feeds[media_type])  # over HTTP, as a reader subscribes
        assert parsed.status == 200 and parsed.bozo == 0, parsed.get("bozo_exception")
        assert parsed.headers["content-type"].startswith(media_type)
        assert {e.link.rsplit("/", 1)[1] for e in parsed.entries} == BY_AUTHOR[slug]
        assert [link.href for link in parsed.feed.links if link.rel == "self"] == [
            feeds[media_type]
        ]
    status, _, body = served.get(f"authors/{slug}/feed.json")
    items = json.loads(body)["items"]
    assert status == 200 and {i["url"].rsplit("/", 1)[1] for i in items} == BY_AUTHOR[slug]


@pytest.mark.server
@pytest.mark.parametrize("page", ["authors/lena-voss/", "tags/city/"])
def test_tag_and_author_feeds_from_a_real_server_name_the_hub_in_a_link_header(served, page):
    for url in _discovered(served, page).values():
        status, headers, body = served.get(url.removeprefix(served.url))
        assert status == 200, url
        assert headers["Link"] == f'<{HUB}>; rel="hub", <{url}>; rel="self"', url
        if not url.endswith(".json"):
            links = feedparser.parse(body).feed.links
            assert {(link.rel, link.href) for link in links} >= {("hub", HUB), ("self", url)}
    _, headers, _ = served.get(page)
    assert "Link" not in headers, "pages name no hub"
