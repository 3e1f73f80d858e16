"""A restart takes unchanged files as the last process read them (store/parsed.py).

Each test creates the app, stops it cleanly (that writes STATE.parsed), and
creates it again on the same store, counting the files the reader opens.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from conftest import app_config, write_bulk

from feedsvc import create_app
from feedsvc.catalog import folder


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count the files a scan reads, from now on (renders read bodies from the files too)."""
    seen: list[str] = []
    real = folder.Folder._read

    def counting(self, found, *args, **kwargs):
        seen.append(found.path)
        return real(self, found, *args, **kwargs)

    monkeypatch.setattr(folder.Folder, "_read", counting)
    return seen


def run(articles: Path, **extra: object) -> dict[str, tuple[int, str | None, bytes]]:
    """Create the app, fetch its feeds and a page, stop it cleanly; return what it served."""
    app = create_app(app_config(articles, **extra))
    client = app.test_client()
    served = {}
    for path in ("/feed.atom", "/feed.json", "/articles/bulk-003", "/"):
        response = client.get(path)
        served[path] = (response.status_code, response.headers.get("ETag"), response.data)
    app.extensions["feedsvc"].close()
    return served


@pytest.fixture
def warm(articles: Path) -> dict[str, tuple[int, str | None, bytes]]:
    write_bulk(articles, 30)
    return run(articles)


def test_a_restart_reads_no_file_whose_signature_is_unchanged(
    articles: Path, warm: dict, reads: list[str]
) -> None:
    assert run(articles) == warm  # the same bytes and ETags
    assert reads == []
    assert (articles.parent / "state.sqlite3.parsed").exists()


def test_a_file_edited_while_stopped_is_read_again(
    articles: Path, warm: dict, reads: list[str]
) -> None:
    path = articles / "bulk-003.md"
    path.write_text(path.read_text() + "\nA late line.\n", "utf-8")
    os.utime(path, (1_700_000_000, 1_700_000_000))  # settled
    served = run(articles)
    assert reads == ["bulk-003.md"]
    assert b"A late line." in served["/articles/bulk-003"][2]


def test_a_changed_setting_reads_every_file_again(
    articles: Path, warm: dict, reads: list[str]
) -> None:
    run(articles, AUTHOR="Someone Else")
    assert len(reads) >= 30


def test_a_damaged_cache_is_ignored(
    articles: Path, warm: dict, reads: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    (articles.parent / "state.sqlite3.parsed").write_bytes(b"not a pickle")
    with caplog.at_level(logging.WARNING):
        assert run(articles) == warm
    assert len(reads) >= 30
    assert "every article is read again" in caplog.text


def test_a_new_store_reads_every_file_again(articles: Path, warm: dict, reads: list[str]) -> None:
    state = articles.parent / "state.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{state}{suffix}").unlink(missing_ok=True)  # the bodies the cache names are gone
    assert run(articles)["/feed.atom"][0] == 200
    assert len(reads) >= 30


def test_under_a_blog_engine_nothing_is_kept(tmp_path: Path) -> None:
    site = tmp_path / "blog"
    (site / "_posts").mkdir(parents=True)
    (site / "_config.yml").write_text("title: A blog\n")
    (site / "_posts" / "2024-03-05-harbour.md").write_text(
        "---\ntitle: Harbour\n---\nThe bridge reopens.\n"
    )
    state = tmp_path / "state.sqlite3"
    config = {"ARTICLES": str(site), "STATE": str(state), "BASE_URL": "http://blog.example/"}
    app = create_app({**config, "ENGINE": "jekyll"})
    assert app.test_client().get("/feed.atom").status_code == 200
    app.extensions["feedsvc"].close()
    assert not Path(f"{state}.parsed").exists()  # _config.yml shapes posts: no cache
