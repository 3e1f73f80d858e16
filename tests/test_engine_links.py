"""Entries link to the blog's own pages; PAGES, PERMALINK and old paths (issue 13, item 3)."""

from __future__ import annotations

import shutil
from pathlib import Path

import feedparser
import pytest
from engine_sites import SITES, build_pages, read_site
from markupsafe import escape

from feedsvc import create_app

BLOG = "https://harbour.example.org/"
TEMPLATE_MARKS = ("{%", "%}", "{{", "}}")


def _client(tmp_path: Path, engine: str = "jekyll", **extra: object):  # type: ignore[no-untyped-def]
    site = tmp_path / engine
    shutil.copytree(SITES / engine, site)
    config = {
        "ARTICLES": str(site),
        "STATE": str(tmp_path / "state.sqlite3"),
        "BASE_URL": BLOG,
        "RESCAN_INTERVAL": 0.01,
        **extra,
    }
    return create_app(config).test_client()


def test_entries_link_to_the_blogs_pages_and_carry_no_template_syntax(tmp_path: Path) -> None:
    client = _client(tmp_path)
    feed = feedparser.parse(client.get("/feed.atom").data)
    assert feed.bozo == 0
    links = sorted(entry.link for entry in feed.entries)
    assert links == [
        BLOG + "news/2024/03/05/harbour-lights/",
        BLOG + "tides/2024/tide-tables/",
        BLOG + "travel/2024/05/02/island-ferry/",
    ]
    for kind in ("feed.atom", "feed.rss", "feed.json"):
        text = client.get("/" + kind).get_data(as_text=True)
        assert not any(mark in text for mark in TEMPLATE_MARKS), kind


def test_pages_off_by_default_on_a_blog_and_the_permalink_page_redirects(tmp_path: Path) -> None:
    client = _client(tmp_path)
    response = client.get("/articles/harbour-lights")
    assert response.status_code == 301
    assert response.headers["Location"] == BLOG + "news/2024/03/05/harbour-lights/"
    # old paths are the blog's to answer when it serves its pages
    assert client.get("/lights/").status_code == 404


def test_with_pages_on_old_paths_answer_301_to_the_post(tmp_path: Path) -> None:
    client = _client(tmp_path, PAGES="on")
    assert client.get("/articles/harbour-lights").status_code == 200
    for old in ("/lights/", "/2024/harbour-lights.html"):
        response = client.get(old)
        assert response.status_code == 301, old
        assert response.headers["Location"] == BLOG + "news/2024/03/05/harbour-lights/"


def test_relative_links_resolve_against_the_blogs_page(tmp_path: Path) -> None:
    site = tmp_path / "blog"
    (site / "_posts").mkdir(parents=True)
    (site / "_config.yml").write_text("permalink: /:year/:title/\n")
    (site / "_posts" / "2024-01-02-pier.md").write_text(
        "---\ntitle: Pier\n---\n![map](map.png) and [next](../other/)\n"
    )
    client = create_app(
        {"ARTICLES": str(site), "STATE": str(tmp_path / "s.db"), "BASE_URL": BLOG}
    ).test_client()
    entry = feedparser.parse(client.get("/feed.atom").data).entries[0]
    html = entry.content[0].value
    assert f'src="{BLOG}2024/pier/map.png"' in html
    assert f'href="{BLOG}2024/other/"' in html


@pytest.mark.parametrize(
    ("engine", "pattern", "expected"),
    [
        ("none", "{year}/{month}/{day}/{slug}/", "2024/03/05/harbour/"),
        ("none", "posts/{slug}.html", "posts/harbour.html"),
    ],
)
def test_permalink_setting_states_the_sites_own_rule(
    tmp_path: Path, engine: str, pattern: str, expected: str
) -> None:
    site = tmp_path / "plain"
    site.mkdir()
    (site / "harbour.md").write_text("---\ntitle: Harbour\ndate: 2024-03-05 10:00\n---\nBody.\n")
    client = create_app(
        {
            "ARTICLES": str(site),
            "STATE": str(tmp_path / "s.db"),
            "BASE_URL": BLOG,
            "ENGINE": engine,
            "PERMALINK": pattern,
            "PAGES": "off",
        }
    ).test_client()
    entry = feedparser.parse(client.get("/feed.atom").data).entries[0]
    assert entry.link == BLOG + expected


def test_hugo_feed_links_and_no_template_syntax(tmp_path: Path) -> None:
    client = _client(tmp_path, "hugo")
    feed = feedparser.parse(client.get("/feed.atom").data)
    assert feed.bozo == 0
    # the expired post (expiryDate) and the draft are not in the feed
    assert sorted(entry.link for entry in feed.entries) == [
        BLOG + "2024/04/tide-tables/",
        BLOG + "2024/05/walk/",
        BLOG + "fr/2024/04/tide-tables/",
    ]
    for kind in ("feed.atom", "feed.rss", "feed.json"):
        text = client.get("/" + kind).get_data(as_text=True)
        assert not any(mark in text for mark in TEMPLATE_MARKS), kind


