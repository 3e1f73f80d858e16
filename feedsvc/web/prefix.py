"""Serve the site under BASE_URL's path whether the proxy keeps or strips it.

With BASE_URL ``https://example.org/news/``, ``/news/feed.atom`` (prefix
kept) and ``/feed.atom`` (prefix stripped by the proxy) both reach the feed.
The prefix moves from PATH_INFO to SCRIPT_NAME; no URL we emit is built from
either, so this only affects routing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class PrefixMiddleware:
    """Strip PREFIX from PATH_INFO when present."""

    def __init__(self, app: WSGIApp, prefix: str):
        self.app = app
        self.prefix = prefix.rstrip("/")

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if self.prefix and (path == self.prefix or path.startswith(self.prefix + "/")):
            environ["PATH_INFO"] = path[len(self.prefix) :] or "/"
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + self.prefix
        return self.app(environ, start_response)
