"""Answer GET and HEAD for documents that resolve to 200 without entering Flask.

A poll of /feed.atom is a dictionary look-up and a few header comparisons;
Flask's request context, routing and Response objects cost more than that.
``FastPath`` sits inside the prefix middleware, in front of Flask, and
answers a GET or HEAD whose path resolves to a 200 document with exactly the
status, headers and bytes of ``routes.respond``: both follow the rules in
``http``. Everything else falls through to Flask unchanged: other methods
(405), redirects, 404 and 410, If-Match, and paths routing could rewrite
(``//``). Hooks registered on the Flask app do not see fast-path requests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..render.router import Documents
from . import http
from .prefix import WSGIApp
from .publisher import Publisher
from .watch import utcnow


class FastPath:
    """Serve rendered documents straight from the current ``Documents``; else call APP."""

    def __init__(self, app: WSGIApp, publisher: Publisher):
        self.app = app
        self.publisher = publisher
        self._cache_control: tuple[Documents | None, tuple[str, str] | None] = (None, None)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        try:
            answer = self._answer(environ)
        except Exception:  # Flask meets the same error, logs it and answers its 500 page
            answer = None
        if answer is None:
            return self.app(environ, start_response)
        status, headers, body = answer
        start_response(status, headers)
        return body

    def _answer(self, environ: dict[str, Any]) -> tuple[str, http.Headers, list[bytes]] | None:
        """Return the status, headers and body for ENVIRON, or None to leave it to Flask."""
        method = environ.get("REQUEST_METHOD")
        path = environ.get("PATH_INFO", "")
        if (
            (method != "GET" and method != "HEAD")
            or path[:1] != "/"
            or "//" in path
            or "HTTP_IF_MATCH" in environ
        ):
            return None
        publisher = self.publisher
        documents = publisher.documents
        if not publisher.watching or documents.snapshot.next_due is not None:
            documents = publisher.current(utcnow())  # as the route does: may rescan
        result = documents.resolve(path[1:])
        if result.status != 200 or result.document is None:
            return None
        return http.answer(environ, result.document, self._cache_control_of(documents))

    def _cache_control_of(self, documents: Documents) -> tuple[str, str]:
        site, next_due = documents.site, documents.snapshot.next_due
        if next_due is not None:  # max-age shrinks as the article nears
            return ("Cache-Control", http.cache_control(site.cache_max_age, next_due, utcnow()))
        cached_for, header = self._cache_control
        if cached_for is not documents or header is None:
            header = ("Cache-Control", http.cache_control(site.cache_max_age, None, utcnow()))
            self._cache_control = (documents, header)
        return header