def test_hugo_aliases_answer_301_with_pages_on(tmp_path: Path) -> None:
    client = _client(tmp_path, "hugo", PAGES="on")
    for old in ("/old/tides/", "/posts/tides-april/"):
        response = client.get(old)
        assert response.status_code == 301, old
        assert response.headers["Location"] == BLOG + "2024/04/tide-tables/"


def test_pelican_feed_links(tmp_path: Path) -> None:
    client = _client(tmp_path, "pelican")
    feed = feedparser.parse(client.get("/feed.atom").data)
    assert feed.bozo == 0
    assert sorted(entry.link for entry in feed.entries) == [
        BLOG + "fr/posts/2024/the-island-ferry/",
        BLOG + "posts/2024/03/harbour-lights-again/",
        BLOG + "posts/2024/04/tides-april/",
        BLOG + "posts/2024/05/the-island-ferry/",
    ]
    for kind in ("feed.atom", "feed.rss", "feed.json"):
        text = client.get("/" + kind).get_data(as_text=True)
        assert not any(mark in text for mark in TEMPLATE_MARKS), kind
        assert "{static}" not in text and "{filename}" not in text


@pytest.mark.parametrize("engine", ["jekyll", "hugo", "pelican", "zola", "eleventy"])
def test_every_fixture_sites_feeds_carry_no_template_syntax(tmp_path: Path, engine: str) -> None:
    client = _client(tmp_path, engine)
    feed = feedparser.parse(client.get("/feed.atom").data)
    assert feed.bozo == 0 and feed.entries
    for entry in feed.entries:
        assert entry.link.startswith(BLOG) and "/articles/" not in entry.link
    for kind in ("feed.atom", "feed.rss", "feed.json"):
        text = client.get("/" + kind).get_data(as_text=True)
        assert not any(mark in text for mark in TEMPLATE_MARKS), (engine, kind)
        assert "{{<" not in text and "](@/" not in text and "{static}" not in text


def _path(url: str) -> str:
    assert url.startswith(BLOG), url
    return "/" + url.removeprefix(BLOG)


@pytest.mark.parametrize("engine", ["jekyll", "hugo", "pelican", "zola", "eleventy"])
def test_with_pages_on_every_link_and_old_path_reaches_a_page_feedsvc_serves(
    tmp_path: Path, engine: str
) -> None:
    """PAGES=on: feedsvc serves the posts' pages itself, at the engine's permalink paths.

    Each entry links to the post's URL as the engine's permalink rule makes it (Jekyll
    permalink, Hugo [permalinks], Pelican ARTICLE_URL, Zola paths, Eleventy permalink),
    and that URL answers 200 with the post's page; each old path (Hugo and Zola aliases,
    Jekyll redirect_from) answers 301 to that URL, never to a 404.
    """
    client = _client(tmp_path, engine, PAGES="on")
    feed = feedparser.parse(client.get("/feed.atom").data)
    assert feed.bozo == 0 and feed.entries
    served = {}
    for entry in feed.entries:
        assert "/articles/" not in entry.link, entry.link  # the engine's permalink
        page = client.get(_path(entry.link))
        assert page.status_code == 200, entry.link
        assert str(escape(entry.title)) in page.get_data(as_text=True)
        assert f'<link rel="canonical" href="{entry.link}">' in page.get_data(as_text=True)
        served[entry.link] = entry.title
    # the index page links to the pages feedsvc serves
    index = client.get("/").get_data(as_text=True)
    assert all(f'href="{link}"' in index for link in served)
    # the sitemap lists them (sitemaps.org: the pages that answer 200)
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    assert all(f"<loc>{link}</loc>" in sitemap for link in served)
    assert "/articles/" not in sitemap
    # a link without its trailing slash answers 301 to it, as a static host does
    slashed = [link for link in served if link.endswith("/")]
    response = client.get(_path(slashed[0]).rstrip("/"))
    assert response.status_code == 301 and response.headers["Location"] == slashed[0]
    olds = [
        old
        for article, _ in read_site(engine).values()
        if not (article.draft or article.expires)
        for old in article.old_paths
    ]
    assert bool(olds) == (engine in ("jekyll", "hugo", "zola"))  # the fixtures' aliases
    for old in olds:
        response = client.get("/" + old)
        assert response.status_code == 301, old
        assert response.headers["Location"] in served, old


