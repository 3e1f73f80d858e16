"""What the main process and its workers tell each other, besides granian's own.

A pipe made before the fork carries each worker's "ready" and "drained"
(``Readiness``); a worker told to drain makes its copy of the shared listening
socket one nobody reaches (``stop_accepting``); the main process signals a worker
through a pidfd, which names that process alone even once it has been reaped
(``pidfd``). A worker whose main process is gone (killed, say) stops itself
(``watch_parent``): an orphan would serve on, from code and settings no one runs.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import select
import signal
import socket
import threading
import time
from collections.abc import Callable
from typing import Any


class Readiness:
    """A pipe the workers write "PID ready" or "PID drained" to; the main process reads it.

    No thread reads it: the main process forks workers, and forking with threads is unsafe.
    """

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)  # a worker never waits on a full pipe
        self._pending = b""
        self._seen: set[tuple[int, str]] = set()

    def announce(self, what: str = "ready") -> None:
        """In a worker: say that this process answers now (or has stopped accepting)."""
        with contextlib.suppress(BlockingIOError):  # only a reload reads it; it may be full
            os.write(self._write, f"{os.getpid()} {what}\n".encode())

    def _collect(self, timeout: float) -> None:
        if select.select([self._read], [], [], timeout)[0]:
            with contextlib.suppress(BlockingIOError):
                while chunk := os.read(self._read, 4096):
                    self._pending += chunk
            *lines, self._pending = self._pending.split(b"\n")
            for pid, what in (line.decode().split() for line in lines if line):
                self._seen.add((int(pid), what))

    def seen(self, pid: int | None, what: str = "ready") -> bool:
        """Tell whether worker PID has said WHAT (read so far)."""
        self._collect(0)
        return (pid, what) in self._seen

    def wait(
        self, pid: int | None, alive: Callable[[], bool], timeout: float, what: str = "ready"
    ) -> bool:
        """Wait until worker PID says WHAT (False if it died or TIMEOUT passed)."""
        deadline = time.monotonic() + timeout
        while (pid, what) not in self._seen:
            left = deadline - time.monotonic()
            if left <= 0 or not alive():
                return False
            self._collect(min(left, 0.2))
        return True


def stop_accepting(fd: int) -> bool:
    """In a worker: make FD, its copy of the shared listening socket, a socket nobody reaches.

    granian has no way to stop one worker accepting but its graceful stop, which closes
    at once every connection that has not sent a byte yet (hyper's graceful_shutdown), even
    one it accepted an instant before. Once FD names a loopback socket of its own, this
    worker's accept loop finds nothing (its accept answers EAGAIN when the shared socket
    wakes it), the other workers take every new connection, and it goes on serving the
    connections it has. Return False, changing nothing, if FD is no listening socket.
    """
    try:
        with socket.socket(fileno=os.dup(fd)) as shared:
            if not shared.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
                return False
    except OSError:  # not a socket, or no such fd: raising here would end the worker
        return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as decoy:
        decoy.bind(("127.0.0.1", 0))
        decoy.listen(1)
        decoy.setblocking(False)  # the flag is the socket's, so FD's copy has it too
        os.dup2(decoy.fileno(), fd, inheritable=False)
    return True


def pidfd(worker: Any) -> int | None:
    """Return a pidfd of granian WORKER's process, or None once it has gone."""
    with contextlib.suppress(OSError):
        return os.pidfd_open(worker._id())
    return None


PARENT_CHECK_SECONDS = 1.0  # how often a worker looks for its main process


def watch_parent(
    parent: int, loaded: Callable[[], bool], every: float = PARENT_CHECK_SECONDS
) -> None:
    """In a worker: once PARENT, the main process, is gone, stop as its SIGTERM would; one
    not LOADED yet ends at once (a stop would let it load first, minutes at 100,000 files,
    holding the listening socket that clients queue on meanwhile).

    An orphan is adopted by another process (init, or a subreaper): its parent's pid
    changes. gunicorn's workers make the same check; granian's do not. A load cut short
    writes nothing half: the store rolls back its transaction.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        logging.getLogger("feedsvc").warning(
            "worker %d: the main process %d is gone; stopping", os.getpid(), parent
        )
        if not loaded():
            os._exit(1)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="feedsvc-parent", daemon=True).start()


def give_back() -> None:
    """Hand the C heap freed memory back to the system (``malloc_trim``).

    glibc keeps freed memory for reuse: after a worker's first read of 100,000 files,
    about 15 MiB it never needs again; in the main process, the copy of the store
    ``feedsvc serve`` checked before starting (7 MiB at 100,000 records).
    """
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to give back
        return
    if trim is not None:
        trim(0)
