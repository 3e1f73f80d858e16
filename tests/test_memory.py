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
    # Measured 1.6 KB in 2026-12: one object per article, resolved in place of the one
    # read (1.9 KB with both; 3.7 KB while bodies were held in memory).
    assert per_article < 1800, f"{per_article:.0f} bytes per article"
    # The peak too: texts wait for the store in batches, never all at once, and each
    # article as read goes once resolved. Measured 2.0 KB in 2026-12; 2.5 KB while both
    # were kept to the end of the scan, 2.9 KB when every text read was held too.
    assert peak / COUNT < 2200, f"{peak / COUNT:.0f} bytes per article at the peak"
    seventh = cat.folder.bodies.text(snapshot.by_slug["a-00007"])  # fetched when read
    assert seventh.body.startswith("w7x0y0 w7x0y1 ")