def test_permalink_with_pages_on_is_served_at_its_own_rule(tmp_path: Path) -> None:
    """ENGINE=none, PERMALINK and PAGES on (the default there): the entry's URL is a page."""
    site = tmp_path / "plain"
    site.mkdir()
    (site / "harbour.md").write_text("---\ntitle: Harbour\ndate: 2024-03-05 10:00\n---\nBody.\n")
    client = create_app(
        {
            "ARTICLES": str(site),
            "STATE": str(tmp_path / "s.db"),
            "BASE_URL": BLOG,
            "ENGINE": "none",
            "PERMALINK": "{year}/{month}/{day}/{slug}/",
        }
    ).test_client()
    entry = feedparser.parse(client.get("/feed.atom").data).entries[0]
    assert entry.link == BLOG + "2024/03/05/harbour/"
    assert client.get("/2024/03/05/harbour/").status_code == 200
    assert client.get("/articles/harbour").status_code == 200


def test_with_pages_on_a_post_path_feedsvc_owns_links_to_its_own_page(tmp_path: Path) -> None:
    """Jekyll permalink `/tags/harbour/` is one of feedsvc's own routes (a tag page):
    with PAGES on the entry links to /articles/SLUG, which answers 200."""
    site = tmp_path / "blog"
    (site / "_posts").mkdir(parents=True)
    (site / "_config.yml").write_text("title: Blog\n")
    (site / "_posts" / "2024-01-02-harbour.md").write_text(
        "---\ntitle: Harbour\npermalink: /tags/harbour/\n---\nBody.\n"
    )
    client = create_app(
        {"ARTICLES": str(site), "STATE": str(tmp_path / "s.db"), "BASE_URL": BLOG, "PAGES": "on"}
    ).test_client()
    entry = feedparser.parse(client.get("/feed.atom").data).entries[0]
    assert entry.link == BLOG + "articles/harbour"
    assert client.get("/articles/harbour").status_code == 200
    # with PAGES off the blog serves it: the entry links to the blog's page
    client = create_app(
        {"ARTICLES": str(site), "STATE": str(tmp_path / "s.db"), "BASE_URL": BLOG}
    ).test_client()
    entry = feedparser.parse(client.get("/feed.atom").data).entries[0]
    assert entry.link == BLOG + "tags/harbour/"


@pytest.mark.server
def test_a_real_server_with_pages_on_answers_every_entry_link_and_old_path(
    tmp_path: Path,
) -> None:
    """`feedsvc serve` (granian, its fast path) with PAGES=on on the Hugo fixture site:
    every entry link (URL management: [permalinks], translations under /fr/) answers 200
    and every alias (URL management: aliases) 301 to one of them."""
    import http.client
    from urllib.parse import urlsplit

    from conftest import start_server, stop_server

    site = tmp_path / "hugo"
    shutil.copytree(SITES / "hugo", site)
    server = start_server(site, env={"FEEDSVC_PAGES": "on", "FEEDSVC_BASE_URL": BLOG}, workers=1)
    where = urlsplit(server.url)

    def get(path: str) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection(where.hostname or "", where.port, timeout=10)
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        connection.close()
        return response

    try:
        connection = http.client.HTTPConnection(where.hostname or "", where.port, timeout=10)
        connection.request("GET", "/feed.atom")
        feed = feedparser.parse(connection.getresponse().read())
        connection.close()
        links = {entry.link for entry in feed.entries}
        assert len(links) == 3
        for link in links:
            assert get(_path(link)).status == 200, link
        for old in ("/old/tides/", "/posts/tides-april/"):
            response = get(old)
            assert response.status == 301 and response.getheader("Location") in links, old
    finally:
        stop_server(server)


def test_build_with_pages_on_writes_each_post_where_a_static_server_finds_it(
    tmp_path: Path,
) -> None:
    """`feedsvc build`, PAGES=on: each post's page is written at its path on the blog
    (Jekyll Permalinks: /:year/:title/), decoded as a static server looks it up: a title
    `été` is the folder `été`, its URL /2024/%C3%A9t%C3%A9/."""

    site = tmp_path / "blog"
    (site / "_posts").mkdir(parents=True)
    (site / "_config.yml").write_text("permalink: /:year/:title/\n")
    (site / "_posts" / "2024-01-02-été.md").write_text("---\ntitle: Summer\n---\nBody.\n")
    (site / "_posts" / "2024-01-03-pier.md").write_text("---\ntitle: Pier\n---\nBody.\n")
    out = tmp_path / "out"
    build_pages(site, out, tmp_path / "s.db", BLOG)
    assert "Summer" in (out / "2024" / "été" / "index.html").read_text()
    assert "Pier" in (out / "2024" / "pier" / "index.html").read_text()
    assert not any("%" in p.name for p in out.rglob("*"))
    assert BLOG + "2024/%C3%A9t%C3%A9/" in (out / "feed.atom").read_text()
