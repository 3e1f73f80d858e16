"""Regeneration in one process: targeted scans and patched snapshots equal full rebuilds."""

from __future__ import annotations

import os
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import SAMPLES

from feedsvc.catalog.catalog import Catalog
from feedsvc.catalog.snapshot import Snapshot
from feedsvc.reading.normalise import Defaults
from feedsvc.store.db import StateStore

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
MARKET = "night-market-guide.md"


def catalog(articles: Path, settle: float = 0.0, tombstone_days: float = 0) -> Catalog:
    """Return a catalog of ARTICLES that sees every file as settled (unless SETTLE)."""
    store = StateStore(str(articles.parent / "state.sqlite3"), NOW)
    return Catalog(
        str(articles),
        Defaults("Anonymous", "en", ZoneInfo("UTC")),
        store,
        "example.org",
        1 << 20,
        settle=settle,
        tombstone_days=tombstone_days,
    )


def same(left: Snapshot, right: Snapshot) -> None:
    for name in (
        "articles",
        "by_slug",
        "redirects",
        "gone",
        "tags",
        "next_due",
        "version",
        "problems",
        "unpublished",
        "months",
        "old_paths",
        "authors",
        "tombstones",
        "waiting_tags",
        "shadowed",
        "held",
    ):
        assert getattr(left, name) == getattr(right, name), name


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "articles"
    shutil.copytree(SAMPLES, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "old", "new"),
    [
        ("body edit", "every Thursday", "every Friday"),
        ("title edit", "What to Eat First", "What to Eat Last"),
        ("tags edit", "tags: [food, city]", "tags: [food]"),
        ("date edit", "2026-11-05T19:00:00+01:00", "2026-11-06T19:00:00+01:00"),
        ("slug edit", "\ntitle:", "\nslug: night-market\ntitle:"),
        ("made a draft", "\ntitle:", "\ndraft: true\ntitle:"),
    ],
)
@pytest.mark.parametrize("targeted", [True, False], ids=["targeted", "full"])
def test_an_edit_gives_the_snapshot_a_full_rebuild_gives(
    folder: Path, name: str, old: str, new: str, targeted: bool
) -> None:
    live = catalog(folder)
    before = live.scan(NOW)
    edit(folder / MARKET, old, new)
    later = NOW.replace(hour=13)
    after = live.scan(later, [MARKET] if targeted else None)
    same(after, catalog(folder).scan(later))
    assert after.version != before.version


@pytest.mark.parametrize("targeted", [True, False], ids=["targeted", "full"])
def test_a_broken_edit_keeps_the_last_good_version(folder: Path, targeted: bool) -> None:
    live = catalog(folder)
    before = live.scan(NOW)
    edit(folder / MARKET, "---\ntitle:", "---\ntitle: [unclosed\nx:")
    after = live.scan(NOW, [MARKET] if targeted else None)
    assert after.articles == before.articles and after.version == before.version
    assert any(p.path == MARKET and p.severity == "error" for p in after.problems)


def test_a_touch_keeps_the_snapshot(folder: Path) -> None:
    live = catalog(folder)
    before = live.scan(NOW)
    os.utime(folder / MARKET)
    assert live.scan(NOW, [MARKET]).version == before.version
    assert live.scan(NOW).version == before.version


@pytest.mark.parametrize("change", ["add", "delete", "rename"])
def test_targeted_scans_see_added_deleted_and_renamed_files(folder: Path, change: str) -> None:
    live = catalog(folder)
    live.scan(NOW)
    if change == "add":
        (folder / "new.md").write_text("---\ntitle: New\n---\n\nNew.\n", encoding="utf-8")
        paths = ["new.md"]
    elif change == "delete":
        (folder / MARKET).unlink()
        paths = [MARKET]
    else:
        (folder / MARKET).rename(folder / "market.md")
        paths = [MARKET, "market.md"]
    same(live.scan(NOW, paths), catalog(folder).scan(NOW))


def test_a_file_written_just_now_waits_until_it_settles(folder: Path) -> None:
    live = catalog(folder, settle=0.25)
    live.scan(NOW)
    edit(folder / MARKET, "What to Eat First", "What to Eat Last")
    now = datetime.fromtimestamp(time.time(), UTC)
    titles = {a.title for a in live.scan(now, [MARKET]).articles}
    assert any("First" in t for t in titles) and live.unsettled == {MARKET}
    titles = {a.title for a in live.scan(now + timedelta(seconds=1), [MARKET]).articles}
    assert any("Last" in t for t in titles) and not live.unsettled


