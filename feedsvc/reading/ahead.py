"""Article files read ahead into the system's page cache by a child process.

A cold first read of a large folder whose files are not in the page cache (after a
boot, or once the system let their pages go) waited on the disk for each file in
turn: 100,000 files took a server 38 s to its first 200, against 19.6 s when their
pages were cached. A thread cannot overlap that wait with the parsing (it needs the
GIL back after each call, and a parsing thread keeps it 5 ms at a time), so a child
process does: it is handed the paths the reader will read, in its order, and asks the
kernel for each one (``posix_fadvise`` WILLNEED, which returns at once; a plain read
where there is none). It is advice only: the reader still reads every file itself,
and a child that cannot start, or dies, costs only the time it would have saved.
"""

from __future__ import annotations

import logging
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterable
from contextlib import suppress

log = logging.getLogger(__name__)
MANY = 2_000  # files to read, at least, for a child to be worth its start (about 20 ms)
_BATCH = 1_000  # paths handed over at a time

# The child: paths end with NUL on its standard input; it stops at the end of it.
# O_NONBLOCK: a path that became a FIFO meanwhile must not hold it up.
CHILD = r"""
import os
advise = getattr(os, "posix_fadvise", None)
rest = b""
while block := os.read(0, 65536):
    *paths, rest = (rest + block).split(b"\0")
    for path in paths:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            if advise is not None:
                advise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
            else:
                os.read(fd, 1 << 20)
        except OSError:
            pass
        finally:
            os.close(fd)
"""


class ReadAhead:
    """A child reading ahead the files handed to ``add``, until ``close`` (if WANTED)."""

    def __init__(self, wanted: bool = True) -> None:
        self._wanted = wanted
        self._child: subprocess.Popen[bytes] | None = None
        self._paths: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None

    def __enter__(self) -> ReadAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        """The child's process id, once it started."""
        return None if self._child is None else self._child.pid

    def add(self, paths: Iterable[str]) -> None:
        """Have the child read PATHS (real paths) in order, after those added before.

        Never waits: the paths are handed over by a thread, as the child takes them.
        """
        if not self._wanted:
            return
        batch: list[bytes] = []
        for path in paths:
            batch.append(os.fsencode(path) + b"\0")
            if len(batch) == _BATCH:
                self._hand(b"".join(batch))
                batch = []
        if batch:
            self._hand(b"".join(batch))

    def close(self) -> None:
        """End the child at once (what it has not read is of no use now); add nothing more."""
        self._wanted = False
        child, self._child = self._child, None
        if child is None:
            return
        self._paths.put(None)
        child.kill()  # by its pid: only the process started here
        child.wait()
        if self._writer is not None:
            self._writer.join()
        if child.stdin is not None:
            with suppress(OSError):  # what was left to hand over goes with the pipe
                child.stdin.close()

    def _hand(self, data: bytes) -> None:
        if self._child is None and not self._start():
            return
        self._paths.put(data)

    def _start(self) -> bool:
        if not sys.executable:  # an embedding interpreter may not name one
            self._wanted = False
            return False
        try:
            self._child = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", CHILD],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except OSError as e:
            log.info("files not read ahead (%s): each is waited for as it is read", e)
            self._wanted = False
            return False
        self._writer = threading.Thread(
            target=self._write, args=(self._child,), name="feedsvc read-ahead", daemon=True
        )
        self._writer.start()
        return True

    def _write(self, child: subprocess.Popen[bytes]) -> None:
        assert child.stdin is not None
        while (data := self._paths.get()) is not None:
            try:
                child.stdin.write(data)
                child.stdin.flush()
            except (OSError, ValueError):  # the child ended: what is left is read in turn
                return
