"""Dates at first sight and first come keeps: file-name dates, git dates, unique instants,
newcomers that claim an established slug or id, and a deleted article's path reused.

Each test names the rule it holds (docs/writing-articles.md, "First seen" and "Duplicates").
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from scenario import NOW, catalog, settle

from feedsvc.catalog import history
from feedsvc.cli import main
from feedsvc.store.db import StateStore
from feedsvc.store.records import Seen

LATER = NOW + timedelta(days=30)
PARIS = ZoneInfo("Europe/Paris")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    settle(path)
    return path


def undated(title: str, body: str = "") -> str:
    return f"---\ntitle: {title}\n---\n\n{body or 'A body about ' + title.lower() + '.'}\n"


def dated(title: str, date: str, extra: str = "") -> str:
    return f"---\ntitle: {title}\ndate: {date}\n{extra}---\n\nA body about {title.lower()}.\n"


def by_slug(snapshot):
    return {a.slug: a for a in snapshot.articles}


def errors(snapshot) -> dict[str, str]:
    return {p.path: p.message for p in snapshot.problems if p.severity == "error"}


# Rule: invented instants are unique, one second apart by path within one sync.


def test_rule_unique_instants_fifty_undated_files_get_fifty_distinct_dates(tmp_path: Path):
    folder = tmp_path / "a"
    for n in range(50):
        write(folder / f"note-{n:02d}.md", undated(f"Note {n}"))
    snapshot = catalog(folder, tmp_path / "s.sqlite3").scan(NOW)
    published = {a.path: a.published for a in snapshot.articles}
    assert len(published) == 50
    assert len(set(published.values())) == 50
    in_path_order = [published[path] for path in sorted(published)]
    start = NOW.replace(microsecond=0)
    assert in_path_order == [start - timedelta(seconds=n) for n in range(50)]


def test_rule_unique_instants_hold_across_scans_in_the_same_second(tmp_path: Path):
    folder = tmp_path / "a"
    write(folder / "one.md", undated("One"))
    cat = catalog(folder, tmp_path / "s.sqlite3")
    cat.scan(NOW)
    write(folder / "two.md", undated("Two"))
    snapshot = cat.scan(NOW + timedelta(milliseconds=300))
    dates = [a.published for a in snapshot.articles]
    assert len(set(dates)) == 2


# Rule: a date in a Jekyll-style file name is the date, and the slug is the rest.


def test_rule_file_name_date_gives_published_and_slug(tmp_path: Path):
    folder = tmp_path / "a"
    write(folder / "2024-03-05-harbour-news.md", undated("Harbour News"))
    write(folder / "2024-03-05-second-story.txt", "Second Story\n\nAnother body.\n")
    write(folder / "2024-13-40-not-a-date.md", undated("Not a Date"))
    snapshot = catalog(folder, tmp_path / "s.sqlite3", zone="Europe/Paris").scan(NOW)
    articles = by_slug(snapshot)
    assert set(articles) == {"harbour-news", "second-story", "2024-13-40-not-a-date"}
    midnight = datetime(2024, 3, 5, tzinfo=PARIS)
    news, second = articles["harbour-news"], articles["second-story"]
    assert news.published == midnight  # the first by path gets midnight exactly
    assert second.published == midnight + timedelta(seconds=1)  # unique, the same day
    assert news.published.astimezone(PARIS).date() == second.published.astimezone(PARIS).date()
    assert articles["2024-13-40-not-a-date"].published == NOW.replace(microsecond=0)
    assert not news.date_pinned


def test_rule_future_file_name_date_schedules_the_article(tmp_path: Path):
    folder = tmp_path / "a"
    write(folder / "2099-01-01-far-ahead.md", undated("Far Ahead"))
    snapshot = catalog(folder, tmp_path / "s.sqlite3").scan(NOW)
    assert snapshot.articles == ()
    [scheduled] = snapshot.unpublished
    assert scheduled.published == datetime(2099, 1, 1, tzinfo=UTC)


def test_rule_written_date_beats_the_file_name_date(tmp_path: Path):
    folder = tmp_path / "a"
    write(folder / "2024-03-05-news.md", dated("News", "2024-04-01 10:00 UTC"))
    [article] = catalog(folder, tmp_path / "s.sqlite3").scan(NOW).articles
    assert article.published == datetime(2024, 4, 1, 10, tzinfo=UTC)
    assert article.slug == "news"


def test_rule_published_article_keeps_the_slug_and_date_its_file_name_gave_before(
    tmp_path: Path,
):
    folder = tmp_path / "a"
    write(folder / "2024-03-05-harbour-news.md", undated("Harbour News"))
    state = tmp_path / "s.sqlite3"
    old = StateStore(str(state), NOW)  # as feedsvc recorded it before file-name dates
    legacy = "2024-03-05-harbour-news"
    old.sync([Seen(legacy, f"{legacy}.md", "h", None)], [], "x.org", NOW)
    old.close()
    [article] = catalog(folder, state).scan(LATER).articles
    assert article.slug == "2024-03-05-harbour-news"
    assert article.published == NOW.replace(microsecond=0)
    assert article.id == "tag:x.org,2026-06-01:2024-03-05-harbour-news"


def run_check(folder: Path, state: Path) -> tuple[int, list[str]]:
    env = {"FEEDSVC_STATE": str(state), "FEEDSVC_BASE_URL": "http://feeds.example.org/"}
    result = CliRunner().invoke(main, ["check", "--articles", str(folder)], env=env)
    return result.exit_code, result.output.splitlines()


def test_rule_file_name_date_needs_no_pin_in_check(tmp_path: Path):
    folder, state = tmp_path / "a", tmp_path / "s.sqlite3"
    write(folder / "2024-03-05-harbour-news.md", undated("Harbour News"))
    code, lines = run_check(folder, state)
    assert code == 0
    assert not [line for line in lines if "date 2024" in line]
    assert [line for line in lines if "id tag:" in line]  # the minted id still wants a pin


# Rule: in a git work tree, the date of the commit that added the file, following renames.


def git(repo: Path, *args: str, when: str | None = None) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.org"}
    env.update(GIT_COMMITTER_NAME="T", GIT_COMMITTER_EMAIL="t@example.org")
    if when:
        env.update(GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when)
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("git is missing: .ci/run installs it")
        pytest.skip("git is not installed")
    root = tmp_path / "site"
    root.mkdir()
    git(root, "init", "-q")
    return root


def test_rule_git_date_of_the_commit_that_added_the_file_following_a_rename(repo: Path):
    folder = repo / "articles"
    write(folder / "draft-name.md", undated("Harbour Walk", "A long walk " * 40))
    write(folder / "other.md", undated("Other"))
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "add", when="2021-02-03T04:05:06+01:00")
    git(repo, "mv", "articles/draft-name.md", "articles/harbour-walk.md")
    git(repo, "rm", "-q", "articles/other.md")
    git(repo, "commit", "-qm", "rename", when="2022-01-01T00:00:00Z")
    write(folder / "other.md", undated("Other, again"))
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "again", when="2023-01-01T00:00:00Z")
    write(folder / "2020-01-01-named.md", undated("Named"))
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "named", when="2024-01-01T00:00:00Z")
    write(folder / "uncommitted.md", undated("Uncommitted"))
    articles = by_slug(catalog(folder, repo.parent / "s.sqlite3").scan(NOW))
    assert articles["harbour-walk"].published == datetime(2021, 2, 3, 3, 5, 6, tzinfo=UTC)
    assert articles["other"].published == datetime(2023, 1, 1, tzinfo=UTC)  # added again
    assert articles["named"].published == datetime(2020, 1, 1, tzinfo=UTC)  # the name first
    assert articles["uncommitted"].published == NOW.replace(microsecond=0)


def test_rule_git_dates_cost_one_git_process_per_scan_with_new_files(
    repo: Path, monkeypatch: pytest.MonkeyPatch
):
    folder = repo / "articles"
    for n in range(30):
        write(folder / f"post-{n}.md", undated(f"Post {n}"))
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "add", when="2021-02-03T04:05:06Z")
    calls = []
    real = history.subprocess.run

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(history.subprocess, "run", counting)
    cat = catalog(folder, repo.parent / "s.sqlite3")
    snapshot = cat.scan(NOW)
    assert len(calls) == 1
    dates = sorted(a.published for a in snapshot.articles)
    first = datetime(2021, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert dates == [first + timedelta(seconds=n) for n in range(30)]  # one commit, unique
    write(folder / "post-0.md", undated("Post 0, edited"))
    cat.scan(NOW + timedelta(seconds=5))
    assert len(calls) == 1  # an edit of a recorded article asks git nothing


# Rule: first come keeps. An article already published keeps its slug, id and URL.


def test_rule_first_come_keeps_the_slug_against_an_earlier_dated_newcomer(tmp_path: Path):
    folder, state = tmp_path / "a", tmp_path / "s.sqlite3"
    write(folder / "post.md", undated("The Established Post"))
    cat = catalog(folder, state)
    [before] = cat.scan(NOW).articles
    write(folder / "zzz" / "post.md", dated("An Impostor", "2001-01-01T00:00:00Z"))
    snapshot = cat.scan(LATER)
    [after] = snapshot.articles
    assert (after.path, after.id, after.published) == ("post.md", before.id, before.published)
    message = errors(snapshot)["zzz/post.md"]
    assert "also in post.md" in message and "published first" in message
    # A fresh process on the same store decides the same.
    [again] = catalog(folder, state, now=LATER).scan(LATER).articles
    assert again.path == "post.md"


def test_rule_first_come_keeps_the_id_against_an_earlier_dated_newcomer(tmp_path: Path):
    folder, state = tmp_path / "a", tmp_path / "s.sqlite3"
    write(folder / "kept.md", undated("Kept"))
    cat = catalog(folder, state)
    [before] = cat.scan(NOW).articles
    write(folder / "claim.md", dated("Claim", "2001-01-01T00:00:00Z", f"id: {before.id}\n"))
    snapshot = cat.scan(LATER)
    [after] = snapshot.articles
    assert (after.slug, after.id) == ("kept", before.id)
    assert "also in kept.md" in errors(snapshot)["claim.md"]
    [again] = catalog(folder, state, now=LATER).scan(LATER).articles
    assert again.slug == "kept"


def test_rule_first_come_check_reports_the_newcomer_naming_both_files(tmp_path: Path):
    folder, state = tmp_path / "a", tmp_path / "s.sqlite3"
    write(folder / "post.md", undated("The Established Post"))
    cat = catalog(folder, state)
    cat.scan(NOW)
    cat.store.close()
    write(folder / "zzz" / "post.md", dated("An Impostor", "2001-01-01T00:00:00Z"))
    code, lines = run_check(folder, state)
    assert code == 1
    [error] = [line for line in lines if ": error: " in line]
    assert error.startswith("zzz/post.md: error: duplicate slug 'post', also in post.md ")
    assert "published first" in error


def test_rule_two_newcomers_at_once_the_earlier_date_wins(tmp_path: Path):
    folder = tmp_path / "a"
    write(folder / "a.md", dated("Later", "2024-02-01", "id: tag:x.org,2024:same\n"))
    write(folder / "b.md", dated("Earlier", "2024-01-01", "id: tag:x.org,2024:same\n"))
    [article] = catalog(folder, tmp_path / "s.sqlite3").scan(NOW).articles
    assert article.title == "Earlier"


# Rule: a deleted article's record is reused only by the same article.


BODY = " ".join(f"word{n}" for n in range(120))


def test_rule_path_reused_by_an_unrelated_article_gets_a_new_id_and_date(tmp_path: Path):
    folder = tmp_path / "a"
    cat = catalog(folder, tmp_path / "s.sqlite3")
    write(folder / "post.md", undated("January News", BODY))
    [january] = cat.scan(NOW).articles
    (folder / "post.md").unlink()
    assert cat.scan(NOW + timedelta(days=1)).articles == ()
    write(folder / "post.md", undated("November Recipe", "Flour, water and salt."))
    snapshot = cat.scan(LATER)
    [november] = snapshot.articles
    assert snapshot.gone == frozenset()  # the record set aside has no URL to answer 410
    assert november.slug == "post"
    assert november.id != january.id
    assert november.published == LATER.replace(microsecond=0)


def test_rule_the_same_article_restored_gets_its_old_id_and_date(tmp_path: Path):
    folder = tmp_path / "a"
    cat = catalog(folder, tmp_path / "s.sqlite3")
    write(folder / "post.md", undated("January News", BODY))
    [january] = cat.scan(NOW).articles
    (folder / "post.md").unlink()
    cat.scan(NOW + timedelta(days=1))
    write(folder / "post.md", undated("January News", BODY + " and a correction"))
    [restored] = cat.scan(LATER).articles
    assert (restored.id, restored.published) == (january.id, january.published)


def test_rule_the_same_pinned_id_restored_under_another_name_keeps_its_record(tmp_path: Path):
    folder = tmp_path / "a"
    cat = catalog(folder, tmp_path / "s.sqlite3")
    pinned = "---\ntitle: {}\nid: tag:x.org,2020:mine\n---\n\n{}\n"
    write(folder / "post.md", pinned.format("Old Title", BODY))
    [first] = cat.scan(NOW).articles
    (folder / "post.md").unlink()
    cat.scan(NOW + timedelta(days=1))
    write(folder / "renamed.md", pinned.format("New Title", "All rewritten."))
    [back] = cat.scan(LATER).articles
    assert back.published == first.published
    assert cat.store.old_slugs() == {"post": "renamed"}


def test_rule_unrelated_file_taking_a_deleted_slug_in_the_same_scan_is_new(tmp_path: Path):
    folder = tmp_path / "a"
    cat = catalog(folder, tmp_path / "s.sqlite3")
    write(folder / "x" / "post.md", undated("January News", BODY))
    [january] = cat.scan(NOW).articles
    (folder / "x" / "post.md").unlink()
    write(folder / "y" / "post.md", undated("Something Else", "Unrelated."))
    [other] = cat.scan(LATER).articles
    assert other.id != january.id and other.published == LATER.replace(microsecond=0)


def test_rule_a_moved_file_keeps_its_record(tmp_path: Path):
    folder = tmp_path / "a"
    cat = catalog(folder, tmp_path / "s.sqlite3")
    write(folder / "x" / "post.md", undated("January News", BODY))
    [january] = cat.scan(NOW).articles
    os.rename(folder / "x", folder / "y")
    [moved] = cat.scan(LATER).articles
    assert (moved.path, moved.id, moved.published) == ("y/post.md", january.id, january.published)


def test_rule_unrelated_article_at_a_deleted_path_the_same_day_gets_a_distinct_id(tmp_path: Path):
    folder = tmp_path / "a"
    cat = catalog(folder, tmp_path / "s.sqlite3")
    write(folder / "post.md", undated("January News", BODY))
    [first] = cat.scan(NOW).articles
    (folder / "post.md").unlink()
    cat.scan(NOW + timedelta(minutes=1))
    write(folder / "post.md", undated("Something Else", "Unrelated."))
    [other] = cat.scan(NOW + timedelta(minutes=2)).articles
    assert first.id == "tag:feeds.example.org,2026-06-01:post"
    assert other.id == "tag:feeds.example.org,2026-06-01:post-2"


def test_rule_an_article_set_aside_comes_back_under_another_name_with_its_old_id(
    tmp_path: Path,
):
    folder = tmp_path / "a"
    cat = catalog(folder, tmp_path / "s.sqlite3")
    write(folder / "post.md", undated("January News", BODY))
    [january] = cat.scan(NOW).articles
    (folder / "post.md").unlink()
    cat.scan(NOW + timedelta(days=1))
    write(folder / "post.md", undated("Something Else", "Unrelated."))
    cat.scan(NOW + timedelta(days=2))
    write(folder / "old-news.md", undated("January News", BODY))
    back = by_slug(cat.scan(LATER))["old-news"]
    assert (back.id, back.published) == (january.id, january.published)
    assert cat.store.old_slugs() == {}  # the slug set aside never was a URL


def test_rule_a_file_renamed_in_place_with_new_title_slug_and_body_keeps_its_record(
    tmp_path: Path,
):
    folder = tmp_path / "a"
    cat = catalog(folder, tmp_path / "s.sqlite3")
    write(folder / "post.md", "---\ntitle: Draft Title\nslug: draft-title\n---\n\nFirst go.\n")
    [before] = cat.scan(NOW).articles
    write(folder / "post.md", "---\ntitle: Final Title\nslug: final-title\n---\n\nRewritten.\n")
    [after] = cat.scan(LATER).articles
    assert after.slug == "final-title"
    assert (after.id, after.published) == (before.id, before.published)
    assert cat.store.old_slugs() == {"draft-title": "final-title"}


def test_rule_a_deleted_article_restored_after_export_and_import_gets_its_old_id(
    tmp_path: Path,
):
    """The likeness of a deleted article travels in `feedsvc state export`."""
    from feedsvc.store import portable

    folder = tmp_path / "a"
    cat = catalog(folder, tmp_path / "s.sqlite3")
    write(folder / "post.md", undated("January News", BODY))
    [january] = cat.scan(NOW).articles
    (folder / "post.md").unlink()
    cat.scan(NOW + timedelta(days=1))
    exported = list(portable.parse(portable.lines(portable.dump(cat.store.db)), "export"))
    assert [i["likeness"]["title"] for i in exported if "likeness" in i] == ["January News"]
    fresh = StateStore(str(tmp_path / "fresh.sqlite3"), NOW)
    fresh.load(exported)
    fresh.close()
    moved = catalog(folder, tmp_path / "fresh.sqlite3")
    write(folder / "post.md", undated("January News", BODY + " and a correction"))
    [restored] = moved.scan(LATER).articles
    assert (restored.id, restored.published) == (january.id, january.published)
