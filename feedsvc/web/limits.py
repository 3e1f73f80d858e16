"""Refuse, with our own page, requests past the limits gunicorn and granian would enforce.

The outermost middleware, so that it sees the environ as the server made it. A request
target over MAX_TARGET bytes gets 414, a request line and headers over MAX_HEAD_BYTES
get 431. granian lets both through to the app (its own read buffer is set well above
MAX_HEAD_BYTES, so that these get our page and security headers rather than hyper's empty
answer); under gunicorn, whose own limits are per line, a head made of many fields
within them gets the same 431. ``warmstart`` asks the same while its app loads.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from . import http
from .prefix import WSGIApp

# The keys servers put in an environ besides header fields (PEP 3333, gunicorn, granian).
SERVER_KEYS = (
    *("GATEWAY_INTERFACE", "PATH_INFO", "QUERY_STRING", "RAW_URI", "REMOTE_ADDR"),
    *("REMOTE_PORT", "REQUEST_METHOD", "REQUEST_URI", "SCRIPT_NAME", "SERVER_NAME"),
    *("SERVER_PORT", "SERVER_PROTOCOL", "SERVER_SOFTWARE", "wsgi.errors", "wsgi.input"),
    *("wsgi.input_terminated", "wsgi.multiprocess", "wsgi.multithread", "wsgi.run_once"),
    *("wsgi.url_scheme", "wsgi.version", "wsgi.file_wrapper"),
)
# Keys known to be no header field, so that a head is measured from a few keys: those,
# and the process environment's (granian copies it into every environ).
NOT_FIELDS = frozenset(
    key
    for key in {*SERVER_KEYS, *os.environ}
    if not key.startswith("HTTP_") and key not in ("CONTENT_TYPE", "CONTENT_LENGTH")
)


def refuse(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes] | None:
    """Answer 414 or 431 with our page for a request past the limits; else return None."""
    if http.target_too_long(environ):
        status, reason = 414, "Request-URI Too Long"
    elif http.head_too_large(environ, NOT_FIELDS):
        status, reason = 431, "Request Header Fields Too Large"
    else:
        return None
    page, fields = http.malformed_page(status, reason)
    start_response(f"{status} {reason}", list(fields.items()))
    return [page]


class RequestLimits:
    """Answer 414 or 431 for a request past the limits; else call APP."""

    def __init__(self, app: WSGIApp):
        self.app = app

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        refused = refuse(environ, start_response)
        return self.app(environ, start_response) if refused is None else refused
