"""RFC 5005 archived feeds: the whole history can be walked, and archives stay put.

Each calendar month (UTC, by publication date) is one archive document in
every format. The subscription feeds link the newest archive with
``prev-archive``; each archive is marked ``fh:archive``, links ``current``
and the next older archive. Publishing an article never rewrites an older
month's archive; editing an article rewrites only its own month.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import feedparser
import pytest
from conftest import BASE_URL, SCENARIOS, app_config
from feed_checks import FH, NS, check_atom, check_rss, xml

from feedsvc import create_app

AWKWARD = SCENARIOS / "awkward"
MONTHS = ["2026-03", "2026-02", "2026-01", "2025-12", "2025-11"]  # newest first
SETTLED = time.time() - 3600  # an mtime old enough for the catalog to read the file at once


def _settle(path: Path) -> None:
    os.utime(path, (SETTLED, SETTLED))


def _until(client, path: str, needle: bytes, timeout: float = 5.0) -> bytes:
    """Return PATH's body once it contains NEEDLE (the rescan has run), polling briefly."""
    deadline = time.monotonic() + timeout
    while True:
        body = _get(client, path)
        if needle in body or time.monotonic() > deadline:
            return body
        time.sleep(0.02)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    articles = tmp_path / "articles"
    shutil.copytree(AWKWARD, articles)
    return articles


@pytest.fixture
def client(corpus: Path):
    return create_app(app_config(corpus, FEED_SIZE=2)).test_client()


def _get(client, path: str) -> bytes:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.data


def _walk(client, kind: str) -> list[tuple[str, bytes]]:
    """Return (path, body) of the subscription feed, then every archive, newest first."""
    path, documents = f"feed.{kind}", []
    for _ in range(100):
        body = _get(client, path)
        documents.append((path, body))
        if kind == "json":
            older = json.loads(body).get("next_url")
        else:
            root = xml(body)
            links = root.findall("channel/a:link" if kind == "rss" else "a:link", NS)
            older = next((x.get("href") for x in links if x.get("rel") == "prev-archive"), None)
        if older is None:
            return documents
        assert older.startswith(BASE_URL)
        path = older.removeprefix(BASE_URL)
    raise AssertionError("the archive chain does not end")


@pytest.mark.parametrize("kind", ["atom", "rss", "json"])
def test_walking_prev_archive_reaches_every_article(client, kind: str) -> None:
    documents = _walk(client, kind)
    assert [p for p, _ in documents] == [f"feed.{kind}"] + [f"archive/{m}.{kind}" for m in MONTHS]

    def ids(body: bytes) -> list[str]:
        if kind == "json":
            return [item["id"] for item in json.loads(body)["items"]]
        return [entry.id for entry in feedparser.parse(body).entries]

    assert len(ids(documents[0][1])) == 2, "FEED_SIZE=2"
    archived = [i for _, body in documents[1:] for i in ids(body)]
    assert len(archived) == len(set(archived)) == 8, "each article in exactly one archive"
    assert set(ids(documents[0][1])) <= set(archived)


@pytest.mark.parametrize("kind", ["atom", "rss"])
def test_archives_are_marked_and_linked(client, kind: str) -> None:
    subscription, *archives = _walk(client, kind)
    assert xml(subscription[1]).find(f".//{{{FH}}}archive") is None
    kind_type = f"application/{kind}+xml"
    for index, (path, body) in enumerate(archives):
        root = xml(body)
        check = check_atom if kind == "atom" else check_rss
        check(root, BASE_URL + path, BASE_URL)
        parent = root if kind == "atom" else root.find("channel")
        assert parent.find(f"{{{FH}}}archive") is not None, "marked fh:archive"
        links = {
            (x.get("rel"), x.get("href"), x.get("type")) for x in parent.findall("a:link", NS)
        }
        assert ("current", f"{BASE_URL}feed.{kind}", kind_type) in links
        assert not [x for x in links if x[0] == "next-archive"]
        older = [x for x in links if x[0] == "prev-archive"]
        if index + 1 < len(archives):
            assert older == [("prev-archive", BASE_URL + archives[index + 1][0], kind_type)]
        else:
            assert older == [], "the oldest archive ends the chain"
        assert feedparser.parse(body).bozo == 0


def test_an_archive_holds_its_calendar_month_only(client) -> None:
    for month in MONTHS:
        document = json.loads(_get(client, f"archive/{month}.json"))
        assert document["items"]
        assert {i["date_published"][:7] for i in document["items"]} == {month}
        assert document["feed_url"] == f"{BASE_URL}archive/{month}.json"


def _all_archives(client) -> dict[str, bytes]:
    return {
        f"{m}.{k}": _get(client, f"archive/{m}.{k}")
        for m in MONTHS
        for k in ("atom", "rss", "json")
    }


def test_publishing_a_new_article_rewrites_no_archive(client, corpus: Path) -> None:
    before = _all_archives(client)
    new = corpus / "a_new_month.md"
    new.write_text("---\ntitle: A new month\ndate: 2026-04-02T10:00:00Z\n---\n\nNews.\n")
    _settle(new)
    assert b"archive/2026-04.atom" in _until(client, "feed.atom", b"archive/2026-04.atom")
    assert _all_archives(client) == before
    assert b"archive/2026-03.atom" in _get(client, "archive/2026-04.atom")


def test_editing_an_article_rewrites_only_its_month(client, corpus: Path) -> None:
    before = _all_archives(client)
    edited = corpus / "several_authors.md"  # January 2026
    edited.write_text(edited.read_text().replace("Four people", "Four careful people"))
    _settle(edited)
    _until(client, "archive/2026-01.json", b"Four careful people")
    after = _all_archives(client)
    changed = sorted(name for name in before if before[name] != after[name])
    assert changed == ["2026-01.atom", "2026-01.json", "2026-01.rss"]
    assert b"Four careful people" in after["2026-01.json"]


def test_an_unknown_month_is_not_found(client) -> None:
    assert client.get("/archive/1999-01.atom").status_code == 404
    assert client.get("/archive/2026-13.atom").status_code == 404