@pytest.mark.parametrize("path", ["../outside.md", ".hidden.md", "notes.txt~", "sub/.x.md"])
def test_targeted_scans_ignore_what_a_full_scan_ignores(folder: Path, path: str) -> None:
    live = catalog(folder)
    before = live.scan(NOW)
    assert live.scan(NOW, [path]).version == before.version


ADDED = {
    "dated, known tags": "date: 2026-11-10T08:00:00Z\ntags: [food, city]\n",
    "undated": "",
    "the newest, a new tag and author": (
        "date: 2026-11-19T08:00:00Z\ntags: [ferries]\nauthors: Ada Quay <ada@example.org>\n"
    ),
    "the oldest": "date: 2001-01-01T08:00:00Z\ntags: [city]\n",
    "a tag spelled otherwise": "date: 2026-11-19T08:00:00Z\ntags: [Food]\n",
    "a tag clash": "date: 2026-11-19T08:00:00Z\ntags: [food!]\n",
    "an alias": "date: 2026-11-10T08:00:00Z\naliases: [old-news]\n",
    "a draft": "draft: true\n",
    "scheduled": "date: 2027-01-01T08:00:00Z\n",
    "a taken slug": "slug: night-market-guide\n",
    "a taken id": "id: TAKEN\n",
}


@pytest.mark.parametrize("header", ADDED.values(), ids=ADDED.keys())
def test_an_added_file_gives_the_snapshot_a_full_rebuild_gives(folder: Path, header: str) -> None:
    live = catalog(folder)
    before = live.scan(NOW)
    header = header.replace("TAKEN", before.by_slug["night-market-guide"].id or "")
    (folder / "added.md").write_text(f"---\ntitle: Added\n{header}---\n\nAdded.\n", "utf-8")
    after = live.scan(NOW, ["added.md"])
    same(after, catalog(folder).scan(NOW))
    if not any(word in header for word in ("draft", "2027", "slug:", "id:")):  # one more live
        assert after.version != before.version and len(after.articles) == 5


@pytest.mark.parametrize("tag", ["harbour!", "Harbour", "ferries"])
def test_an_added_file_agrees_with_the_tags_of_scheduled_articles(folder: Path, tag: str) -> None:
    """A scheduled article's tag, spelled otherwise by a new one, is a clash a rebuild reports."""
    (folder / "later.md").write_text(
        "---\ntitle: Later\ndate: 2027-01-01T08:00:00Z\ntags: [harbour]\n---\n\nLater.\n", "utf-8"
    )
    live = catalog(folder)
    assert live.scan(NOW).waiting_tags == {"harbour": frozenset({"harbour"})}
    (folder / "added.md").write_text(
        f"---\ntitle: Added\ndate: 2026-11-19T08:00:00Z\ntags: [{tag}]\n---\n\nA.\n", "utf-8"
    )
    after = live.scan(NOW, ["added.md"])
    same(after, catalog(folder).scan(NOW))
    clash = any("harbour" in p.message for p in after.problems)
    assert clash == (tag == "harbour!"), after.problems


@pytest.mark.parametrize("added", ["id: urn:x-pinned\n", "date: 2026-11-19T08:00:00Z\n"])
def test_an_added_file_showing_an_id_another_pins_gives_what_a_rebuild_gives(
    folder: Path, added: str
) -> None:
    """The id check of an added article is a look-up in the store (no set of every id):
    a new file pinning another article's pinned id, or minting an id another pins."""
    minted = "tag:example.org,2026-11-19:added"  # what added.md mints, dated so
    pinned = "urn:x-pinned" if "id:" in added else minted
    edit(folder / MARKET, "\ntitle:", f"\nid: {pinned}\ntitle:")
    live = catalog(folder)
    before = live.scan(NOW)
    assert before.by_slug["night-market-guide"].id == pinned
    (folder / "added.md").write_text(f"---\ntitle: Added\n{added}---\n\nAdded.\n", "utf-8")
    after = live.scan(NOW, ["added.md"])
    same(after, catalog(folder).scan(NOW))
    assert any(pinned in p.message for p in after.problems), after.problems


def test_two_added_files_at_once_give_what_a_rebuild_gives(folder: Path) -> None:
    live = catalog(folder)
    live.scan(NOW)
    for name, date in (("one.md", "2026-11-19"), ("two.md", "2026-11-02")):
        (folder / name).write_text(
            f"---\ntitle: {name}\ndate: {date}\ntags: [city, {name[:3]}]\n---\n\nText.\n", "utf-8"
        )
    same(live.scan(NOW, ["one.md", "two.md"]), catalog(folder).scan(NOW))


