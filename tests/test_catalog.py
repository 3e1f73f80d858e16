"""The catalog: ids and dates that never lie, drafts, schedules, duplicates, bad files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from conftest import start_server, stop_server
from scenario import NOW, catalog, copy, settle

from feedsvc import config, create_app
from feedsvc.catalog.folder import SETTLE
from feedsvc.web.publisher import Publisher

SCENARIO_SET = [
    "txt_without_date.txt",
    "txt_header_block.txt",
    "md_yaml_front_matter.md",
    "md_naive_date_paris.md",
    "txt_seed_layout.txt",
]


def facts(snapshot) -> dict[str, tuple[str, datetime, datetime]]:
    return {a.slug: (a.id, a.published, a.updated) for a in snapshot.articles}


def write(path: Path, text: str, when: float = 1_000_000_000.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    settle(path, when)
    return path


def test_undated_article_takes_its_first_seen_time_and_a_minted_id(tmp_path: Path) -> None:
    folder = copy(["txt_without_date.txt"], tmp_path / "a")
    [article] = catalog(folder, tmp_path / "s.sqlite3").scan(NOW).articles
    assert article.published == NOW
    assert article.updated == NOW
    assert article.id == "tag:feeds.example.org,2026-06-01:txt-without-date"
    assert (article.id_pinned, article.date_pinned) == (False, False)


def test_pinned_id_and_date_are_used_as_written(tmp_path: Path) -> None:
    folder = copy(["txt_header_block.txt"], tmp_path / "a")
    [article] = catalog(folder, tmp_path / "s.sqlite3").scan(NOW).articles
    assert article.id == "tag:example.org,2024:header-block"
    assert article.published == datetime(2024, 3, 1, 9, tzinfo=UTC)
    assert article.updated == datetime(2024, 3, 5, 8, tzinfo=UTC)


def test_ids_and_dates_survive_restart_reclone_base_url_change_and_move(tmp_path: Path) -> None:
    state = tmp_path / "s.sqlite3"
    folder = copy(SCENARIO_SET, tmp_path / "a")
    first = facts(catalog(folder, state, authority="old.example.org").scan(NOW))
    later = NOW + timedelta(days=30)
    # restart: a new catalog on the same store, a month later
    assert facts(catalog(folder, state, authority="old.example.org").scan(later)) == first
    # a fresh clone: new folder, new inodes, fresh mtimes; and a new BASE_URL host
    clone = tmp_path / "clone"
    shutil.copytree(folder, clone)
    for path in clone.iterdir():
        settle(path, time.time() - 3600)
    assert facts(catalog(clone, state, authority="new.example.net").scan(later)) == first
    # a move into a subfolder under the same name
    (clone / "2024").mkdir()
    os.replace(clone / "txt_without_date.txt", clone / "2024" / "txt_without_date.txt")
    assert facts(catalog(clone, state, authority="new.example.net").scan(later)) == first


def test_touching_or_saving_unchanged_never_moves_updated(tmp_path: Path) -> None:
    folder = copy(["txt_without_date.txt"], tmp_path / "a")
    cat = catalog(folder, tmp_path / "s.sqlite3")
    [before] = cat.scan(NOW).articles
    path = folder / "txt_without_date.txt"
    path.write_text(path.read_text("utf-8").replace("\n\n", "\n\n\n"), "utf-8")  # layout only
    settle(path, 1_100_000_000.0)
    [after] = cat.scan(NOW + timedelta(hours=1)).articles
    assert (after.published, after.updated) == (before.published, before.updated)


def test_content_change_sets_updated_to_when_it_was_first_seen(tmp_path: Path) -> None:
    folder = copy(["txt_without_date.txt"], tmp_path / "a")
    state = tmp_path / "s.sqlite3"
    cat = catalog(folder, state)
    cat.scan(NOW)
    path = folder / "txt_without_date.txt"
    path.write_text(path.read_text("utf-8").replace("on time", "late"), "utf-8")
    settle(path, 1_100_000_000.0)
    edited = NOW + timedelta(hours=2)
    [article] = cat.scan(edited).articles
    assert (article.published, article.updated) == (NOW, edited)
    # a restart later still reports the same updated time
    [again] = catalog(folder, state).scan(edited + timedelta(days=1)).articles
    assert again.updated == edited


def test_front_matter_updated_wins(tmp_path: Path) -> None:
    folder = copy(["md_yaml_front_matter.md"], tmp_path / "a")
    [article] = catalog(folder, tmp_path / "s.sqlite3").scan(NOW).articles
    assert article.updated == datetime(2024, 4, 1, 19, tzinfo=UTC)


def test_drafts_are_never_published(tmp_path: Path) -> None:
    folder = copy(
        [
            "txt_draft.txt",
            "txt_status_draft.txt",
            "md_draft_true.md",
            "md_status_draft.md",
            "txt_without_date.txt",
        ],
        tmp_path / "a",
    )
    snapshot = catalog(folder, tmp_path / "s.sqlite3").scan(NOW)
    assert [a.slug for a in snapshot.articles] == ["txt-without-date"]
    assert sorted(a.slug for a in snapshot.unpublished) == [
        "md-draft-true",
        "md-status-draft",
        "txt-draft",
        "txt-status-draft",
    ]


def test_draft_gets_its_first_seen_date_when_published(tmp_path: Path) -> None:
    folder = copy(["txt_draft.txt"], tmp_path / "a")
    cat = catalog(folder, tmp_path / "s.sqlite3")
    assert cat.scan(NOW).articles == ()
    path = folder / "txt_draft.txt"
    path.write_text(path.read_text("utf-8").replace("Draft: true", "Draft: false"), "utf-8")
    settle(path, 1_100_000_000.0)
    published = NOW + timedelta(days=2)
    [article] = cat.scan(published).articles
    assert article.published == published
    assert article.id == "tag:feeds.example.org,2026-06-03:txt-draft"


def test_future_article_is_published_when_due_without_restart(tmp_path: Path) -> None:
    folder = tmp_path / "a"
    write(folder / "soon.md", "---\ntitle: Soon\ndate: 2026-06-02 08:00 UTC\n---\n\nBody.\n")
    cat = catalog(folder, tmp_path / "s.sqlite3")
    before = cat.scan(NOW)
    assert before.articles == ()
    assert before.next_due == datetime(2026, 6, 2, 8, tzinfo=UTC)
    assert before.is_current(datetime(2026, 6, 2, 7, 59, 59, tzinfo=UTC))
    assert not before.is_current(datetime(2026, 6, 2, 8, tzinfo=UTC))
    after = cat.scan(datetime(2026, 6, 2, 8, tzinfo=UTC))
    assert [a.slug for a in after.articles] == ["soon"]
    assert after.next_due is None


@pytest.mark.parametrize("order", [["b/post.md", "a/post.txt"], ["a/post.txt", "b/post.md"]])
def test_duplicate_slug_resolved_by_date_then_path_whatever_the_order(
    tmp_path: Path, order: list[str]
) -> None:
    folder = tmp_path / "a"
    texts = {
        "a/post.txt": "Date: 2024-02-01\n\nLater Post\n\nBody.\n",
        "b/post.md": "---\ntitle: Earlier Post\ndate: 2024-01-01\n---\n\nBody.\n",
    }
    for name in order:
        write(folder / name, texts[name])
    snapshot = catalog(folder, tmp_path / "s.sqlite3").scan(NOW)
    assert [a.title for a in snapshot.articles] == ["Earlier Post"]
    reported = {(p.path, p.severity) for p in snapshot.problems}
    assert reported == {("b/post.md", "warning"), ("a/post.txt", "error")}


def test_duplicate_slug_with_equal_dates_is_won_by_the_path(tmp_path: Path) -> None:
    folder = tmp_path / "a"
    write(folder / "z" / "same.txt", "Date: 2024-01-01\n\nFrom Z\n\nBody.\n")
    write(folder / "y" / "same.txt", "Date: 2024-01-01\n\nFrom Y\n\nBody.\n")
    [article] = catalog(folder, tmp_path / "s.sqlite3").scan(NOW).articles
    assert article.path == "y/same.txt"


def test_bad_file_never_removes_a_good_article(tmp_path: Path) -> None:
    folder = copy(
        [
            "txt_without_date.txt",
            "txt_unparseable_date.txt",
            "md_yaml_alias_bomb.md",
            "md_yaml_python_tag.md",
            "md_front_matter_unclosed.md",
        ],
        tmp_path / "a",
    )
    write(folder / "binary.txt", "x\x00y")
    (folder / "empty.md").write_bytes(b"")
    settle(folder / "empty.md")
    snapshot = catalog(folder, tmp_path / "s.sqlite3").scan(NOW)
    assert [a.slug for a in snapshot.articles] == ["txt-without-date"]
    errors = sorted(p.path for p in snapshot.problems if p.severity == "error")
    assert errors == [
        "binary.txt",
        "empty.md",
        "md_front_matter_unclosed.md",
        "md_yaml_alias_bomb.md",
        "md_yaml_python_tag.md",
        "txt_unparseable_date.txt",
    ]


def test_file_broken_by_an_edit_keeps_its_last_good_version(tmp_path: Path) -> None:
    folder = copy(["md_no_author.md"], tmp_path / "a")
    cat = catalog(folder, tmp_path / "s.sqlite3")
    [good] = cat.scan(NOW).articles
    write(folder / "md_no_author.md", "---\ntitle: [broken\n---\n\nBody.\n", 1_100_000_000.0)
    snapshot = cat.scan(NOW + timedelta(minutes=1))
    assert snapshot.articles == (good,)
    assert {p.severity for p in snapshot.problems} == {"error", "warning"}


def test_files_being_written_wait_for_the_next_scan(tmp_path: Path) -> None:
    folder = tmp_path / "a"
    folder.mkdir()
    cat = catalog(folder, tmp_path / "s.sqlite3")
    cat.folder.settle = SETTLE
    assert cat.scan(NOW).articles == ()  # the first scan reads everything, however young
    path = write(folder / "fresh.md", "# Fresh\n\nBody.\n", NOW.timestamp())
    assert cat.scan(NOW).articles == ()
    settle(path)
    assert [a.slug for a in cat.scan(NOW).articles] == ["fresh"]


def test_lang_falls_back_to_the_site_language(tmp_path: Path) -> None:
    folder = copy(["txt_lang_fallback.txt", "md_yaml_front_matter.md"], tmp_path / "a")
    langs = {a.slug: a.lang for a in catalog(folder, tmp_path / "s.sqlite3").scan(NOW).articles}
    assert langs == {"txt-lang-fallback": "en", "every-key": "fr"}


def test_renamed_file_keeps_id_and_date_and_old_slug_redirects(tmp_path: Path) -> None:
    folder = copy(["txt_without_date.txt"], tmp_path / "a")
    state = tmp_path / "s.sqlite3"
    [before] = catalog(folder, state).scan(NOW).articles
    os.replace(folder / "txt_without_date.txt", folder / "quiet-week.txt")
    snapshot = catalog(folder, state).scan(NOW + timedelta(days=1))
    [after] = snapshot.articles
    assert (after.slug, after.id, after.published) == ("quiet-week", before.id, before.published)
    assert snapshot.redirects == {"txt-without-date": "quiet-week"}


WORKER = """
import json, sys
from datetime import UTC, datetime
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from scenario import catalog
start = float(sys.argv[4])
import time
time.sleep(max(0.0, start - time.time()))
now = datetime.now(UTC)
snapshot = catalog(Path(sys.argv[1]), sys.argv[2], now=now).scan(now)
print(json.dumps({a.slug: [a.id, a.published.isoformat(), a.updated.isoformat()]
                  for a in snapshot.articles}, sort_keys=True))
