"""Requests logged in the combined log format, under granian as under gunicorn.

gunicorn's default access-log line is the combined format (Apache's and nginx's
``combined``): ``HOST - - [TIME] "REQUEST" STATUS BYTES "REFERER" "USER-AGENT"``.
Under granian the app writes that line itself: ``logged`` wraps it outermost and,
once it has answered, writes the request's line whole to standard output. granian's
own access log went through Python's logging for every request, which took more than
half of a worker's time for a poll: 304s of /feed.atom at 10,000 articles, 2 workers,
wrk, 22,500 req/s with it against 51,000 without any log (median of 3 rounds).
``feedsvc serve`` writes the lines in batches (as nginx's ``access_log ... buffer=
flush=``): at most BATCH_BYTES in one write, at most BATCH_SECONDS after the request,
so that each worker's lines stay whole and a poll does not pay a ``write`` of its own
(a system call that also hands the GIL to another thread). A worker that stops
cleanly writes what waits; one killed loses at most the last second's lines.
BYTES is the body's Content-Length (``-`` for no body, as in a 304 or HEAD);
quotes, backslashes and control characters in the request, referer and user
agent are escaped.
"""

from __future__ import annotations

import copy
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from granian.log import LOGGING_CONFIG

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
BATCH_BYTES = 4096  # PIPE_BUF on Linux: the most one write to a pipe keeps whole
BATCH_SECONDS = 1.0  # the longest a line waits in ``feedsvc serve``
_clock: tuple[int, str] = (0, "")  # the second last logged, and how it is written


def _when(now: float) -> str:
    global _clock
    second = int(now)
    if _clock[0] != second:  # a race writes the same text twice
        _clock = (second, time.strftime("%d/%b/%Y:%H:%M:%S %z", time.localtime(second)))
    return _clock[1]


# As nginx writes them: a quote or backslash escaped, a control character as \xHH (a
# percent-decoded newline in a path must not start a line of its own).
_ESCAPES = {c: f"\\x{c:02X}" for c in (*range(0x20), *range(0x7F, 0xA0))} | {
    34: '\\"',
    92: "\\\\",
}


def _quoted(value: str) -> str:
    if value.isprintable() and '"' not in value and "\\" not in value:
        return value  # as nearly every one is
    return value.translate(_ESCAPES)


def line(
    environ: dict[str, Any], status: str, size: str, now: float, path: str | None = None
) -> str:
    """Return the combined-format line of the request ENVIRON answered with STATUS, SIZE.

    PATH is the path as sent, when a layer may since have changed ENVIRON's (a prefix).
    """
    query = environ.get("QUERY_STRING")
    path = environ.get("PATH_INFO", "") if path is None else path
    target = _quoted(path + ("?" + query if query else ""))
    request = f"{environ.get('REQUEST_METHOD', '-')} {target} {environ.get('SERVER_PROTOCOL')}"
    referer = _quoted(environ.get("HTTP_REFERER") or "-")
    agent = _quoted(environ.get("HTTP_USER_AGENT") or "-")
    host = environ.get("REMOTE_ADDR") or "-"
    return f'{host} - - [{_when(now)}] "{request}" {status} {size} "{referer}" "{agent}"\n'


def _write(fd: int, text: str) -> None:
    data = text.encode("utf-8", "backslashreplace")
    try:
        while data:
            data = data[os.write(fd, data) :]
    except OSError:  # a log that cannot be written never fails a request
        pass


class Batches:
    """Lines kept until BATCH_BYTES of them are waiting, or SECONDS after the first.

    Each batch goes out in one write no longer than BATCH_BYTES (PIPE_BUF: a pipe takes it
    whole, so two workers' lines never mix), bar a single longer line, written alone.
    A thread wakes SECONDS after a line comes to a batch that was empty: none while idle.
    """

    def __init__(self, fd: int, seconds: float):
        self.fd = fd
        self.seconds = seconds
        self._lines: list[str] = []
        self._size = 0
        self._lock = threading.Lock()
        self._waiting = threading.Event()  # set while lines wait for the timer
        threading.Thread(target=self._timer, name="feedsvc-accesslog", daemon=True).start()

    def add(self, text: str) -> None:
        size = len(text) if text.isascii() else len(text.encode("utf-8", "backslashreplace"))
        with self._lock:
            full = None
            if self._size + size > BATCH_BYTES and self._lines:
                full, self._lines, self._size = self._lines, [], 0
            self._lines.append(text)
            self._size += size
            if len(self._lines) == 1:
                self._waiting.set()
            if full is not None:  # in order: under the lock
                _write(self.fd, "".join(full))

    def flush(self) -> None:
        """Write the lines waiting now."""
        with self._lock:
            lines, self._lines, self._size = self._lines, [], 0
            if lines:
                _write(self.fd, "".join(lines))

    def _timer(self) -> None:
        while True:
            self._waiting.wait()
            time.sleep(self.seconds)
            self._waiting.clear()  # before the flush: a line after it sets it again
            self.flush()


class Logged:
    """APP, each request it answers logged to FD: at once, or in batches (``Batches``)."""

    def __init__(self, app: WSGIApp, fd: int, batch_seconds: float = 0.0):
        self.app = app
        self._batches = Batches(fd, batch_seconds) if batch_seconds > 0 else None
        self._write = self._batches.add if self._batches else partial(_write, fd)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        sent = ["500", "-"]  # what an app that raises answers
        path = environ.get("PATH_INFO", "")  # as sent: the prefix layer may strip it

        def start(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            sent[0], sent[1] = status[:3], "-"
            for name, value in headers:
                if len(name) == 14 and name.lower() == "content-length" and value != "0":
                    sent[1] = value
            return start_response(status, headers, *exc_info)

        try:
            return self.app(environ, start)
        finally:
            if environ.get("REQUEST_METHOD") == "HEAD":
                sent[1] = "-"  # no body went out
            self._write(line(environ, sent[0], sent[1], time.time(), path))

    def note(self, environ: dict[str, Any], status: int, size: int) -> None:
        """Log a request answered without APP (``direct``): STATUS, SIZE bytes of body."""
        self._write(line(environ, str(status), str(size) if size else "-", time.time()))

    def flush(self) -> None:
        """Write the lines waiting in a batch (a stopping worker calls it last)."""
        if self._batches is not None:
            self._batches.flush()


def logged(app: WSGIApp, fd: int | None = None, batch_seconds: float = 0.0) -> Logged:
    """Wrap APP so that each request it answers is logged to FD (standard output).

    With BATCH_SECONDS, lines go out in batches, at most that long after their request.
    """
    return Logged(app, sys.stdout.fileno() if fd is None else fd, batch_seconds)


def dictconfig() -> dict[str, Any]:
    """Return granian's logging configuration (its access log is off: ``logged`` writes it)."""
    return copy.deepcopy(LOGGING_CONFIG)
