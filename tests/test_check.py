"""`feedsvc check`: compiler-style problems, a summary line, exit 1 on error."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from scenario import copy

from feedsvc.cli import main

LINE = re.compile(
    r"^(?P<path>[^:]+)(?::(?P<line>\d+))?: (?P<severity>error|warning): (?P<msg>.+)$"
)
SUMMARY = re.compile(
    r"^(\d+) articles read, (\d+) published, (\d+) unpublished, (\d+) skipped, "
    r"(\d+) errors, (\d+) warnings$"
)

MIGRATION = re.compile(
    r"^(engine|skipped for their extension|skipped for their role|keys not "
    r"understood|template tags removed): "
)


def check(folder: Path, state: Path, *extra: str) -> tuple[int, list[str]]:
    runner = CliRunner()
    result = runner.invoke(
        main,
        ["check", "--articles", str(folder), *extra],
        env={"FEEDSVC_STATE": str(state), "FEEDSVC_BASE_URL": "http://feeds.example.org/"},
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output.splitlines()


def parse(lines: list[str]) -> tuple[list[dict[str, str]], tuple[int, ...]]:
    *problems, summary = lines
    parsed = []
    for line in problems:
        if MIGRATION.match(line):  # the migration summary, above the summary line
            continue
        match = LINE.match(line)
        assert match, f"not PATH[:LINE]: error|warning: message: {line!r}"
        parsed.append(match.groupdict())
    totals = SUMMARY.match(summary)
    assert totals, summary
    return parsed, tuple(int(n) for n in totals.groups())


def test_errors_and_warnings_are_listed_then_summed_and_exit_1(tmp_path: Path) -> None:
    folder = copy(
        [
            "txt_header_block.txt",
            "txt_unparseable_date.txt",
            "txt_cp1252.txt",
            "txt_unknown_header_key.txt",
            "md_status_draft.md",
        ],
        tmp_path / "a",
    )
    code, lines = check(folder, tmp_path / "s.sqlite3")
    problems, totals = parse(lines)
    assert code == 1
    by_path = {(p["path"], p["line"], p["severity"]) for p in problems}
    assert ("txt_unparseable_date.txt", "1", "error") in by_path
    assert ("txt_cp1252.txt", None, "warning") in by_path
    assert ("txt_unknown_header_key.txt", "2", "warning") in by_path
    read, published, unpublished, skipped, errors, warnings = totals
    assert (read, published, unpublished, skipped) == (5, 3, 1, 1)
    assert errors == sum(p["severity"] == "error" for p in problems) == 1
    assert warnings == len(problems) - errors


def test_only_warnings_exit_0(tmp_path: Path) -> None:
    folder = copy(["txt_header_block.txt", "txt_unknown_header_key.txt"], tmp_path / "a")
    code, lines = check(folder, tmp_path / "s.sqlite3")
    problems, totals = parse(lines)
    assert code == 0
    assert totals[4] == 0 and totals[5] == len(problems) > 0


def test_clean_folder_prints_only_the_summary(tmp_path: Path) -> None:
    folder = copy(["txt_header_block.txt"], tmp_path / "a")
    code, lines = check(folder, tmp_path / "s.sqlite3")
    assert (code, lines) == (
        0,
        ["1 articles read, 1 published, 0 unpublished, 0 skipped, 0 errors, 0 warnings"],
    )


@pytest.mark.parametrize(
    ("name", "pins"),
    [
        ("txt_without_date.txt", {"date", "id"}),
        ("md_naive_date_paris.md", {"id"}),
        ("md_yaml_front_matter.md", set()),
    ],
)
def test_warns_about_every_date_and_id_that_only_the_store_knows(
    tmp_path: Path, name: str, pins: set[str]
) -> None:
    folder = copy([name], tmp_path / "a")
    _, lines = check(folder, tmp_path / "s.sqlite3")
    problems, _ = parse(lines)
    warned = {p["msg"].split()[0] for p in problems if "only in the state store" in p["msg"]}
    assert warned == pins
    for problem in problems:
        assert "pin it with `" in problem["msg"]


def test_the_suggested_pins_reproduce_the_same_date_and_id(tmp_path: Path) -> None:
    folder = copy(["txt_without_date.txt"], tmp_path / "a")
    state = tmp_path / "s.sqlite3"
    runner = CliRunner()
    env = {"FEEDSVC_STATE": str(state), "FEEDSVC_BASE_URL": "http://feeds.example.org/"}
    from feedsvc import create_app

    app = create_app(
        {"ARTICLES": str(folder), "STATE": str(state), "BASE_URL": "http://feeds.example.org/"}
    )
    [before] = app.extensions["feedsvc"].documents.snapshot.articles
    app.extensions["feedsvc"].store.close()
    output = runner.invoke(main, ["check", "--articles", str(folder)], env=env).output
    pins = re.findall(r"pin it with `([^`]+)`", output)
    path = folder / "txt_without_date.txt"
    path.write_text("\n".join(pins) + "\n\n" + path.read_text("utf-8"), "utf-8")
    fresh = create_app(
        {
            "ARTICLES": str(folder),
            "STATE": str(tmp_path / "new.sqlite3"),
            "BASE_URL": "http://elsewhere.example/",
        }
    )
    fresh.extensions["feedsvc"].catalog.folder.settle = 0.0
    [after] = fresh.extensions["feedsvc"].refresh(datetime.now(UTC)).snapshot.articles
    assert (after.id, after.published) == (before.id, before.published)
    assert after.id_pinned and after.date_pinned


def test_check_never_writes_the_state_store(tmp_path: Path) -> None:
    folder = copy(["txt_without_date.txt"], tmp_path / "a")
    state = tmp_path / "s.sqlite3"
    check(folder, state)
    assert not state.exists()  # not even created
    with sqlite3.connect(state) as db:
        db.execute("CREATE TABLE keep (x)")
    before = state.read_bytes()
    check(folder, state)
    assert state.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "s.sqlite3"]


def test_duplicate_slugs_are_reported_on_both_files(tmp_path: Path) -> None:
    folder = tmp_path / "a"
    (folder / "x").mkdir(parents=True)
    (folder / "x" / "same.txt").write_text("Date: 2024-01-01\n\nOne\n\nBody.\n")
    (folder / "y").mkdir()
    (folder / "y" / "same.txt").write_text("Date: 2024-01-02\n\nTwo\n\nBody.\n")
    code, lines = check(folder, tmp_path / "s.sqlite3")
    problems, _ = parse(lines)
    assert code == 1
    assert {(p["path"], p["severity"]) for p in problems if "same" in p["msg"]} == {
        ("x/same.txt", "warning"),
        ("y/same.txt", "error"),
    }


def test_check_help_documents_its_options() -> None:
    output = CliRunner().invoke(main, ["check", "--help"]).output
    assert "--articles" in output and "--config" in output


@pytest.mark.parametrize(
    ("source", "closing"),
    [
        ('+++\ntitle = "Harbour lights"\n+++\n\nThe lights came on.\n', "+++\n\n"),
        ('{\n"title": "Harbour lights",\n"tags": ["x"]\n}\n\nThe lights came on.\n', '"tags"'),
    ],
    ids=["toml", "json"],
)
@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32"])
def test_the_suggested_pins_are_in_the_front_matters_own_syntax(
    tmp_path: Path, source: str, closing: str, encoding: str
) -> None:
    """`check` tells how to pin what only the store knows: a TOML or JSON front matter
    takes neither `Date: ...` nor `Id: ...` (pasted, they broke the file), whatever the
    encoding the file is read in (a byte order mark names UTF-16 and UTF-32)."""
    folder = tmp_path / "a"
    folder.mkdir()
    path = folder / "harbour.md"
    path.write_text(source, encoding)
    env = {"FEEDSVC_STATE": str(tmp_path / "s.sqlite3"), "FEEDSVC_BASE_URL": "https://x.org/"}
    app_config = {
        "ARTICLES": str(folder),
        "STATE": env["FEEDSVC_STATE"],
        "BASE_URL": "https://x.org/",
    }
    from feedsvc import create_app

    app = create_app(app_config)
    [before] = app.extensions["feedsvc"].documents.snapshot.articles
    app.extensions["feedsvc"].store.close()
    output = CliRunner().invoke(main, ["check", "--articles", str(folder)], env=env).output
    pins = re.findall(r"pin it with `([^`]+)`", output)
    assert len(pins) == 2, output
    path.write_text(source.replace(closing, "\n".join(pins) + "\n" + closing, 1), encoding)
    fresh = create_app(app_config | {"STATE": str(tmp_path / "new.sqlite3")})
    fresh.extensions["feedsvc"].catalog.folder.settle = 0.0
    [after] = fresh.extensions["feedsvc"].refresh(datetime.now(UTC)).snapshot.articles
    assert (after.id, after.published) == (before.id, before.published)
    assert after.id_pinned and after.date_pinned
