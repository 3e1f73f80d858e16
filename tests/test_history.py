"""When git added each file: one `git log` pass parsed, renames followed, no git tolerated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from feedsvc.catalog import history


def log(*commits: tuple[str, list[str]]) -> str:
    """Return `git log` output (see history.COMMAND) for COMMITS, oldest first."""
    return "".join(
        f"\x01{when}\0\n" + "".join(f"{c}\0" for c in changes) for when, changes in commits
    )


def test_adds_renames_and_deletes_are_followed_oldest_first() -> None:
    output = log(
        ("2020-01-02T03:04:05+01:00", ["A", "a.md", "A", "sub/b.md", "A", "c.md"]),
        ("2021-01-01T00:00:00Z", ["R087", "a.md", "moved/a2.md", "D", "c.md"]),
        ("2022-06-01T12:00:00+00:00", ["A", "c.md"]),
    )
    assert history.parse(output) == {
        "moved/a2.md": datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=1))),
        "sub/b.md": datetime(2020, 1, 2, 2, 4, 5, tzinfo=UTC),
        "c.md": datetime(2022, 6, 1, 12, tzinfo=UTC),  # deleted, then added again
    }


def test_names_with_spaces_and_newlines_survive() -> None:
    output = log(("2020-01-01T00:00:00Z", ["A", "odd name\nwith newline.md"]))
    assert list(history.parse(output)) == ["odd name\nwith newline.md"]


def test_no_work_tree_or_no_output_gives_no_dates(tmp_path: Path) -> None:
    assert history.added_dates(str(tmp_path)) == {}
    assert history.added_dates(str(tmp_path / "missing")) == {}
    assert history.parse("") == {}
