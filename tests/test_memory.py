"""A worker holds articles' metadata, not their words: memory per article stays small."""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path

from scenario import NOW, catalog

COUNT = 1500


def corpus(folder: Path) -> int:
    """Write COUNT Markdown articles of about 1.5 KB of body each; return the body bytes."""
    folder.mkdir()
    total = 0
    for index in range(COUNT):
        body = "\n\n".join(
            " ".join(f"w{index}x{p}y{n}" for n in range(25)) for p in range(6)
        )  # unique words: no two bodies share a string
        total += len(body)
        (folder / f"a-{index:05d}.md").write_text(
            f"---\ntitle: Article {index} about the harbour\n"
            f"date: 2024-01-01 10:{index % 60:02d}\ntags: harbour, ferry, night\n"
            f"author: Reporter {index % 17}\n---\n\n{body}\n",
            "utf-8",
        )
    return total


def test_a_scanned_article_costs_little_memory_and_no_body(tmp_path: Path) -> None:
    body_bytes = corpus(tmp_path / "a")
    cat = catalog(tmp_path / "a", tmp_path / "s.sqlite3")
    gc.collect()
    tracemalloc.start()
    try:
        snapshot = cat.scan(NOW)
        gc.collect()
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(snapshot.articles) == COUNT
    assert body_bytes / COUNT > 1400
    per_article = held / COUNT
    # Measured 1.13 KB in 2026-12: one object per article, resolved in place of the one
    # read, what the store heard of it is that object too, its record takes its slug
    # string, its content hash is 32 bytes, and no cache of resolved articles nor set of
    # every id is kept (1.19 KB with a slug string per record; 1.42 KB with that cache and
    # set; 1.59 KB with a (hash, path) pair each; 3.7 KB while bodies were held in memory).
    assert per_article < 1260, f"{per_article:.0f} bytes per article"
    assert all(cat.records[a.slug].slug is a.slug for a in snapshot.articles)  # one string
    # The peak too: texts wait for the store in batches, never all at once, and each
    # article as read goes once resolved; each body's opening (201 bytes) waits in one
    # buffer for the sync (``firstwords.Noted``). Measured 1.81 KB in 2026-12 (1.52 KB while
    # the openings waited in a temporary table, outside the heap, which cost 2 to 3 s of
    # a first start of 100,000; 1.58 KB with a slug string per record; 1.96 KB while
    # assemble made a sort key per article, a set of every id and a dict of the digests;
    # 2.5 KB while both articles were kept to the end of the scan, 2.9 KB when every text
    # read was held too).
    assert peak / COUNT < 1990, f"{peak / COUNT:.0f} bytes per article at the peak"
    seventh = cat.folder.bodies.text(snapshot.by_slug["a-00007"])  # fetched when read
    assert seventh.body.startswith("w7x0y0 w7x0y1 ")


def test_a_rescan_holds_little_beyond_the_catalog(tmp_path: Path) -> None:
    """A full rescan that finds nothing changed goes through the listing as it comes."""
    corpus(tmp_path / "a")
    for index, path in enumerate(sorted((tmp_path / "a").iterdir())):  # 30 folders of 50
        (tmp_path / "a" / f"{index % 30:02d}").mkdir(exist_ok=True)
        path.rename(tmp_path / "a" / f"{index % 30:02d}" / path.name)
    cat = catalog(tmp_path / "a", tmp_path / "s.sqlite3")
    cat.scan(NOW)
    gc.collect()
    tracemalloc.start()
    try:
        cat.scan(NOW)
        gc.collect()
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held / COUNT < 10, f"{held / COUNT:.0f} bytes per article kept by a rescan"
    # Measured 29 bytes per article in 2026-12 (a folder's os.scandir listing, a list of the
    # paths found); 203 while those paths went into a set and every known path was copied
    # into another (``files.keys() - paths``) to find the deleted ones: 10 MiB more in each
    # worker at 100,000 files; 529 while every file's item (path, real path, signature) was
    # listed first and each listed path copied into that set.
    assert peak / COUNT < 40, f"{peak / COUNT:.0f} bytes per article at a rescan's peak"
