"""Answer GET and HEAD for documents that resolve to 200 without entering Flask.

A poll of /feed.atom is a dictionary look-up and a few header comparisons;
Flask's request context, routing and Response objects cost more than that.
``FastPath`` sits inside the prefix middleware, in front of Flask, and
answers a GET or HEAD whose path resolves to a 200 document with exactly the
status, headers and bytes of ``routes.respond``: both follow the rules in
``http``. Everything else falls through to Flask unchanged: other methods
(405), redirects, 404 and 410, If-Match, and paths routing could rewrite
(``//``). Hooks registered on the Flask app do not see fast-path requests.

``Quick`` gives the same answers to a server that hands it the request's
environ before any middleware (``direct``, under granian): the limits, the trusted
proxies' headers and the prefix are applied as the stack applies them, and a
request any of them would answer or change otherwise is left to the stack.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..render.router import Documents
from . import http
from .prefix import WSGIApp, unprefixed
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
            answer = self._answer(environ, environ.get("PATH_INFO", ""))
        except Exception:  # Flask meets the same error, logs it and answers its 500 page
            answer = None
        if answer is None:
            return self.app(environ, start_response)
        status, headers, body = answer
        start_response(status, headers)
        return body

    def _answer(
        self, environ: dict[str, Any], path: str
    ) -> tuple[str, http.Headers, list[bytes]] | None:
        """Return the status, headers and body for ENVIRON at PATH; None: Flask answers."""
        method = environ.get("REQUEST_METHOD")
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


# What a quick answer gives: status, headers, body (b"" for a 304 or HEAD), and the environ
# its access-log line is made from (the trusted proxies' client; the path as sent).
Answer = tuple[int, http.Headers, bytes, dict[str, Any]]


class Quick:
    """What the whole stack (``RequestLimits``, ``ProxyFix``, ``PrefixMiddleware``, FAST) answers.

    Called with the environ a server made, before any of those layers: it answers
    what FAST would, or gives None for the stack to answer. FIX is the stack's
    ``ProxyFix`` settings applied to a copy of the environ (None: no trusted proxies).
    """

    def __init__(
        self,
        fast: FastPath,
        prefix: str,
        fix: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ):
        self.fast = fast
        self.prefix = prefix.rstrip("/")
        self.fix = fix

    def __call__(self, environ: dict[str, Any]) -> Answer | None:
        if http.target_too_long(environ) or (
            not http.surely_small(environ) and http.head_too_large(environ)
        ):
            return None  # RequestLimits answers it
        if self.fix is not None:
            environ = self.fix(dict(environ))
        try:
            path = unprefixed(environ.get("PATH_INFO", ""), self.prefix)
            answer = self.fast._answer(environ, path)
        except Exception:  # the stack meets the same error, and answers as it does
            return None
        if answer is None:
            return None
        status, headers, body = answer
        return int(status[:3]), headers, body[0] if body else b"", environ
