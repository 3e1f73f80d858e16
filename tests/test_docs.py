"""The docs site: references match the code, every page is in the nav, the README stays short."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import click
import pytest
import yaml
from click.testing import CliRunner
from conftest import ROOT
from jinja2 import Environment, meta

from feedsvc import cli, config

DOCS = ROOT / "docs"
README_MAX_BYTES = 10 * 1024


def load_generator() -> ModuleType:
    """Import docs/gen_reference.py by its path (docs/ is not a package)."""
    spec = importlib.util.spec_from_file_location("gen_reference", DOCS / "gen_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = load_generator()
GENERATED = gen.expected()
CONFIG_REFERENCE = (DOCS / "reference" / "configuration.md").read_text(encoding="utf-8")
CLI_REFERENCE = (DOCS / "reference" / "cli.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("path", sorted(GENERATED), ids=lambda p: p.name)
def test_committed_reference_is_what_the_generator_writes(path: Path) -> None:
    assert path.read_text(encoding="utf-8") == GENERATED[path], (
        f"{path.relative_to(ROOT)} is out of date: run python docs/gen_reference.py"
    )


def test_check_names_a_file_that_differs_and_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "docs" / "reference" / "cli.md"
    target.parent.mkdir(parents=True)
    target.write_text("hand-edited\n", encoding="utf-8")
    monkeypatch.setattr(gen, "ROOT", tmp_path)
    monkeypatch.setattr(gen, "expected", lambda: {target: "generated\n"})
    assert gen.main(["--check"]) == 1
    assert "docs/reference/cli.md" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == "hand-edited\n"
    assert gen.main([]) == 0
    assert target.read_text(encoding="utf-8") == "generated\n"
    assert gen.main(["--check"]) == 0


def table_rows(text: str) -> dict[str, list[str]]:
    """Return the cells of each table row whose first cell is a `KEY`, by key."""
    rows: dict[str, list[str]] = {}
    for line in text.splitlines():
        found = re.match(r"^\| `([A-Z_]+)` \|", line)
        if found:
            rows[found[1]] = [cell.strip() for cell in line.strip("|").split(" | ")]
    return rows


@pytest.mark.parametrize("setting", config.SETTINGS, ids=lambda s: s.key)
def test_settings_reference_lists_every_key_with_env_and_default(setting: config.Setting) -> None:
    row = table_rows(CONFIG_REFERENCE).get(setting.key)
    assert row is not None, f"{setting.key} is missing from docs/reference/configuration.md"
    assert row[1] == f"`{setting.env}`"
    assert row[2] == ("(empty)" if setting.default == "" else f"`{setting.default}`")
    assert row[3], f"{setting.key} has no meaning"


def test_settings_reference_has_no_unknown_keys() -> None:
    assert sorted(table_rows(CONFIG_REFERENCE)) == sorted(config.DEFAULTS)


def commands() -> list[tuple[str, click.Command]]:
    return sorted(cli.main.commands.items())


@pytest.mark.parametrize("name,command", commands(), ids=[n for n, _ in commands()])
def test_cli_reference_shows_every_command_and_option(name: str, command: click.Command) -> None:
    assert f"## `feedsvc {name}`" in CLI_REFERENCE
    section = CLI_REFERENCE.split(f"## `feedsvc {name}`", 1)[1].split("\n## ", 1)[0]
    result = CliRunner().invoke(cli.main, [name, "--help"])
    assert result.exit_code == 0
    options = [o for p in command.params for o in p.opts if o.startswith("--")]
    for option in options:
        assert option in result.output
        assert option in section, f"feedsvc {name} {option} is not in docs/reference/cli.md"


def test_cli_reference_lists_every_command_in_the_top_level_help() -> None:
    top = CLI_REFERENCE.split("## `feedsvc`", 1)[1].split("\n## ", 1)[0]
    for name in cli.main.commands:
        assert re.search(rf"^  {name} ", top, re.MULTILINE), f"{name} missing from feedsvc --help"


def test_readme_stays_short() -> None:
    size = (ROOT / "README.md").stat().st_size
    assert size <= README_MAX_BYTES, f"README.md is {size} bytes; move text into docs/"


def nav_pages(items: list[Any]) -> list[str]:
    """Return every page path in an mkdocs.yml nav, depth first."""
    pages: list[str] = []
    for item in items:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        if isinstance(value, list):
            pages += nav_pages(value)
        else:
            pages.append(value)
    return pages


def test_every_nav_page_exists_and_every_page_is_in_the_nav() -> None:
    settings = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    listed = nav_pages(settings["nav"])
    assert len(listed) == len(set(listed)), "a page is listed twice in the nav"
    for page in listed:
        assert (DOCS / page).is_file(), f"mkdocs.yml lists missing docs/{page}"
    on_disk = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md"))
    assert sorted(listed) == on_disk


def test_feeds_page_documents_every_template_and_every_variable_it_uses() -> None:
    page = (DOCS / "feeds.md").read_text(encoding="utf-8")
    folder = ROOT / "feedsvc" / "templates"
    names = sorted(p.name for p in folder.glob("*.html"))
    assert "article.html" in names
    env = Environment()
    # A filter the templates use but this list lacks fails the parse: document it here too.
    for name in ("isodate", "day", "daytime"):
        assert f"`{name}`" in page, f"docs/feeds.md does not document the {name} filter"
        env.filters[name] = str
    for name in names:
        assert f"`{name}`" in page, f"docs/feeds.md does not document {name}"
        source = (folder / name).read_text(encoding="utf-8")
        for variable in meta.find_undeclared_variables(env.parse(source)):
            assert f"`{variable}" in page, f"docs/feeds.md does not document {variable} ({name})"
