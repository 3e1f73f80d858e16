"""The walking skeleton: the seed read faithfully, both feeds, permalinks, a real server."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import feedparser
import pytest
from conftest import BASE_URL, SAMPLES, SEED, start_server, stop_server

from feedsvc.reading.files import Found, read, signature
from feedsvc.reading.formats import read_txt

SAMPLE_TITLES = {
    "harbour-bridge-reopens": "Harbour Bridge Reopens After Eighteen Months of Repairs",
    "library-night-hours": "Central Library Tries Late-Night Opening Hours",
    "river-cleanup-volunteers": "Volunteers Pull Two Tonnes of Rubbish From the River",
    "night-market-guide": "A Guide to the Night Market: What to Eat First",
}


def read_seed():
    if not SEED.exists():
        pytest.skip("the seed article ../shared/seed is absent")
    found = Found(SEED.name, str(SEED), signature(SEED.stat()))
    text, _ = read(found, 2_000_000)
    return read_txt(SEED.name, text)


def test_seed_title_subtitle_and_author():
    raw = read_seed()
    assert raw.meta["title"] == "ISIS Fighters Seize Part of Syrian Capital of Damascus"
    assert raw.meta["subtitle"] == "ISIS Claims It Holds Half of Qadam District"
    assert raw.meta["author"] == "Jason Ditz"


def test_seed_has_six_paragraphs_with_soft_wraps_joined():
    paragraphs = read_seed().body.split("\n\n")
    assert len(paragraphs) == 6
    assert "“worst-case” scenario by the international community" in paragraphs[5]
    assert "  " not in read_seed().body


def test_seed_bio_is_kept_apart_from_body_and_feed(tmp_path: Path):
    raw = read_seed()
    assert raw.bio.startswith("Jason Ditz is Senior Editor")
    assert "Senior Editor" not in raw.body
    folder = tmp_path / "seeded"
    folder.mkdir()
    shutil.copy(SEED, folder / "seed.txt")
    from conftest import app_config

    from feedsvc import create_app

    client = create_app(app_config(folder)).test_client()
    for path in ("/feed.atom", "/feed.rss"):
        feed = feedparser.parse(client.get(path).data)
        assert feed.bozo == 0
        entry = feed.entries[0]
        assert entry.title == "ISIS Fighters Seize Part of Syrian Capital of Damascus"
        assert "Senior Editor" not in entry.content[0].value
        assert "Qadam" in entry.content[0].value
    page = client.get("/articles/seed").data.decode()
    assert "Jason Ditz is Senior Editor" in page


@pytest.mark.parametrize("path", ["/feed.atom", "/feed.rss"])
def test_feed_carries_every_sample_newest_first(client, path):
    response = client.get(path)
    assert response.status_code == 200
    feed = feedparser.parse(response.data)
    assert feed.bozo == 0
    slugs = [e.link.rsplit("/", 1)[1] for e in feed.entries]
    assert sorted(slugs) == sorted(SAMPLE_TITLES)
    for entry in feed.entries:
        slug = entry.link.rsplit("/", 1)[1]
        assert entry.link == f"{BASE_URL}articles/{slug}"
        assert entry.title == SAMPLE_TITLES[slug]
        assert entry.id
        assert entry.published_parsed
        assert entry.author
    published = [e.published_parsed for e in feed.entries]
    assert published == sorted(published, reverse=True)


def test_feed_content_types(client):
    assert client.get("/feed.atom").content_type == "application/atom+xml; charset=utf-8"
    assert client.get("/feed.rss").content_type == "application/rss+xml; charset=utf-8"


def test_two_requests_give_identical_bytes(client):
    for path in ("/feed.atom", "/feed.rss", "/", "/articles/harbour-bridge-reopens"):
        assert client.get(path).data == client.get(path).data


def test_feed_dates_come_from_articles_not_clock(client):
    feed = feedparser.parse(client.get("/feed.atom").data)
    newest = max(e.updated_parsed for e in feed.entries)
    assert feed.feed.updated_parsed == newest
    rss = feedparser.parse(client.get("/feed.rss").data)
    assert rss.feed.updated_parsed == max(e.published_parsed for e in rss.entries)


def test_every_permalink_answers_with_its_title(client):
    feed = feedparser.parse(client.get("/feed.atom").data)
    for entry in feed.entries:
        path = entry.link.removeprefix(BASE_URL.rstrip("/"))
        response = client.get(path)
        assert response.status_code == 200
        assert entry.title in response.data.decode()


def test_unknown_slug_is_404(client):
    response = client.get("/articles/no-such-article")
    assert response.status_code == 404
    assert b"not found" in response.data.lower()


def test_index_links_permalinks_and_feeds(client):
    page = client.get("/").data.decode()
    for slug in SAMPLE_TITLES:
        assert f'href="{BASE_URL}articles/{slug}"' in page
    links = re.findall(r'<link rel="alternate" type="([^"]+)"[^>]* href="([^"]+)"', page)
    assert links[:2] == [
        ("application/atom+xml", f"{BASE_URL}feed.atom"),
        ("application/rss+xml", f"{BASE_URL}feed.rss"),
    ]


def test_sample_without_date_keeps_first_seen_across_restart(articles):
    from conftest import app_config

    from feedsvc import create_app

    def published():
        client = create_app(app_config(articles)).test_client()
        feed = feedparser.parse(client.get("/feed.atom").data)
        return {e.link: (e.id, e.published) for e in feed.entries}

    first = published()
    for path in articles.iterdir():
        path.touch()
    assert published() == first


@pytest.mark.server
def test_real_server_serves_feeds_and_permalink(articles):
    server = start_server(articles, env={"FEEDSVC_TITLE": "Skeleton"})
    try:
        for path in ("feed.atom", "feed.rss"):
            status, headers, body = server.get(path)
            assert status == 200
            feed = feedparser.parse(body)
            assert feed.bozo == 0
            assert feed.feed.title == "Skeleton"
            assert len(feed.entries) == len(SAMPLE_TITLES)
            assert all(e.link.startswith(server.url + "articles/") for e in feed.entries)
        status, _, body = server.get("articles/river-cleanup-volunteers")
        assert status == 200
        assert SAMPLE_TITLES["river-cleanup-volunteers"].encode() in body
        assert server.get("articles/missing")[0] == 404
    finally:
        stop_server(server)
    assert 'GET /feed.atom HTTP/1.1" 200' in server.log.read_text()


def test_samples_are_not_copies_of_the_seed():
    if not SEED.exists():
        pytest.skip("the seed article ../shared/seed is absent")
    seed_lines = {line.strip() for line in SEED.read_text().splitlines() if len(line) > 40}
    for path in SAMPLES.iterdir():
        assert not seed_lines & set(path.read_text().splitlines())
