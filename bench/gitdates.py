"""What dating undated files from git costs: one batched git log against one per file.

For N undated Markdown files committed to a fresh git repository (in 10
commits, a tenth of them renamed in an eleventh), in the same run:

- batched: ``feedsvc.catalog.history.added_dates`` (one ``git log`` over the
  folder's history, renames followed), as feedsvc runs it;
- per file (the baseline): ``git log --follow --diff-filter=A --format=%aI``
  once per file, the way a naive lookup would;
- cold scan: a catalog's first scan (new state store) of the folder in the work
  tree, against the same files copied outside any work tree (no git dates).

Medians over the repeats, and ratios against the baseline of the same run.

    python bench/gitdates.py                # 1,000 files, 3 repeats
    python bench/gitdates.py --smoke        # 100 files, 1 repeat
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from feedsvc.catalog import history  # noqa: E402
from feedsvc.catalog.catalog import Catalog  # noqa: E402
from feedsvc.reading.normalise import Defaults  # noqa: E402
from feedsvc.store.db import StateStore  # noqa: E402

WORDS = [f"{a}{b}" for a in ("har", "bri", "fer", "mar", "lan", "riv") for b in range(500)]
ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.org",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.org",
}


def git(repo: Path, *args: str, when: str | None = None) -> None:
    env = dict(ENV, GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when) if when else ENV
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def make_repo(repo: Path, count: int) -> Path:
    """Return the articles folder of a new repository holding COUNT undated files."""
    folder = repo / "articles"
    folder.mkdir(parents=True)
    random.seed(12)
    git(repo, "init", "-q")
    for batch in range(10):
        for n in range(batch, count, 10):
            words = " ".join(random.choice(WORDS) for _ in range(80))  # files unlike
            (folder / f"post-{n:05d}.md").write_text(f"---\ntitle: Post {n}\n---\n\n{words}\n")
        git(repo, "add", ".")
        git(repo, "commit", "-qm", f"batch {batch}", when=f"2024-01-{batch + 1:02d}T12:00:00Z")
    for n in range(0, count, 10):
        git(repo, "mv", f"articles/post-{n:05d}.md", f"articles/renamed-{n:05d}.md")
    git(repo, "commit", "-qm", "renames", when="2024-02-01T12:00:00Z")
    return folder


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def per_file(folder: Path) -> dict[str, str]:
    dates = {}
    for path in sorted(p.name for p in folder.iterdir()):
        done = subprocess.run(
            ["git", "log", "--follow", "--diff-filter=A", "--format=%aI", "--", path],
            cwd=folder,
            capture_output=True,
            text=True,
            check=True,
        )
        dates[path] = done.stdout.split()[-1]
    return dates


def cold_scan(folder: Path, state: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{state}{suffix}").unlink(missing_ok=True)
    now = datetime.now(UTC)
    store = StateStore(str(state), now)
    catalog = Catalog(str(folder), Defaults("A", "en", UTC), store, "bench.example", 2**21)
    catalog.scan(now)
    store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="100 files, 1 repeat")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # "state store ... is created", once per cold scan
    count, repeats = (100, 1) if args.smoke else (args.files, args.repeats)
    if shutil.which("git") is None:
        print("git is not installed: skipped")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        folder = make_repo(base / "repo", count)
        outside = base / "outside"
        shutil.copytree(folder, outside)
        batched = history.added_dates(str(folder))
        naive = per_file(folder)
        assert len(batched) == count, len(batched)
        assert {p: batched[p] for p in naive} == {
            p: datetime.fromisoformat(d) for p, d in naive.items()
        }, "batched and per-file dates differ"
        rows = {
            "batched git log": [timed(lambda: history.added_dates(str(folder)))
                                for _ in range(repeats)],
            "per-file git log (baseline)": [timed(lambda: per_file(folder))
                                            for _ in range(repeats)],
            "cold scan, in git": [timed(lambda: cold_scan(folder, base / "a.sqlite3"))
                                  for _ in range(repeats)],
            "cold scan, no git": [timed(lambda: cold_scan(outside, base / "b.sqlite3"))
                                  for _ in range(repeats)],
        }  # fmt: skip
    medians = {name: statistics.median(times) for name, times in rows.items()}
    print(f"{count} undated files, {repeats} repeat(s), medians:")
    for name, median in medians.items():
        print(f"  {name:30} {median * 1000:9.1f} ms")
    baseline = medians["per-file git log (baseline)"]
    print(f"  batched / per-file:            {medians['batched git log'] / baseline:9.5f}")
    in_git, no_git = medians["cold scan, in git"], medians["cold scan, no git"]
    print(f"  cold scan in git / no git:     {in_git / no_git:9.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
