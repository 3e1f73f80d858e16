"""Write the settings and command-line references of the docs site from the code.

    python docs/gen_reference.py           # rewrite docs/reference/*.md
    python docs/gen_reference.py --check   # exit 1, naming each file that differs

``reference/configuration.md`` is a table of ``feedsvc.config.SETTINGS``;
``reference/cli.md`` is click's own ``--help`` text for ``feedsvc`` and each
command, at a fixed width of 100 columns so the output is the same on every
machine and terminal. tests/test_docs.py compares the committed files with
what this writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
WIDTH = 100
NOTICE = "<!-- Written by docs/gen_reference.py from the code: edit the code, then run it. -->"


def _cell(text: str) -> str:
    """Return TEXT fit for one Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def configuration_reference() -> str:
    """Return the Markdown of the settings reference."""
    from feedsvc import config

    lines = [
        "# Settings reference",
        "",
        NOTICE,
        "",
        "Every key may be set in the TOML file (in any case) and is overridden by its",
        "environment variable. [Configuration](../configuration.md) explains where",
        "values come from, and what some settings do in more detail.",
        "",
        "| Key | Environment variable | Default | Meaning |",
        "|---|---|---|---|",
    ]
    for setting in config.SETTINGS:
        default = "(empty)" if setting.default == "" else f"`{setting.default}`"
        lines.append(
            f"| `{setting.key}` | `{setting.env}` | {_cell(default)} | {_cell(setting.doc)} |"
        )
    return "\n".join(lines) + "\n"


def _help(args: list[str]) -> str:
    """Return the text of ``feedsvc ARGS --help`` at the fixed width."""
    from click.testing import CliRunner

    from feedsvc import cli

    result = CliRunner().invoke(
        cli.main,
        [*args, "--help"],
        prog_name="feedsvc",
        terminal_width=WIDTH,
        max_content_width=WIDTH,
    )
    if result.exit_code != 0:
        raise RuntimeError(f"feedsvc {' '.join(args)} --help failed:\n{result.output}")
    return "\n".join(line.rstrip() for line in result.output.strip("\n").splitlines())


def cli_reference() -> str:
    """Return the Markdown of the command-line reference."""
    from feedsvc import cli

    sections = [
        "# Command-line reference",
        "",
        NOTICE,
        "",
        "`feedsvc --help` and `feedsvc COMMAND --help` print the same text.",
        "[Command line](../command-line.md) tells what each command is for.",
    ]
    for args in [[], *([name] for name in sorted(cli.main.commands))]:
        title = " ".join(["feedsvc", *args])
        sections += ["", f"## `{title}`", "", "```text", _help(args), "```"]
    return "\n".join(sections) + "\n"


def expected() -> dict[Path, str]:
    """Return each generated file's path and the text it should hold."""
    return {
        DOCS / "reference" / "configuration.md": configuration_reference(),
        DOCS / "reference" / "cli.md": cli_reference(),
    }


def stale(files: dict[Path, str]) -> list[Path]:
    """Return the paths in FILES whose text on disk differs (or that are missing)."""
    return [
        path
        for path, text in files.items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]


def main(argv: list[str]) -> int:
    """Rewrite the references, or with --check report the ones out of date."""
    if argv not in ([], ["--check"]):
        print(__doc__, file=sys.stderr)
        return 2
    files = expected()
    outdated = stale(files)
    for path in outdated:
        shown = path.relative_to(ROOT)
        if argv:
            print(f"{shown} is out of date: run python docs/gen_reference.py", file=sys.stderr)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(files[path], encoding="utf-8")
            print(f"wrote {shown}")
    return 1 if argv and outdated else 0


if __name__ == "__main__":
    # Document this checkout's code, whichever feedsvc the interpreter has installed.
    sys.path.insert(0, str(ROOT))
    sys.exit(main(sys.argv[1:]))
