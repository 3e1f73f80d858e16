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
from collections import deque
from collections.abc import Iterable
from contextlib import suppress

log = logging.getLogger(__name__)
MANY = 2_000  # files to read, at least, for a child to be worth its start (about 20 ms)

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
    """A child reading ahead the files handed to ``add``, until ``close`` (if WANTED).

    At most WINDOW files are asked for beyond those the reader counted read (``done``):
    the pages of a whole folder asked for at once could push out the first ones before
    they are read (in a memory-limited cgroup, page cache counts against the limit).
    """

    WINDOW = 1_000  # files

    def __init__(self, wanted: bool = True) -> None:
        self._wanted = wanted
        self._child: subprocess.Popen[bytes] | None = None
        self._waiting: deque[str] = deque()  # added, not yet handed over
        self._ahead = 0  # handed over, not yet counted read
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
        if self._wanted:
            self._waiting.extend(paths)
            self._hand()

    def done(self, count: int = 1) -> None:
        """Count COUNT more files read: the child may ask for as many more."""
        if self._wanted:
            self._ahead -= count
            if self._ahead < self.WINDOW // 2:
                self._hand()

    def close(self) -> None:
        """End the child at once (what it has not read is of no use now); add nothing more."""
        self._wanted = False
        self._waiting.clear()
        child, self._child = self._child, None
        if child is None:
            return
        self._paths.put(None)
        child.kill()  # by its pid: only the process started here
        child.wait()
        if self._writer is not None:
            self._writer.join(5.0)  # at once, unless another process holds the pipe too
        if child.stdin is not None:
            with suppress(OSError):  # what was left to hand over goes with the pipe
                child.stdin.close()
        while not self._paths.empty():  # the writer stopped early: the child had ended
            self._paths.get_nowait()

    def _hand(self) -> None:
        count = min(len(self._waiting), self.WINDOW - self._ahead)
        if count <= 0 or (self._child is None and not self._start()):
            return
        batch = [os.fsencode(self._waiting.popleft()) + b"\0" for _ in range(count)]
        self._ahead += count
        self._paths.put(b"".join(batch))

    def _start(self) -> bool:
        try:
            if not sys.executable or getattr(sys, "frozen", False):
                raise OSError("no Python interpreter to run it")  # embedded, or a frozen build
            self._child = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", CHILD],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            self._writer = threading.Thread(
                target=self._write, args=(self._child,), name="feedsvc read-ahead", daemon=True
            )
            self._writer.start()
        except Exception as e:  # advice only: no reason to fail the read
            log.info("files not read ahead (%s): each is waited for as it is read", e)
            self.close()
            return False
        return True

    def _write(self, child: subprocess.Popen[bytes]) -> None:
        assert child.stdin is not None
        while (data := self._paths.get()) is not None:
            try:
                child.stdin.write(data)
                child.stdin.flush()
            except (OSError, ValueError):  # the child ended: files are read in turn
                self._wanted = False
                return
