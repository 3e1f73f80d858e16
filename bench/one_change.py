"""What one changed file costs one process, at each corpus size: it should not grow.

For each size (1,000 and 100,000 articles by default: the first is the baseline)
the script copies ``bench/coldload.py``'s generated corpus into a scratch folder,
loads it into a fresh app (a new state store), renders /feed.atom, then times,
in that process, each of three changes, REPEATS times each: the refresh that
sees the file (a targeted rescan, as inotify gives) and /feed.atom rendered
again:

- edit: the newest published article's body edited in place;
- add: a new dated article, the newest;
- undated: a new article with no date (the time of first sight dates it);
- add+gone: "add" again, once an article was deleted (the store then holds a
  gone record, and a new article's minted id is looked up among every record's);
- delete: the second newest published article's file deleted (its entry leaves
  the feed, a tombstone takes its place);
- rename: the third newest published article's file moved to a new name, as it
  was (it keeps its id; its old slug redirects).

Prints the medians of CPU time (user + sys of the process) and wall time, and the
ratio of each size's CPU to the baseline's, measured in the same run. The bench
corpus schedules about 45% of its articles (dated after the run); they count.
``bench/polling.py`` measures the same changes through a real server, both workers.

    python bench/one_change.py                    # 1,000 and 100,000; 5 of each
    python bench/one_change.py --smoke            # 100 articles, 2 of each
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _support import save  # bench/: sys.path[0]
from coldload import make_corpus

CHANGES = ("edit", "add", "undated", "add+gone", "delete", "rename")


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def change(content: Path, kind: str, n: int, newest: str) -> tuple[str, str]:
    """Make change N of KIND under CONTENT; return its path and the marker the feed shows."""
    marker = f"marker{kind.replace('+', '')}{n}x{os.getpid()}"
    if kind == "edit":
        text = (content / newest).read_text(encoding="utf-8")
        head, _, body = text.partition("\n---\n")
        save(content / newest, f"{head}\n---\n{marker} {body}")
        return newest, marker
    path = f"00/{marker}.md"
    dated = "" if kind == "undated" else f"date: {time.strftime('%Y-%m-%d %H:%M:%S')}\n"
    save(content / path, f"---\ntitle: {marker}\n{dated}---\n\n{marker} about the tram.\n")
    return path, marker


def move(publisher: Any, content: Path, kind: str, n: int) -> tuple[set[str], str]:
    """Delete the second newest article, or rename the third; return the paths changed and
    what the feed shows then (delete: the <id> it no longer shows)."""
    victim = publisher.catalog.snapshot.articles[1 if kind == "delete" else 2]
    marker = f"<id>{victim.id}</id>"
    feed = publisher.documents.resolve("feed.atom").document
    assert marker.encode() in feed.body, "the feed shows no <id> so"
    if kind == "delete":
        (content / victim.path).unlink()
        return {victim.path}, marker
    path = f"00/renamed{n}x{os.getpid()}.md"
    os.replace(content / victim.path, content / path)  # as it was: the same record
    return {victim.path, path}, f"renamed{n}x{os.getpid()}"


def measure(source: Path, scratch: Path, repeats: int) -> dict[str, list[tuple[float, float]]]:
    """Return, per change, (CPU ms, wall ms) of each of REPEATS changes in a fresh app."""
    from feedsvc import create_app
    from feedsvc.catalog.folder import SETTLE
    from feedsvc.web.watch import utcnow

    content = scratch / "content"
    shutil.copytree(source, content)
    app = create_app(
        {
            "ARTICLES": str(content),
            "STATE": str(scratch / "state.sqlite3"),
            "BASE_URL": "http://bench.example.org/",
            "RESCAN_INTERVAL": 3600.0,
            "WATCH": "poll",
        }
    )
    publisher = app.extensions["feedsvc"]
    try:
        publisher.documents.resolve("feed.atom")
        newest = publisher.catalog.snapshot.articles[0].path
        found: dict[str, list[tuple[float, float]]] = {kind: [] for kind in CHANGES}
        for kind in CHANGES:
            if kind == "add+gone":  # the oldest article deleted
                oldest = publisher.catalog.snapshot.articles[-1].path
                (content / oldest).unlink()
                publisher.refresh(utcnow(), {oldest})
                time.sleep(SETTLE)  # a file not found counts as deleted SETTLE later
                publisher.refresh(utcnow(), {oldest})
            for n in range(repeats + 1):  # the first warms what a first change fills once
                if kind in ("delete", "rename"):
                    paths, marker = move(publisher, content, kind, n)
                else:
                    path, marker = change(content, kind, n, newest)
                    paths = {path}
                started_cpu, started = cpu(), time.perf_counter()
                documents = publisher.refresh(utcnow(), paths)
                if kind == "delete":  # the second look, SETTLE later, deletes: both counted
                    paused = time.perf_counter()
                    time.sleep(SETTLE)
                    started += time.perf_counter() - paused
                    documents = publisher.refresh(utcnow(), paths)
                body = documents.resolve("feed.atom").document.body
                spent = ((cpu() - started_cpu) * 1000, (time.perf_counter() - started) * 1000)
                shown = marker.encode() in body
                assert shown != (kind == "delete"), f"{kind} {n}: the change is not served"
                if n:
                    found[kind].append(spent)
        return found
    finally:
        publisher.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,100000", help="the first is the baseline")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/feedsvc-bench"))
    parser.add_argument("--smoke", action="store_true", help="100 articles, 2 of each")
    args = parser.parse_args()
    sizes = [100] if args.smoke else [int(s) for s in args.sizes.split(",")]
    repeats = 2 if args.smoke else args.repeats
    print(f"{'articles':>9} {'change':>8} {'CPU ms':>8} {'wall ms':>8} {'CPU vs first':>12}")
    baseline: dict[str, float] = {}
    for size in sizes:
        source = make_corpus(args.workdir / f"corpus-{size}", size)
        with tempfile.TemporaryDirectory(dir=args.workdir) as scratch:
            found = measure(source, Path(scratch), repeats)
        for kind in CHANGES:
            cpu_ms = statistics.median(c for c, _ in found[kind])
            wall_ms = statistics.median(w for _, w in found[kind])
            baseline.setdefault(kind, cpu_ms)
            ratio = cpu_ms / baseline[kind] if baseline[kind] else float("nan")
            print(f"{size:>9,} {kind:>8} {cpu_ms:>8.1f} {wall_ms:>8.1f} {ratio:>11.2f}x")
    print("issue 14's target (both workers, through the server): at most 50 ms of CPU")
    return 0


if __name__ == "__main__":
    os.nice(5)
    sys.exit(main())