"""


def test_several_processes_starting_at_once_agree_on_ids_and_dates(tmp_path: Path) -> None:
    folder = copy(SCENARIO_SET, tmp_path / "a")
    for index in range(40):
        write(folder / f"bulk-{index:02d}.txt", f"Bulk Article {index}\n\nBody {index}.\n")
    state = tmp_path / "s.sqlite3"
    start = time.time() + 1.5
    tests = str(Path(__file__).resolve().parent)
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(folder), str(state), tests, str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = []
    for worker in workers:
        out, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err
        outputs.append(json.loads(out))
    assert len(outputs[0]) == 45
    assert all(output == outputs[0] for output in outputs[1:])
    # and a later restart agrees with them too
    later = datetime.now(UTC) + timedelta(days=1)
    snapshot = catalog(folder, state, now=later).scan(later)
    restarted = {
        slug: [i, p.isoformat(), u.isoformat()] for slug, (i, p, u) in facts(snapshot).items()
    }
    assert restarted == outputs[0]


def feed_entries(app) -> dict[str, tuple[str, str]]:
    parsed = feedparser.parse(app.test_client().get("/feed.atom").data)
    assert parsed.bozo == 0
    return {entry.title: (entry.id, entry.published) for entry in parsed.entries}


def test_feed_ids_and_dates_survive_a_base_url_change_and_restart(tmp_path: Path) -> None:
    folder = copy(SCENARIO_SET, tmp_path / "a")
    config = {"ARTICLES": str(folder), "STATE": str(tmp_path / "s.sqlite3")}
    first = feed_entries(create_app({**config, "BASE_URL": "http://old.example.org/"}))
    moved = feed_entries(create_app({**config, "BASE_URL": "https://new.example.net/news/"}))
    assert len(first) == 5
    assert moved == first
    assert {i for i, _ in first.values() if i.startswith("tag:")} >= {
        "tag:old.example.org,2024-03-01:md-naive-date-paris"
    }


def test_future_article_enters_the_served_feed_when_due_without_restart(tmp_path: Path) -> None:
    folder = tmp_path / "a"
    write(folder / "now.md", "---\ntitle: Now\ndate: 2026-05-01\n---\n\nBody.\n")
    write(folder / "soon.md", "---\ntitle: Soon\ndate: 2026-06-02 08:00 UTC\n---\n\nBody.\n")
    publisher = Publisher(
        {
            **config.DEFAULTS,
            "ARTICLES": str(folder),
            "STATE": str(tmp_path / "s.sqlite3"),
            "RESCAN_INTERVAL": 3600.0,
        },
        NOW,
    )

    def titles(now: datetime) -> list[str]:
        body = publisher.current(now).resolve("feed.atom").document.body
        return [entry.title for entry in feedparser.parse(body).entries]

    assert titles(NOW) == ["Now"]
    assert titles(datetime(2026, 6, 2, 7, 59, 59, tzinfo=UTC)) == ["Now"]
    assert titles(datetime(2026, 6, 2, 8, tzinfo=UTC)) == ["Soon", "Now"]


def test_problems_are_logged_once_per_change_not_per_scan(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = copy(["txt_unparseable_date.txt", "txt_cp1252.txt"], tmp_path / "a")
    write(folder / "x" / "dup.txt", "Date: 2024-01-01\n\nOne\n\nBody.\n")
    write(folder / "y" / "dup.txt", "Date: 2024-01-02\n\nTwo\n\nBody.\n")
    settings = {**config.DEFAULTS, "ARTICLES": str(folder), "STATE": str(tmp_path / "s.sqlite3")}
    ours = ("feedsvc.web.publisher",)
    with caplog.at_level("WARNING", logger="feedsvc"):
        publisher = Publisher(settings, NOW)
        for minute in range(1, 3):
            publisher.refresh(NOW + timedelta(minutes=minute))
    logged = [r.getMessage() for r in caplog.records if r.name in ours]
    assert len(logged) == len(set(logged)) == 4  # bad date, cp1252, both claimants of the slug
    caplog.clear()
    write(folder / "txt_cp1252.txt", "Now UTF-8\n\nBody.\n", 1_100_000_000.0)
    with caplog.at_level("WARNING", logger="feedsvc"):
        publisher.refresh(NOW + timedelta(minutes=5))
    assert [r for r in caplog.records if r.name in ours] == []


@pytest.mark.server
def test_gunicorn_workers_starting_at_once_serve_the_same_ids_and_dates(tmp_path: Path) -> None:
    folder = copy(SCENARIO_SET, tmp_path / "a")
    for index in range(20):
        write(folder / f"bulk-{index:02d}.txt", f"Bulk Article {index}\n\nBody {index}.\n")
    server = start_server(folder, workers=3)
    try:
        seen = set()
        for _ in range(12):  # new connections, spread over the workers
            status, _, body = server.get("feed.atom", headers={"Connection": "close"})
            assert status == 200
            parsed = feedparser.parse(body)
            assert parsed.bozo == 0
            seen.add(tuple(sorted((e.id, e.published, e.updated) for e in parsed.entries)))
    finally:
        stop_server(server)
    assert len(seen) == 1
    [entries] = seen
    assert len(entries) == 25
