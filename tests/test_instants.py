"""Invented first-seen instants stay unique, found by look-ups rather than a read of all.

Rule (docs/writing-articles.md, "First seen"): an undated article's first-seen
instant already taken moves a second earlier (the time of first sight) or later
(file-name and git dates) until it is free.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from feedsvc.store import identity, portable
from feedsvc.store.db import StateStore
from feedsvc.store.minting import PROBES, Instants
from feedsvc.store.records import Seen

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def taken(tmp_path: Path, count: int) -> StateStore:
    """Return a store whose COUNT dated records were first seen at T0, T0 - 1 s, ..."""
    store = StateStore(str(tmp_path / "state.sqlite3"), T0)
    for n in range(count):
        store.sync([Seen(f"a{n}", f"a{n}.md", f"h{n}", T0)], [], "example.org", T0 - n * SECOND)
    return store


def test_a_taken_instant_is_found_by_a_look_up(tmp_path: Path) -> None:
    store = taken(tmp_path, 3)
    statements: list[str] = []
    store.db.set_trace_callback(statements.append)
    assert Instants(store.db).claim(T0, later=False) == T0 - 3 * SECOND
    assert not any("SELECT first_seen FROM article" in s for s in statements)  # none read all
    store.close()


def test_past_the_look_ups_every_instant_is_read_and_claims_stay_unique(tmp_path: Path) -> None:
    store = taken(tmp_path, PROBES + 10)
    instants = Instants(store.db)
    first = instants.claim(T0, later=False)
    assert first == T0 - (PROBES + 10) * SECOND
    more = [instants.claim(T0, later=False) for _ in range(5)]
    assert more == [first - n * SECOND for n in range(1, 6)]
    assert instants.claim(T0 - 3 * SECOND, later=True) == T0 + SECOND
    store.close()


def test_undated_articles_seen_at_once_get_unique_instants(tmp_path: Path) -> None:
    store = taken(tmp_path, 5)
    seen = [Seen(f"u{n}", f"u{n}.txt", f"hu{n}", None) for n in range(PROBES * 2)]
    store.sync(seen, [], "example.org", T0)
    records = store.records()
    instants = [records[f"u{n}"].first_seen for n in range(PROBES * 2)]
    assert len(set(instants)) == len(instants)
    assert not {T0 - n * SECOND for n in range(5)} & set(instants)  # the dated ones' seconds
    store.close()


def test_an_import_stores_instants_in_utc_and_refuses_what_is_no_instant() -> None:
    line = (
        '{"kind": "article", "slug": "a", "path": "a.md", "hash": "h", "id": "x", '
        '"first_seen": "2026-01-02T04:04:05+01:00", "changed": null, "gone": "%s"}'
    )
    [item] = portable.parse([line % "2026-01-03T00:00:00Z"], "export.jsonl")
    assert item["first_seen"] == "2026-01-02T03:04:05+00:00"
    assert item["gone"] == "2026-01-03T00:00:00+00:00"
    with pytest.raises(ValueError, match=r"export.jsonl:1: gone 'yesterday' is not a date"):
        portable.parse([line % "yesterday"], "export.jsonl")
    with pytest.raises(ValueError, match="no UTC offset"):
        identity.canonical("2026-01-02T03:04:05")


def test_an_earlier_layout_s_instants_are_brought_to_utc(tmp_path: Path) -> None:
    """A store of layout 1 kept an import's instants as written; layout 2 rewrites them."""
    store = taken(tmp_path, 1)
    [exported] = [i for i in portable.dump(store.db) if i["kind"] == "article"]
    store.db.execute(
        "UPDATE article SET first_seen = '2026-01-02T04:04:05+01:00', "
        "changed = '2026-01-03T04:00:00+01:00', gone = '2026-01-04T04:00:00+01:00'"
    )
    store.db.execute("UPDATE meta SET value = '1' WHERE name = 'layout'")
    store.close()
    again = StateStore(str(tmp_path / "state.sqlite3"), T0)
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        assert db.execute("SELECT first_seen, changed, gone FROM article").fetchone() == (
            T0.isoformat(),
            "2026-01-03T03:00:00+00:00",
            "2026-01-04T03:00:00+00:00",
        )
    db.close()
    assert Instants(again.db).claim(T0, later=False) == T0 - SECOND
    # The same record exported with its old offsets imports again as nothing new.
    line = json.dumps(
        {
            **exported,
            "first_seen": "2026-01-02T04:04:05+01:00",
            "changed": "2026-01-03T04:00:00+01:00",
            "gone": "2026-01-04T04:00:00+01:00",
        }
    )
    assert again.load(portable.parse([line], "old.jsonl")) == 0
    again.close()
