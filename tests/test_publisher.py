"""The publisher of one process: its watcher starts, notices changes, and stops."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import app_config

from feedsvc import config
from feedsvc.web.publisher import Publisher


def rescan_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "feedsvc-rescan"]


@pytest.mark.parametrize("mode", ["poll", "notify"])
def test_close_stops_the_watcher_and_its_thread(articles: Path, mode: str) -> None:
    before = len(rescan_threads())
    settings = {**config.DEFAULTS, **app_config(articles, WATCH=mode, RESCAN_INTERVAL=0.05)}
    publisher = Publisher(settings, datetime.now(UTC))
    publisher.start_watching()
    assert publisher.watching and publisher.mode == mode
    assert len(rescan_threads()) == before + 1
    (articles / "late.md").write_text("# Late\n\nBody.\n", "utf-8")
    deadline = time.monotonic() + 10
    while "late" not in publisher.documents.snapshot.by_slug and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "late" in publisher.documents.snapshot.by_slug  # the watcher noticed it
    publisher.close()
    assert not publisher.watching
    assert len(rescan_threads()) == before
    (articles / "later.md").write_text("# Later\n\nBody.\n", "utf-8")
    time.sleep(0.6)
    assert "later" not in publisher.documents.snapshot.by_slug  # nothing rescans any more
