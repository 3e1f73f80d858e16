"""What each part of a state store record costs, and what smaller layouts would weigh.

Reads a store (``bench/coldload.py`` leaves one beside each corpus, as
``corpus-N/state.sqlite3``), read-only, and writes its records again into
fresh SQLite files, each vacuumed, in this layout and in layouts feedsvc does
not use (each row adds one change to the row above it):

- title digest: the likeness title as an 8-byte digest of its casefolded text
  (the rule compares titles for equality only; exports would lose the text);
- first_seen int: the first-seen instant as an integer (exports unchanged);
- hash 16 bytes: the content hash cut to 16 bytes (exports would change);
- likeness folded: the likeness columns in the article row;
- N codes: only the first N word codes of the opening (the same-article rule
  would compare N words, not 200: another rule).

Prints bytes per record, store/corpus (issue 14's target: at most 0.15x) and the
ratio to this layout, measured in the same run.

    python bench/store_layouts.py                  # the 100,000-article bench store
    python bench/store_layouts.py --smoke          # a store of 100 generated articles
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sqlite3
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from coldload import FEEDSVC_LOAD, make_corpus  # bench/: sys.path[0]

VARIANTS = [
    ("this layout", {}),
    ("+ title digest", {"title": True}),
    ("+ first_seen int", {"title": True, "first": True}),
    ("+ hash 16 bytes", {"title": True, "first": True, "hash16": True}),
    ("+ likeness folded", {"title": True, "first": True, "hash16": True, "fold": True}),
]
CODES = (100, 64, 32, 0)


def rebuild(rows: list[tuple], likeness: dict, path: Path, **change: object) -> int:
    """Write ROWS and LIKENESS into a new store at PATH with CHANGE; return its bytes."""
    fold, words = bool(change.get("fold")), int(str(change.get("words", 200)))
    db = sqlite3.connect(path)
    extra = ", title, lid, opening" if fold else ""
    db.execute(
        "CREATE TABLE article (key INTEGER PRIMARY KEY, slug TEXT NOT NULL UNIQUE, path TEXT, "
        f"hash BLOB, id TEXT, first_seen, changed, gone{extra})"
    )
    db.execute("CREATE TABLE likeness (key INTEGER PRIMARY KEY, title, id, opening)")
    articles, likes = [], []
    for key, slug, path_, hash_, id_, first, changed, gone in rows:
        title, lid, opening = likeness.get(key, ("", None, b""))
        if change.get("title"):
            title = hashlib.blake2b(title.casefold().encode(), digest_size=8).digest()
        if change.get("first"):
            first = int(datetime.fromisoformat(first).timestamp())
        if change.get("hash16"):
            hash_ = hash_[:16]
        opening = opening[: 1 + words]
        row = (key, slug, path_, hash_, id_, first, changed, gone)
        if fold:
            articles.append((*row, title, lid, opening))
        else:
            articles.append(row)
            likes.append((key, title, lid, opening))
    db.executemany(f"INSERT INTO article VALUES ({','.join('?' * len(articles[0]))})", articles)
    db.executemany("INSERT INTO likeness VALUES (?, ?, ?, ?)", likes)
    db.commit()
    db.execute("VACUUM")
    db.close()
    return path.stat().st_size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--store", type=Path, help="a store to read [WORKDIR/corpus-100000/state.sqlite3]"
    )
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/feedsvc-bench"))
    parser.add_argument("--smoke", action="store_true", help="100 generated articles")
    args = parser.parse_args()
    size = 100 if args.smoke else 100_000
    folder = args.workdir / f"corpus-{size}"
    store = args.store or folder / "state.sqlite3"
    if args.smoke or not store.exists():
        content = make_corpus(folder, size)
        load = [sys.executable, "-c", FEEDSVC_LOAD, str(content), str(store), str(size)]
        subprocess.run(load, check=True, cwd=folder, capture_output=True)
    corpus = sum(p.stat().st_size for p in (folder / "content").rglob("*.md"))
    source = sqlite3.connect(f"file:{quote(str(store))}?mode=ro", uri=True)
    rows = source.execute(
        "SELECT key, slug, path, hash, id, first_seen, changed, gone FROM article"
    ).fetchall()
    likeness = {
        r[0]: r[1:] for r in source.execute("SELECT key, title, id, opening FROM likeness")
    }
    source.close()
    variants = VARIANTS + [(f"  and {n} codes", {**VARIANTS[-1][1], "words": n}) for n in CODES]
    print(
        f"{len(rows)} records; corpus {corpus / 2**20:.1f} MiB ({corpus / len(rows):.0f} B each)"
    )
    print(f"{'layout':<20} {'store MiB':>9} {'B/record':>8} {'store/corpus':>12} {'vs this':>8}")
    base = 0
    with tempfile.TemporaryDirectory() as tmp:
        for n, (name, change) in enumerate(variants):
            size_ = rebuild(rows, likeness, Path(tmp, f"{n}.sqlite3"), **change)
            base = base or size_
            print(
                f"{name:<20} {size_ / 2**20:>9.1f} {size_ / len(rows):>8.0f} "
                f"{size_ / corpus:>11.3f}x {size_ / base:>7.2f}x"
            )
    print("store/corpus target (issue 14, at 100,000 articles): <= 0.15x")
    return 0


if __name__ == "__main__":
    os.nice(5)
    sys.exit(main())
