"""Stopping the watcher logs nothing: watchdog's stop race is not an error of ours.

Closing inotify's watches wakes watchdog's reader with their IN_IGNORED events,
and the reader, finding itself stopped, logged ``InotifyEmitter.queue_events()
called when the thread is inactive`` at ERROR level, about one worker stop in
five over a folder of a hundred subfolders (web/watch.py filters it).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from feedsvc.web.watch import Watcher


def test_stopping_the_watcher_of_many_folders_logs_no_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pytest.importorskip("watchdog")
    for index in range(100):
        (tmp_path / f"d{index:03d}").mkdir()
    with caplog.at_level(logging.DEBUG):
        for _ in range(20):
            watcher = Watcher(str(tmp_path), lambda now, paths: None, set, 3600.0)
            watcher.start("notify")
            assert watcher.mode == "notify"
            time.sleep(0.05)  # the reader blocks in its read, as an idle worker's does
            watcher.stop()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
