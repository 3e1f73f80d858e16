"""The README documents every config key, command and option, and CI runs its test command."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from conftest import ROOT

from feedsvc import cli, config

README = (ROOT / "README.md").read_text()


def shell_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", README, re.DOTALL)


def test_readme_has_exactly_two_setup_commands_first():
    quick_start = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)\n```", quick_start, re.DOTALL)
    assert len(commands) == 2
    install, test = commands
    assert "python3 -m venv" in install and "feedsvc serve" in install
    assert "python3 -m venv" in test and "pytest" in test


def test_ci_runs_the_readme_test_command():
    quick_start = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    test_command = re.findall(r"```sh\n(.*?)\n```", quick_start, re.DOTALL)[1]
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci_lines


@pytest.mark.parametrize("setting", config.SETTINGS, ids=lambda s: s.key)
def test_config_table_lists_every_key_with_default_and_env(setting):
    rows = [line for line in README.splitlines() if line.startswith(f"| `{setting.key}` |")]
    assert len(rows) == 1, f"{setting.key} missing from the README's config table"
    cells = [c.strip() for c in rows[0].strip("|").split("|")]
    assert cells[1] == f"`{setting.env}`"
    shown = "(empty)" if setting.default == "" else f"`{setting.default}`"
    assert cells[2] == shown


def test_config_table_has_no_unknown_keys():
    table = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    keys = re.findall(r"^\| `([A-Z_]+)` \|", table, re.MULTILINE)
    assert sorted(keys) == sorted(config.DEFAULTS)


def commands():
    return sorted(cli.main.commands.items())


@pytest.mark.parametrize("name,command", commands(), ids=[n for n, _ in commands()])
def test_every_command_and_option_is_in_readme_and_help(name, command):
    assert f"feedsvc {name}" in README
    result = CliRunner().invoke(cli.main, [name, "--help"])
    assert result.exit_code == 0
    for param in command.params:
        for option in param.opts:
            if option.startswith("--") and option != "--help":
                assert option in result.output
                assert option in README, f"{name} {option} is not in the README"


def test_top_level_help_lists_commands():
    result = CliRunner().invoke(cli.main, ["--help"])
    assert result.exit_code == 0
    for name in cli.main.commands:
        assert name in result.output
