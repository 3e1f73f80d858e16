"""Property-based: no article file, however broken, escapes ArticleError or spoils a feed.

Arbitrary bytes as a .txt or .md file, and arbitrary front-matter values, must
either give an article or raise ArticleError; through the app, the feeds stay
valid (feedparser bozo 0) and the good articles beside the bad file stay in
them. Examples are bounded so the file runs in a few seconds.
"""

from __future__ import annotations

import json
import os
import string
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import feedparser
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from scenario import MAX_BYTES, defaults, found

from feedsvc import create_app
from feedsvc.catalog.folder import SETTLE
from feedsvc.errors import ArticleError
from feedsvc.reading.article import read_article
from feedsvc.reading.formats import KNOWN_KEYS

GOOD = {
    "good-plain.txt": "Date: 2024-01-01 10:00 UTC\n\nA Good Plain Article\n\nIts body.\n",
    "good-markdown.md": "---\ntitle: A Good Markdown Article\ndate: 2024-01-02\n"
    "id: tag:example.org,2024:good-markdown\n---\n\nIts *body*.\n",
}
FRAGMENTS = [
    "---\n",
    "...\n",
    "Title: T\n",
    "Date: 2024-02-30\n",
    "date: March 2024 EST\n",
    "\n\n",
    "Author: A\n",
    "tags: [a, b\n",
    "title: &a x\n",
    "*a\n",
    "!!python/name:os.system\n",
    "Draft: yes\n",
    "Slug: \n",
    "Id: x:y\n",
    "lang: ??\n",
    "# Heading\n",
    "\r\n",
    "\x00",
    "\ufeff",
    "\ud800",
    "\x0b",
    "\u0301",
    "\uffff",
    "[link](javascript:alert(1))\n",
    "<script>alert(1)</script>\n",
    'key: "\\x01\\ud800"\n',
    "summary: |\n  x\n",
]
SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

texts = st.text(max_size=60)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    texts,
    st.dates(min_value=date(1, 1, 1)),
    st.datetimes(timezones=st.sampled_from([None, UTC, timezone(timedelta(hours=-5))])),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(texts, inner, max_size=4)
    ),
    max_leaves=8,
)
front_matters = st.dictionaries(
    st.one_of(
        st.sampled_from(sorted(KNOWN_KEYS)), st.text(string.ascii_letters, min_size=1, max_size=8)
    ),
    values,
    max_size=8,
)
file_bytes = st.one_of(
    st.binary(max_size=600),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=20)), max_size=14).map(
        lambda parts: "".join(parts).encode("utf-8", "surrogatepass")
    ),
)


def markdown_with(meta: dict) -> bytes:
    try:
        dumped = yaml.safe_dump(meta, allow_unicode=True)
    except (yaml.YAMLError, UnicodeEncodeError):
        dumped = yaml.safe_dump(meta, allow_unicode=False)
    return ("---\n" + dumped + "---\n\nBody.\n").encode("utf-8", "surrogatepass")


def header_block_with(meta: dict) -> bytes:
    lines = [f"{key}: {value}".replace("\n", " ") for key, value in meta.items()]
    return ("\n".join(lines) + "\n\nTitle line\n\nBody.\n").encode("utf-8", "surrogatepass")


