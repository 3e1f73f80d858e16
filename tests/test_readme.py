"""The README's two set-up commands are the ones CI runs, and it links into the docs.

The settings and command-line checks live in test_docs.py, against the
generated references in docs/reference/.
"""

from __future__ import annotations

import re

from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def quick_start_commands() -> list[str]:
    """Return the ```sh blocks of the README's Quick start section."""
    quick_start = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)\n```", quick_start, re.DOTALL)


def test_readme_has_exactly_two_setup_commands_first() -> None:
    commands = quick_start_commands()
    assert len(commands) == 2
    install, test = commands
    assert "python3 -m venv" in install and "feedsvc serve" in install
    assert "python3 -m venv" in test and "pytest" in test


def test_ci_runs_the_readme_test_command() -> None:
    test_command = quick_start_commands()[1]
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test_command in ci_lines


def test_readme_links_into_the_docs_and_every_link_resolves() -> None:
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", README)
    docs = [t for t in targets if t.startswith("docs/")]
    assert "docs/index.md" in docs
    assert "docs/reference/configuration.md" in docs
    assert "docs/reference/cli.md" in docs
    for target in targets:
        if "://" not in target:
            assert (ROOT / target).exists(), f"README links to missing {target}"
