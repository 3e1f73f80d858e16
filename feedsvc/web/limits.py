"""Refuse, with our own page, requests past the limits gunicorn and granian would enforce.

The outermost middleware, so that it sees the environ as the server made it. A request
target over MAX_TARGET bytes gets 414, a request line and headers over MAX_HEAD_BYTES
get 431. granian lets both through to the app (its own read buffer is set well above
MAX_HEAD_BYTES, so that these get our page and security headers rather than hyper's empty
answer); under gunicorn, whose own limits are per line, a head made of many fields
within them gets the same 431. ``warmstart`` asks the same while its app loads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from . import http
from .prefix import WSGIApp


def refuse(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes] | None:
    """Answer 414 or 431 with our page for a request past the limits; else return None."""
    if http.target_too_long(environ):
        status, reason = 414, "Request-URI Too Long"
    elif http.head_too_large(environ):
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