def read_bytes(tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    try:
        read_article(found(path), defaults("Europe/Paris"), MAX_BYTES)
    except ArticleError as e:
        assert e.path == name and e.message


@SETTINGS
@given(data=file_bytes, suffix=st.sampled_from([".txt", ".md"]))
def test_arbitrary_bytes_raise_only_article_error(
    tmp_path: Path, data: bytes, suffix: str
) -> None:
    read_bytes(tmp_path, "any" + suffix, data)


@SETTINGS
@given(meta=front_matters)
def test_arbitrary_front_matter_values_raise_only_article_error(
    tmp_path: Path, meta: dict
) -> None:
    read_bytes(tmp_path, "any.md", markdown_with(meta))
    read_bytes(tmp_path, "any.txt", header_block_with(meta))


@pytest.fixture
def site(tmp_path: Path):
    folder = tmp_path / "articles"
    folder.mkdir()
    for name, text in GOOD.items():
        (folder / name).write_text(text, "utf-8")
        os.utime(folder / name, (1_000_000_000, 1_000_000_000))
    app = create_app(
        {
            "ARTICLES": str(folder),
            "STATE": str(tmp_path / "state.sqlite3"),
            "BASE_URL": "http://feeds.example.org/",
            "RESCAN_INTERVAL": 3600.0,
        }
    )
    return app, folder


def assert_feeds_valid_with_good_articles(app, folder: Path, name: str, data: bytes) -> bool:
    """Write DATA as NAME, rescan, check every feed; return whether NAME was published."""
    for other in folder.glob("zz-*"):
        if other.name != name:
            other.unlink()
    path = folder / name
    path.write_bytes(data)
    stamp = 1_100_000_000 + len(data)
    os.utime(path, (stamp, stamp))
    now = datetime.now(UTC)
    app.extensions["feedsvc"].refresh(now)  # finds the other bad file missing...
    snapshot = app.extensions["feedsvc"].refresh(now + timedelta(seconds=SETTLE)).snapshot  # gone
    published = any(a.path == name for a in snapshot.articles)
    errors = [p for p in snapshot.problems if p.path == name and p.severity == "error"]
    assert published or errors or any(a.path == name for a in snapshot.unpublished)
    client = app.test_client()
    titles = {"A Good Plain Article", "A Good Markdown Article"}
    for kind in ("atom", "rss"):
        response = client.get(f"/feed.{kind}")
        assert response.status_code == 200
        parsed = feedparser.parse(response.data)
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert titles <= {entry.title for entry in parsed.entries}
        assert len(parsed.entries) == 2 + published
    feed = json.loads(client.get("/feed.json").data)
    assert titles <= {item["title"] for item in feed["items"]}
    event("bad file published" if published else "bad file skipped")
    return published


@SETTINGS
@given(data=file_bytes, suffix=st.sampled_from([".txt", ".md"]))
def test_arbitrary_bytes_never_spoil_a_feed_or_drop_another_article(
    site, data: bytes, suffix: str
) -> None:
    app, folder = site
    assert_feeds_valid_with_good_articles(app, folder, "zz-bad" + suffix, data)


@SETTINGS
@given(meta=front_matters, header=st.booleans())
def test_arbitrary_front_matter_never_spoils_a_feed_or_drops_another_article(
    site, meta: dict, header: bool
) -> None:
    app, folder = site
    if header:
        assert_feeds_valid_with_good_articles(app, folder, "zz-bad.txt", header_block_with(meta))
    else:
        assert_feeds_valid_with_good_articles(app, folder, "zz-bad.md", markdown_with(meta))


@SETTINGS
@given(
    title=st.text(min_size=1, max_size=80),
    tags=st.lists(st.text(max_size=20), max_size=5),
    author=st.text(max_size=40),
    summary=st.text(max_size=400),
)
def test_any_text_in_every_field_gives_a_valid_feed(
    site, title: str, tags: list[str], author: str, summary: str
) -> None:
    app, folder = site
    meta = {
        "title": title,
        "tags": tags,
        "author": author,
        "summary": summary,
        "date": "2024-03-01",
        "slug": "zz-published",
    }
    assert_feeds_valid_with_good_articles(app, folder, "zz-bad.md", markdown_with(meta))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from([*"\t\n\r\x00\x08\x0b\x1f\x7f ab\ud800\ufffe", "é", "e\u0301"])))
def test_clean_keeps_exactly_what_xml_allows_in_nfc_with_lf_line_ends(parts: list[str]) -> None:
    """``clean``'s one-pass check of an ASCII text means what its pattern means."""
    from unicodedata import normalize

    from feedsvc.reading.text import clean

    text = "".join(parts)
    lines = text.replace("\r\n", "\n").replace("\r", "\n")
    illegal = {*map(chr, range(0x20)), "\ud800", "\ufffe"} - {"\t", "\n"}
    assert clean(text) == normalize("NFC", "".join(c for c in lines if c not in illegal))
