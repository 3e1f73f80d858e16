"""Entry images: front matter image keys become media:content, JSON `image` and og:image."""

from __future__ import annotations

import json
import os
import shutil
import textwrap
import time
from pathlib import Path

import feedparser
import lxml.etree
import lxml.html
import pytest
from conftest import app_config
from engine_sites import SITES

from feedsvc import create_app

BASE = "http://feeds.example.org/"
MEDIA = "{http://search.yahoo.com/mrss/}"
PERMALINK = BASE + "articles/pic"


def write(folder: Path, name: str, text: str) -> None:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    past = time.time() - 60
    os.utime(path, (past, past))


@pytest.mark.parametrize(
    ("front_matter", "expected"),
    [
        ("image: /images/cover.jpg", BASE + "images/cover.jpg"),
        ("image: cover.png", BASE + "articles/cover.png"),  # relative to the permalink
        ("image:\n  path: https://cdn.example.com/a b.jpg", "https://cdn.example.com/a%20b.jpg"),
        ("cover:\n  image: /img/c.webp\n  alt: A cover", BASE + "img/c.webp"),
        ("cover: https://example.com/c.jpg", "https://example.com/c.jpg"),
        ("featured_image: /wp/f.jpg", BASE + "wp/f.jpg"),
        ("feature_image: /ghost/g.jpg", BASE + "ghost/g.jpg"),
        ("images: [/hugo/one.jpg, /hugo/two.jpg]", BASE + "hugo/one.jpg"),
        ("thumbnail: /t.gif", BASE + "t.gif"),
        ("image: javascript:alert(1)", None),
    ],
)
def test_front_matter_image_reaches_every_format_and_the_page(
    articles: Path, front_matter: str, expected: str | None
):
    for old in articles.iterdir():
        old.unlink()
    write(articles, "pic.md", f"---\ntitle: Pic\ndate: 2026-01-02\n{front_matter}\n---\n\nBody.\n")
    client = create_app(app_config(articles)).test_client()
    atom = client.get("/feed.atom").data
    rss = client.get("/feed.rss").data
    for body in (atom, rss):
        assert feedparser.parse(body).bozo == 0
        root = lxml.etree.fromstring(body)
        contents = [e.get("url") for e in root.iter(MEDIA + "content")]
        thumbnails = [e.get("url") for e in root.iter(MEDIA + "thumbnail")]
        assert contents == thumbnails == ([expected] if expected else [])
    parsed = feedparser.parse(atom).entries[0]
    if expected:
        assert parsed.media_thumbnail[0]["url"] == expected
    item = json.loads(client.get("/feed.json").data)["items"][0]
    assert item.get("image") == expected
    page = lxml.html.fromstring(client.get("/articles/pic").data)
    og = [m.get("content") for m in page.cssselect('meta[property="og:image"]')]
    assert og == ([expected] if expected else [])


def test_media_content_carries_the_image_type_when_the_extension_names_it(articles: Path):
    write(articles, "pic.md", "---\ntitle: Pic\ndate: 2026-01-02\nimage: /a.png\n---\n\nBody.\n")
    client = create_app(app_config(articles)).test_client()
    root = lxml.etree.fromstring(client.get("/feed.atom").data)
    [content] = root.iter(MEDIA + "content")
    assert (content.get("type"), content.get("medium")) == ("image/png", "image")


def test_without_an_image_the_page_falls_back_to_the_logo(articles: Path):
    client = create_app(app_config(articles, LOGO="/static/logo.png")).test_client()
    page = lxml.html.fromstring(client.get("/articles/night-market-guide").data)
    og = [m.get("content") for m in page.cssselect('meta[property="og:image"]')]
    assert og == [BASE + "static/logo.png"]
    assert b"search.yahoo.com/mrss" not in client.get("/feed.atom").data


def test_an_image_of_the_wrong_kind_is_reported_naming_the_file(articles: Path):
    write(articles, "bad-pic.md", "---\ntitle: Bad\ndate: 2026-01-02\nimage: 42\n---\n\nB.\n")
    app = create_app(app_config(articles))
    problems = [str(p) for p in app.extensions["feedsvc"].documents.snapshot.problems]
    assert any("bad-pic.md" in p and "image must be" in p for p in problems), problems
    assert app.test_client().get("/articles/night-market-guide").status_code == 200


@pytest.mark.parametrize(
    "image",
    ["image: /assets/pier.png", "image:\n  path: /assets/pier.png\n  alt: The east pier"],
)
def test_a_jekyll_posts_image_reaches_every_format(tmp_path: Path, image: str):
    """Jekyll's `image:` (jekyll-seo-tag and jekyll-feed read both forms) in a Jekyll site."""
    site = tmp_path / "jekyll"
    shutil.copytree(SITES / "jekyll", site)  # the fixture itself stays as other tests read it
    post = site / "_posts" / "2024-03-05-harbour-lights.md"
    text = post.read_text(encoding="utf-8")
    post.write_text(text.replace("category: News\n", f"category: News\n{image}\n", 1))
    past = time.time() - 60
    os.utime(post, (past, past))
    client = create_app(app_config(site)).test_client()
    atom = client.get("/feed.atom").data
    parsed = feedparser.parse(atom)
    assert parsed.bozo == 0 and len(parsed.entries) == 3
    [lights] = [e for e in parsed.entries if "harbour-lights" in e.link]
    # The same URL as the post body's link to that file ({{ "/assets/pier.png" | relative_url }}).
    [expected] = [
        a.get("href")
        for a in lxml.html.fromstring(lights.content[0].value).cssselect("a")
        if a.text_content() == "map"
    ]
    assert expected == BASE + "assets/pier.png"
    for body in (atom, client.get("/feed.rss").data):
        assert feedparser.parse(body).bozo == 0
        root = lxml.etree.fromstring(body)
        assert [e.get("url") for e in root.iter(MEDIA + "content")] == [expected]
        assert [e.get("url") for e in root.iter(MEDIA + "thumbnail")] == [expected]
    assert lights.media_content[0]["type"] == "image/png"
    items = json.loads(client.get("/feed.json").data)["items"]
    assert [i.get("image") for i in items if "harbour-lights" in i["url"]] == [expected]
    assert [i.get("image") for i in items if "harbour-lights" not in i["url"]] == [None, None]