def test_a_deleted_article_back_under_another_name_is_a_rename(folder: Path) -> None:
    live = catalog(folder)
    live.scan(NOW)
    text = (folder / MARKET).read_text(encoding="utf-8")
    (folder / MARKET).unlink()
    live.scan(NOW, [MARKET])
    (folder / "market.md").write_text(text, encoding="utf-8")
    after = live.scan(NOW.replace(hour=13), ["market.md"])
    same(after, catalog(folder).scan(NOW.replace(hour=13)))
    assert after.redirects.get("night-market-guide") == "market"


def rebuilds(live: Catalog, monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """Return the list that each of LIVE's later rebuilds (``_build``) puts its time in."""
    calls: list[datetime] = []

    def build(now: datetime) -> Snapshot:
        calls.append(now)
        return Catalog._build(live, now)

    monkeypatch.setattr(live, "_build", build)
    return calls


@pytest.mark.parametrize("days", [0, 7], ids=["no tombstones", "tombstones"])
@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.iterdir()))
@pytest.mark.parametrize("targeted", [True, False], ids=["targeted", "full"])
def test_a_deletion_takes_the_article_out_as_a_rebuild_would(
    folder: Path, name: str, days: float, targeted: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each sample deleted in turn (its tags, authors and month lose their first, last or
    only article): the snapshot loses it without a rebuild, and equals a rebuild's, its
    slug gone (410) and its tombstone in the feeds for TOMBSTONE_DAYS."""
    live = catalog(folder, tombstone_days=days)
    before = live.scan(NOW)
    slug = next(a.slug for a in before.articles if a.path == name)
    (folder / name).unlink()
    calls, later = rebuilds(live, monkeypatch), NOW.replace(hour=13)
    after = live.scan(later, [name] if targeted else None)
    assert calls == []  # taken out, not rebuilt
    same(after, catalog(folder, tombstone_days=days).scan(later))
    assert slug in after.gone and slug not in after.by_slug and after.version != before.version
    assert [t.id for t in after.tombstones] == ([before.by_slug[slug].id] if days else [])
    same(live.scan(later.replace(hour=14)), after)  # and the next scan keeps it


def test_two_deletions_at_once_after_an_earlier_one_give_what_a_rebuild_gives(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = catalog(folder, tombstone_days=7)
    live.scan(NOW)
    (folder / MARKET).unlink()
    live.scan(NOW.replace(hour=13), [MARKET])
    names = ["harbour-bridge-reopens.txt", "library-night-hours.txt"]
    for name in names:
        (folder / name).unlink()
    calls, later = rebuilds(live, monkeypatch), NOW.replace(hour=14)
    after = live.scan(later, names)
    assert calls == []
    same(after, catalog(folder, tombstone_days=7).scan(later))
    assert len(after.articles) == 1 and len(after.tombstones) == 3


@pytest.mark.parametrize(
    "other",
    [
        "aliases: [night-market-guide]\n",  # its alias, hidden by the live slug until it goes
        "",  # then renamed: the deleted article's slug had redirects to follow it
    ],
    ids=["an alias hidden by it", "redirects to it"],
)
def test_a_deletion_that_moves_redirects_is_rebuilt(
    folder: Path, other: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    (folder / "other.md").write_text(f"---\ntitle: Other\n{other}---\n\nOther.\n", "utf-8")
    live = catalog(folder)
    live.scan(NOW)
    target = MARKET
    if not other:  # the market article renamed, so its old slug redirects to it
        (folder / MARKET).rename(folder / "market.md")
        live.scan(NOW, [MARKET, "market.md"])
        target = "market.md"
    (folder / target).unlink()
    calls, later = rebuilds(live, monkeypatch), NOW.replace(hour=13)
    after = live.scan(later, [target])
    assert calls == [later]
    same(after, catalog(folder).scan(later))
    if other:
        assert after.redirects["night-market-guide"] == "other"


def test_a_deletion_hands_an_author_page_to_the_next_article_s_spelling(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An author's page shows the newest article's spelling of them (here with an email);
    once that article goes, the next one's (without), as a rebuild shows it."""
    (folder / "older.md").write_text(
        "---\ntitle: Older\ndate: 2026-11-01T08:00:00Z\nauthors: Jun Okafor\n---\n\nOld.\n",
        "utf-8",
    )
    live = catalog(folder)
    assert live.scan(NOW).authors["jun-okafor"][0].email == "jun@example.org"
    (folder / MARKET).unlink()
    calls, later = rebuilds(live, monkeypatch), NOW.replace(hour=13)
    after = live.scan(later, [MARKET])
    assert calls == []
    same(after, catalog(folder).scan(later))
    assert after.authors["jun-okafor"][0].email == ""


@pytest.mark.parametrize("written", ["as it was", "edited a little", "another article"])
def test_a_rename_moves_the_article_in_place_as_a_rebuild_would(
    folder: Path, written: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file moved to a new name as it was keeps its record (the same content): its old
    slug redirects, no tombstone. Moved and edited at once, or another article, it is a
    deletion and an addition (neither the path nor the content is the record's): a
    tombstone and a new id. None of them rebuilds."""
    live = catalog(folder, tombstone_days=7)
    before = live.scan(NOW)
    text = (folder / MARKET).read_text(encoding="utf-8")
    (folder / MARKET).unlink()
    if written == "edited a little":
        text = text.replace("every Thursday", "every Friday")
    elif written == "another article":
        text = "---\ntitle: Another\ndate: 2026-11-19T08:00:00Z\n---\n\nAnother.\n"
    (folder / "market.md").write_text(text, encoding="utf-8")
    calls, later = rebuilds(live, monkeypatch), NOW.replace(hour=13)
    after = live.scan(later, [MARKET, "market.md"])
    assert calls == []
    same(after, catalog(folder, tombstone_days=7).scan(later))
    old_id = before.by_slug["night-market-guide"].id
    if written != "as it was":
        assert "night-market-guide" in after.gone and after.by_slug["market"].id != old_id
        assert [t.id for t in after.tombstones] == [old_id]
    else:
        assert after.redirects == {"night-market-guide": "market"} and not after.tombstones
        assert after.by_slug["market"].id == old_id


def test_a_worker_that_sees_only_the_deletion_of_a_rename_another_paired_catches_up(
    folder: Path,
) -> None:
    """One worker sees a rename in one scan (the store pairs the two); the other's watcher
    gives it the deletion first and the new file next: it ends where the first is."""
    one, two = catalog(folder, tombstone_days=7), catalog(folder, tombstone_days=7)
    one.scan(NOW)
    two.scan(NOW)
    (folder / MARKET).rename(folder / "market.md")
    later = NOW.replace(hour=13)
    first = one.scan(later, [MARKET, "market.md"])
    two.scan(later, [MARKET])  # no record of that slug any more: a rebuild, not an error
    same(two.scan(later, ["market.md"]), first)
    assert first.redirects == {"night-market-guide": "market"}


@pytest.mark.parametrize("pins", ["the id of a deleted article", "another id"])
def test_a_deletion_where_ids_are_shared_gives_the_tombstones_a_rebuild_gives(
    folder: Path, pins: str
) -> None:
    """A tombstone is left out while a live article shows its id (``assemble``): an article
    that shows a deleted one's id (pinned) hides its tombstone until it goes too; one whose
    record's id another article pins leaves no tombstone of its own when it goes."""
    live = catalog(folder, tombstone_days=7)
    market_id = live.scan(NOW).by_slug["night-market-guide"].id
    if pins == "the id of a deleted article":
        (folder / MARKET).unlink()
        live.scan(NOW.replace(hour=13), [MARKET])
        x = f"---\ntitle: X\nid: {market_id}\n---\n\nSomething else.\n"
        gone = "x.md"
    else:
        edit(folder / MARKET, "\ntitle:", "\nid: urn:x:market\ntitle:")
        x = f"---\ntitle: Y\ndate: 2026-01-01T00:00:00Z\nid: {market_id}\n---\n\nY.\n"
        gone = MARKET
    (folder / "x.md").write_text(x, "utf-8")
    between = live.scan(NOW.replace(hour=14))
    same(between, catalog(folder, tombstone_days=7).scan(NOW.replace(hour=14)))
    (folder / gone).unlink()
    later = NOW.replace(hour=15)
    same(live.scan(later, [gone]), catalog(folder, tombstone_days=7).scan(later))


def test_a_full_scan_that_finds_a_folder_deleted_takes_its_articles_out(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (folder / "sub").mkdir()
    for n in range(3):
        (folder / "sub" / f"a{n}.md").write_text(
            f"---\ntitle: A{n}\ndate: 2026-11-0{n + 1}T00:00:00Z\ntags: [food, x{n}]\n"
            f"authors: Jun Okafor\n---\n\nA{n}.\n",
            "utf-8",
        )
    live = catalog(folder, tombstone_days=7)
    live.scan(NOW)
    shutil.rmtree(folder / "sub")
    calls, later = rebuilds(live, monkeypatch), NOW.replace(hour=13)
    after = live.scan(later)
    assert calls == [] and len(after.tombstones) == 3
    same(after, catalog(folder, tombstone_days=7).scan(later))
