"""A stop reaches every worker, even one that lost the first SIGTERM.

CPython drops the signals that reach a child between its fork and its own set-up,
so a worker forked an instant before a stop may never see granian's SIGTERM; the
main process asks again until the worker has gone instead of leaving it to the kill.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from typing import Any

import pytest
from granian.constants import Interfaces

from feedsvc.web.granian_server import ASK_AGAIN_SECONDS, KILL_TIMEOUT, Granian


def deaf_to_the_first_stop(ready: Any) -> None:
    """A worker that misses one SIGTERM, as one does when it comes in the fork window."""
    asked: list[int] = []

    def stop(signum: int, frame: Any) -> None:
        asked.append(signum)
        if len(asked) > 1:
            raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    ready.set()
    deadline = time.monotonic() + 3 * KILL_TIMEOUT
    while time.monotonic() < deadline:
        time.sleep(0.01)
    os._exit(3)  # never asked twice: the test fails on this code


class Worker:
    """The little of granian's WorkerProcess that stopping one needs."""

    def __init__(self, idx: int, process: Any):
        self.idx = idx
        self.inner = process

    def _id(self) -> int:
        return int(self.inner.pid)

    def terminate(self) -> None:
        self.inner.terminate()

    def kill(self) -> None:
        self.inner.kill()

    def join(self, timeout: float | None = None) -> None:
        self.inner.join(timeout)

    def is_alive(self) -> bool:
        return bool(self.inner.is_alive())


@pytest.mark.server
def test_a_worker_that_lost_the_first_sigterm_stops_before_the_kill_timeout() -> None:
    context = multiprocessing.get_context("fork")
    ready = context.Event()
    process = context.Process(target=deaf_to_the_first_stop, args=(ready,))
    process.start()
    try:
        assert ready.wait(10)
        server = Granian("feedsvc", interface=Interfaces.WSGI, workers_kill_timeout=KILL_TIMEOUT)
        server.wrks = [Worker(0, process)]
        started = time.monotonic()
        server._stop_workers()
        took = time.monotonic() - started
    finally:
        if process.is_alive():
            process.kill()
        process.join(5)
    assert process.exitcode == 0  # stopped by the second SIGTERM, not killed
    assert took < KILL_TIMEOUT / 2
    assert took >= ASK_AGAIN_SECONDS * 0.9  # the first SIGTERM alone did not stop it
    assert server.wrks == []
