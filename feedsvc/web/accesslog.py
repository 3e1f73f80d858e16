"""Requests logged in the combined log format, under granian as under gunicorn.

gunicorn's default access-log line is the combined format (Apache's and nginx's
``combined``): ``HOST - - [TIME] "REQUEST" STATUS BYTES "REFERER" "USER-AGENT"``.
granian hands its access logger a dict per request, in the thread that ran the
app, right after it; the formatter here writes the same line from it. granian
does not report the bytes sent: ``sized`` notes the body's Content-Length in that
thread as the app starts its response (``-`` for no body, as in a 304 or HEAD).
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from granian.log import LOGGING_CONFIG

# What granian collects per request; the line itself is written by CombinedFormatter.
GRANIAN_FORMAT = (
    '%(addr)s "%(method)s %(path)s" %(status)d "%(header{referer})s" "%(header{user-agent})s"'
)


_sent = threading.local()  # the body size of the response this thread answered last
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def sized(app: WSGIApp) -> WSGIApp:
    """Wrap APP so that the access log knows each response's body size."""

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        head = environ.get("REQUEST_METHOD") == "HEAD"

        def start(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            size = "-"
            if not head:
                for name, value in headers:
                    if name.lower() == "content-length":
                        size = "-" if value == "0" else value
            _sent.size = size
            return start_response(status, headers, *exc_info)

        _sent.size = "-"
        return app(environ, start)

    return wsgi


class CombinedFormatter(logging.Formatter):
    """Write granian's request dict as one combined-log-format line."""

    def format(self, record: logging.LogRecord) -> str:
        fields = record.args
        if not isinstance(fields, dict) or "status" not in fields:
            return super().format(record)
        when = time.strftime("%d/%b/%Y:%H:%M:%S %z", time.localtime(record.created))
        target = fields["path"] + ("?" + fields["query_string"] if fields["query_string"] else "")
        return (
            f'{fields["addr"]} - - [{when}] "{fields["method"]} {target} {fields["protocol"]}" '
            f'{fields["status"]} {getattr(_sent, "size", "-")} "{fields["_h0"]}" "{fields["_h1"]}"'
        )


def dictconfig() -> dict[str, Any]:
    """Return granian's logging configuration with the combined access-log line."""
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["access"] = {"()": f"{__name__}.CombinedFormatter"}
    return config
