"""Check that `feedsvc build` writes the same bytes as an earlier revision did.

For a change that must not change behaviour (a refactoring), run:

    .venv/bin/python .ci/same_build.py REV

It builds the bundled articles and the test scenario corpus with the code at
REV (taken with `git archive`, imported ahead of the installed package) and
with the working tree, the second build on a copy of the first one's state
store, so undated articles keep the dates the first build gave them, and
compares every file written and what `feedsvc check` prints. Exit 1 names
each difference. Not run by CI: behaviour is meant to change between most
revisions.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ("articles", "tests/scenarios")


def feedsvc(code: Path, *args: str, state: Path) -> str:
    """Run the feedsvc command of the package under CODE; return what it printed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDSVC_")}
    env |= {
        "PYTHONPATH": str(code),
        "FEEDSVC_STATE": str(state),
        "FEEDSVC_BASE_URL": "https://feeds.example.org/news/",
        "FEEDSVC_TIMEZONE": "Europe/Amsterdam",
    }
    result = subprocess.run(
        [sys.executable, "-c", "from feedsvc.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=state.parent,
    )
    return f"exit {result.returncode}\n{result.stdout}"


def differences(left: Path, right: Path) -> list[str]:
    """Return the paths under LEFT and RIGHT that differ, are missing or are extra."""
    found = []
    compared = filecmp.dircmp(left, right)
    found += [f"only before: {left / n}" for n in compared.left_only]
    found += [f"only after: {right / n}" for n in compared.right_only]
    for name in compared.common_files:
        if (left / name).read_bytes() != (right / name).read_bytes():
            found.append(f"differs: {right / name}")
    for name in compared.common_dirs:
        found += differences(left / name, right / name)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rev", help="the revision to compare the working tree with")
    args = parser.parse_args()
    archive = subprocess.run(
        ["git", "archive", args.rev, "feedsvc"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        before_code = work / "before"
        before_code.mkdir()
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(before_code, filter="data")
        for corpus in CORPORA:
            name = corpus.replace("/", "-")
            articles = work / name / "articles"
            shutil.copytree(ROOT / corpus, articles)  # copy2: the same mtimes
            state_before, state_after = (
                work / name / "before.sqlite3",
                work / name / "after.sqlite3",
            )
            outputs = {}
            for side, code, state in (
                ("before", before_code, state_before),
                ("after", ROOT, state_after),
            ):
                if side == "after":
                    for suffix in ("", "-wal", "-shm"):
                        if Path(f"{state_before}{suffix}").exists():
                            shutil.copy(f"{state_before}{suffix}", f"{state_after}{suffix}")
                out = work / name / side
                built = feedsvc(
                    code, "build", str(out), "--articles", str(articles), "-q", state=state
                )
                checked = feedsvc(code, "check", "--articles", str(articles), state=state)
                outputs[side] = (out, built, checked)
            (before, built_before, checked_before), (after, built_after, checked_after) = (
                outputs["before"],
                outputs["after"],
            )
            found = differences(before, after)
            if (built_before, checked_before) != (built_after, checked_after):
                found.append(f"{corpus}: build or check printed something else")
            files = sum(1 for p in after.rglob("*") if p.is_file())
            print(f"{corpus}: {files} files built, {len(found)} differences")
            problems += found
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
