"""Requests logged in the combined log format, under granian as under gunicorn.

gunicorn's default access-log line is the combined format (Apache's and nginx's
``combined``): ``HOST - - [TIME] "REQUEST" STATUS BYTES "REFERER" "USER-AGENT"``.
Under granian the app writes that line itself: ``logged`` wraps it outermost and,
once it has answered, writes the request's line whole, with one ``write`` to
standard output (each worker's lines stay whole). granian's own access log went
through Python's logging for every request, which took more than half of a
worker's time for a poll: 304s of /feed.atom at 10,000 articles, 2 workers, wrk,
22,500 req/s with it against 51,000 without any log (median of 3 rounds).
BYTES is the body's Content-Length (``-`` for no body, as in a 304 or HEAD);
quotes, backslashes and control characters in the request, referer and user
agent are escaped.
"""

from __future__ import annotations

import contextlib
import copy
import os
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

from granian.log import LOGGING_CONFIG

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
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


def line(environ: dict[str, Any], status: str, size: str, now: float) -> str:
    """Return the combined-format line of the request ENVIRON answered with STATUS, SIZE."""
    query = environ.get("QUERY_STRING")
    target = _quoted(environ.get("PATH_INFO", "") + ("?" + query if query else ""))
    request = f"{environ.get('REQUEST_METHOD', '-')} {target} {environ.get('SERVER_PROTOCOL')}"
    referer = _quoted(environ.get("HTTP_REFERER") or "-")
    agent = _quoted(environ.get("HTTP_USER_AGENT") or "-")
    host = environ.get("REMOTE_ADDR") or "-"
    return f'{host} - - [{_when(now)}] "{request}" {status} {size} "{referer}" "{agent}"\n'


def _write(fd: int, text: str) -> None:
    data = text.encode("utf-8", "backslashreplace")
    with contextlib.suppress(OSError):  # a log that cannot be written never fails a request
        while data:
            data = data[os.write(fd, data) :]


def logged(app: WSGIApp, fd: int | None = None) -> WSGIApp:
    """Wrap APP so that each request it answers is logged to FD (standard output)."""
    out = sys.stdout.fileno() if fd is None else fd

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        sent = ["500", "-"]  # what an app that raises answers
        head = environ.get("REQUEST_METHOD") == "HEAD"

        def start(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            sent[0], sent[1] = status[:3], "-"
            if not head:
                for name, value in headers:
                    if name.lower() == "content-length" and value != "0":
                        sent[1] = value
            return start_response(status, headers, *exc_info)

        try:
            return app(environ, start)
        finally:
            _write(out, line(environ, sent[0], sent[1], time.time()))

    return wsgi


def dictconfig() -> dict[str, Any]:
    """Return granian's logging configuration (its access log is off: ``logged`` writes it)."""
    return copy.deepcopy(LOGGING_CONFIG)
