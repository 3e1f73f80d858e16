"""Answer GET and HEAD for documents that resolve to 200 without entering Flask.

A poll of /feed.atom is a dictionary look-up and a few header comparisons;
Flask's request context, routing and Response objects cost more than that.
``FastPath`` sits inside the prefix middleware, in front of Flask, and
answers a GET or HEAD whose path resolves to a 200 document with exactly the
status, headers and bytes of ``web.respond`` (the same per-variant header
lists, Werkzeug's ``is_resource_modified``, Werkzeug's Accept parsing).
Everything else falls through to Flask unchanged: other methods (405),
redirects, 404 and 410, If-Match, and paths routing could rewrite (``//``).
Hooks registered on the Flask app do not see fast-path requests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.datastructures import MIMEAccept
from werkzeug.http import is_resource_modified, parse_accept_header

from . import web
from .documents import Documents
from .publisher import Publisher

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
CONDITIONAL = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE")
MEMO_SIZE = 256  # distinct Accept / Accept-Encoding values remembered; real clients send few


class FastPath:
    """Serve rendered documents straight from the current ``Documents``; else call APP."""

    def __init__(self, app: WSGIApp, publisher: Publisher):
        self.app = app
        self.publisher = publisher
        self._gzip: dict[str, bool] = {}
        self._browser: dict[tuple[str, str], bool] = {}
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

    def _answer(
        self, environ: dict[str, Any]
    ) -> tuple[str, list[tuple[str, str]], list[bytes]] | None:
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
        if publisher._thread is None or documents.snapshot.next_due is not None:
            documents = publisher.current(web.utcnow())  # as the route does: may rescan
        result = documents.resolve(path[1:])
        if result.status != 200:
            return None
        document = result.document
        accept_encoding = environ.get("HTTP_ACCEPT_ENCODING", "")
        gzipped = "gzip" in accept_encoding and self._gzipped(accept_encoding)
        browser = (
            document.mimetype in web.BROWSER_XML
            and "text/html" in environ.get("HTTP_ACCEPT", "")
            and self._browsing(environ["HTTP_ACCEPT"], document.mimetype)
        )
        variant = web._variant(document, gzipped, browser)
        cache_control = self._cache_control_of(documents)
        if not any(name in environ for name in CONDITIONAL) or is_resource_modified(
            environ, variant.etag, last_modified=variant.last_modified
        ):
            body = variant.body
            headers = [*variant.headers, cache_control, ("Content-Length", str(len(body)))]
            return "200 OK", headers, [] if method == "HEAD" else [body]
        return "304 NOT MODIFIED", [*variant.headers_304, cache_control], []

    def _gzipped(self, accept_encoding: str) -> bool:
        gzipped = self._gzip.get(accept_encoding)
        if gzipped is None:
            gzipped = parse_accept_header(accept_encoding)["gzip"] > 0
            if len(self._gzip) >= MEMO_SIZE:
                self._gzip.clear()
            self._gzip[accept_encoding] = gzipped
        return gzipped

    def _browsing(self, accept: str, mimetype: str) -> bool:
        key = (accept, mimetype)
        browser = self._browser.get(key)
        if browser is None:
            best = parse_accept_header(accept, MIMEAccept).best_match([mimetype, "text/html"])
            browser = best == "text/html"
            if len(self._browser) >= MEMO_SIZE:
                self._browser.clear()
            self._browser[key] = browser
        return browser

    def _cache_control_of(self, documents: Documents) -> tuple[str, str]:
        if documents.snapshot.next_due is not None:  # max-age shrinks as the article nears
            return ("Cache-Control", web._cache_control(documents))
        cached_for, header = self._cache_control
        if cached_for is not documents or header is None:
            header = ("Cache-Control", web._cache_control(documents))
            self._cache_control = (documents, header)
        return header
