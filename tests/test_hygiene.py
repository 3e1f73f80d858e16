"""URL and identifier hygiene (issue 15, item 6), as a reader and `check` see it.

Against a real server: scheme checks ignore case (`DATA:`), `data:` URLs stay
only in `img src` and never mangle a srcset, an `id` must be a tag, urn, http
or https URI, an invalid email is dropped with a warning, and tags such as
`C++`, `C#` and `C` keep pages of their own, while a tag with no slug or
another tag's slug is reported.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner
from conftest import SAMPLES, Server, start_server, stop_server
from feed_view import KINDS, parse_feed
from scenario import NOW, article

from feedsvc.catalog import duplicates
from feedsvc.catalog.duplicates import tag_clashes
from feedsvc.cli import main
from feedsvc.model import Tag
from feedsvc.reading.text import tag_slug
from feedsvc.render.markup import sanitise

HOUR_AGO = time.time() - 3600
PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5Er"
    "kJggg=="
)
BASE = "http://x.example/articles/a"

ARTICLES = {
    "urls.md": f"""---
title: Data URLs in every place
date: 2024-05-01
author: Jane <jane@localhost>
enclosure: {{url: "DATA:image/png;base64,{PNG}", type: image/png, length: 10}}
---

<a href="DATA:image/png;base64,{PNG}">link</a>
<img src="DATA:image/png;base64,{PNG}" alt="pixel">
<video poster="DaTa:image/png;base64,{PNG}" src="v.mp4"></video>
<img srcset="data:image/png;base64,{PNG} 1x, big.png 2x" alt="set">
""",
    "bad-id.md": "---\ntitle: Bad id\nid: javascript:alert(1)//x\n---\n\nBody.\n",
    "good-id.md": (
        "---\ntitle: Good id\nid: TAG:example.org,2024:good\ndate: 2024-05-02\n---\n\nB.\n"
    ),
    "langs.md": (
        "---\ntitle: Languages\ndate: 2024-05-03\ntags: [C++, C#, C, +++, Node.js]\n---\n\nB.\n"
    ),
    "node.md": "---\ntitle: Node\ndate: 2024-05-04\ntags: [Node JS]\n---\n\nB.\n",
    "mail.md": (
        "---\ntitle: Mail\ndate: 2024-05-05\n"
        "authors: [{name: Ann, email: not an email}, Bob <bob@example.org>]\n---\n\nB.\n"
    ),
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    articles = tmp_path_factory.mktemp("hygiene") / "articles"
    shutil.copytree(SAMPLES, articles)
    for name, text in ARTICLES.items():
        (articles / name).write_text(text, encoding="utf-8")
        os.utime(articles / name, (HOUR_AGO, HOUR_AGO))
    return articles


@pytest.fixture(scope="module")
def server(folder: Path) -> Iterator[Server]:
    running = start_server(folder)
    yield running
    stop_server(running)


@pytest.fixture(scope="module")
def checked(folder: Path) -> list[str]:
    result = CliRunner().invoke(
        main, ["check", "--articles", str(folder)], env={"FEEDSVC_STATE": str(folder / "s")}
    )
    return result.output.splitlines()


def feed(server: Server, kind: str = "atom") -> list:
    status, _, body = server.get(f"/feed.{kind}")
    assert status == 200
    return parse_feed(kind, body)


@pytest.mark.parametrize(
    ("html", "kept"),
    [
        (f'<a href="DATA:image/png;base64,{PNG}">x</a>', "<a"),
        (f'<video poster="DATA:image/png;base64,{PNG}"></video>', "<video></video>"),
        (f'<audio src="Data:image/png;base64,{PNG}"></audio>', "<audio></audio>"),
        (f'<img src="DATA:image/png;base64,{PNG}">', f'<img src="data:image/png;base64,{PNG}">'),
        (f'<img srcset="data:image/png;base64,{PNG} 1x, b.png 2x">',
         'srcset="http://x.example/articles/b.png 2x"'),
        ('<img srcset="a.png 1x,b.png 2x">', "a.png 1x, http://x.example/articles/b.png 2x"),
    ],
)  # fmt: skip
def test_data_urls_only_in_img_src_whatever_the_case(html: str, kept: str) -> None:
    clean = sanitise(html, BASE)
    assert kept in clean
    assert "data:" not in clean.lower().replace(f'src="data:image/png;base64,{PNG.lower()}', "")
    assert "base64" not in clean or clean.startswith("<img src=")


@pytest.mark.server
def test_data_urls_are_kept_only_in_img_src_in_every_feed(
    server: Server, checked: list[str]
) -> None:
    assert any(
        line.startswith("urls.md:5: warning: enclosure url 'DATA:image/png;base64,")
        for line in checked
    )
    for kind in KINDS:
        [entry] = [e for e in feed(server, kind) if e.title == "Data URLs in every place"]
        content = entry.content.lower()
        assert content.count("data:") == 1
        assert f'src="data:image/png;base64,{PNG.lower()}"' in content
        raw = server.get(f"/feed.{kind}")[2]  # feedparser drops srcset: read the bytes
        assert b"big.png 2x" in raw  # the srcset's other candidate, not mangled
        assert b"enclosure" not in raw  # a data: enclosure is left out


@pytest.mark.server
def test_an_id_must_be_a_tag_urn_or_http_uri(server: Server, checked: list[str]) -> None:
    titles = {e.title: e.id for e in feed(server)}
    assert "Bad id" not in titles
    assert titles["Good id"] == "TAG:example.org,2024:good"
    assert any(
        line.startswith("bad-id.md:3: error: id 'javascript:alert(1)//x' is not an absolute URI")
        for line in checked
    )


@pytest.mark.server
def test_invalid_emails_are_dropped_with_a_warning(server: Server, checked: list[str]) -> None:
    parsed = feedparser.parse(server.get("/feed.atom")[2])
    by_title = {e.title: e for e in parsed.entries}
    assert [a.get("email") for a in by_title["Mail"].authors] == [None, "bob@example.org"]
    assert [a.name for a in by_title["Mail"].authors] == ["Ann", "Bob"]
    assert by_title["Data URLs in every place"].authors[0].get("email") is None
    assert any(
        line.startswith("mail.md:4: warning: authors: email 'not an email'") for line in checked
    )
    assert any(
        line.startswith("urls.md:4: warning: author: email 'jane@localhost'") for line in checked
    )


@pytest.mark.parametrize(
    ("name", "slug"),
    [("C++", "c-plus-plus"), ("C#", "c-sharp"), ("C", "c"), ("F#", "f-sharp"),
     ("Notepad++", "notepad-plus-plus"), ("#python", "python"), ("+++", "")],
)  # fmt: skip
def test_tag_slugs_keep_distinct_tags_distinct(name: str, slug: str) -> None:
    assert tag_slug(name) == slug


def test_a_tag_clash_is_told_of_the_older_article_whatever_the_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The check sorts the articles only when a slug has two names: its answers stay."""
    base = article("md_comma_tags.md")

    def tagged(slug: str, days: int, *names: str):
        tags = tuple(Tag(name, tag_slug(name)) for name in names)
        published = NOW - timedelta(days=days)
        return replace(base, slug=slug, path=f"{slug}.md", tags=tags, published=published)

    new, old = tagged("new", 1, "Node JS", "Go"), tagged("old", 2, "Node.js")
    same_but_case = tagged("older", 3, "node js", "GO")
    with monkeypatch.context() as patch:  # no clash: no sort (a first start's 100,000)
        patch.setattr(duplicates, "sort_key", lambda _: pytest.fail("sorted"))
        assert tag_clashes([same_but_case, new]) == []  # one name, ignoring case
    for order in ([old, new, same_but_case], [same_but_case, new, old]):
        (problem,) = tag_clashes(order)
        assert problem.path == "old.md" and "'Node.js' has the slug 'node-js'" in problem.message
        assert "of tag 'Node JS'" in problem.message  # the newer article's name wins


@pytest.mark.server
def test_c_plus_plus_c_sharp_and_c_have_pages_of_their_own(
    server: Server, checked: list[str]
) -> None:
    for slug, name in (("c-plus-plus", "C++"), ("c-sharp", "C#"), ("c", "C")):
        status, _, body = server.get(f"/tags/{slug}/feed.atom")
        assert status == 200, slug
        assert feedparser.parse(body).feed.title.endswith(f": {name}")
    # node.md is newer, so pages list its spelling first: langs.md hears of the clash
    for start in (
        "langs.md:4: warning: tag '+++' has no letter or digit",
        "langs.md: warning: tag 'Node.js' has the slug 'node-js' of tag 'Node JS'",
    ):
        assert any(line.startswith(start) for line in checked), start
