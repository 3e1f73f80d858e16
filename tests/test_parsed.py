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

from feedsvc import create_app, model
from feedsvc.catalog import folder
from feedsvc.store import parsed


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


@pytest.mark.parametrize("how", ["changed setting", "another release"])
def test_a_file_broken_across_an_upgrade_keeps_the_version_read_before_it(
    articles: Path, warm: dict, reads: list[str], how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """BRIEF: a deploy never makes a published article vanish. Under other code or
    settings STATE.parsed is not taken as read, but a file found broken keeps the
    version the last process read instead of being held out (503)."""
    from feedsvc.store import parsed

    path = articles / "bulk-003.md"
    path.write_text("---\ntitle: [never closed\n---\nHalf.\n", "utf-8")
    os.utime(path, (1_700_000_000, 1_700_000_000))  # settled
    if how == "another release":  # same record layout, other code: another fingerprint
        monkeypatch.setattr(parsed, "fingerprint", lambda config: "a later release")
        served = run(articles)
    else:
        served = run(articles, AUTHOR="Someone Else")
    assert len(reads) >= 30  # every file read again: nothing taken as read
    status, _, page = served["/articles/bulk-003"]
    assert status == 200 and page == warm["/articles/bulk-003"][2]
    assert b"bulk-003" in served["/feed.atom"][2]
    reads.clear()  # and the next restart, under these settings, keeps it too (read again)
    again = run(articles) if how == "another release" else run(articles, AUTHOR="Someone Else")
    assert again["/articles/bulk-003"] == served["/articles/bulk-003"]
    assert reads == ["bulk-003.md"]  # the broken file is read again: its problem stays reported


def test_a_cache_of_another_record_layout_is_no_last_good_version(
    articles: Path, warm: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    from feedsvc.store import parsed

    path = articles / "bulk-003.md"
    path.write_text("---\ntitle: [never closed\n---\nHalf.\n", "utf-8")
    os.utime(path, (1_700_000_000, 1_700_000_000))
    monkeypatch.setattr(parsed, "_VERSION", parsed._VERSION + 1)  # a layout this code cannot read
    monkeypatch.setattr(parsed, "fingerprint", lambda config: "a later release")
    assert run(articles)["/articles/bulk-003"][0] == 503  # held: never gone, never a guess


def test_a_restart_holds_one_tuple_for_equal_tags(
    articles: Path, monkeypatch: pytest.MonkeyPatch, reads: list[str]
) -> None:
    """Equal tags (and authors) are one tuple after a restart too, though pickle shares
    objects only within one chunk of STATE.parsed (memory: 6 MiB at 100,000 articles)."""
    monkeypatch.setattr(parsed, "CHUNK", 3)  # ten chunks of three
    for index in range(30):
        (articles / f"t-{index:02d}.md").write_text(
            f"---\ntitle: T {index}\ndate: 2024-01-02\nauthor: Ann\n"
            f"tags: [ferry, {'night' if index % 2 else 'day'}]\n---\n\nText {index}.\n",
            "utf-8",
        )
    run(articles)
    reads.clear()
    model._SHARED.clear()  # what reading shared is forgotten: only loading can share now
    app = create_app(app_config(articles))
    snapshot = app.extensions["feedsvc"].documents.snapshot
    app.extensions["feedsvc"].close()
    assert reads == []
    ours = [a for a in snapshot.articles if a.slug.startswith("t-")]
    assert len(ours) == 30
    assert len({id(a.tags) for a in ours}) == 2
    assert len({id(a.authors) for a in ours}) == 1
    assert {tuple(t.name for t in a.tags) for a in ours} == {
        ("ferry", "day"),
        ("ferry", "night"),
    }
