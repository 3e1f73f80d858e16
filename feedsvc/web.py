"""HTTP: the only module that touches the request.

Every GET and HEAD is answered from a pre-rendered ``Document`` whose headers
are computed once per document and variant, not per request. Conditional
requests are decided by Werkzeug's ``is_resource_modified`` (what
``make_conditional`` calls: If-None-Match first, weak comparison, ``*`` and
lists, then If-Modified-Since; If-Match gives 412). We call it directly
because ``make_conditional`` adds a Date header and gunicorn always adds its
own, which would send two. gzip is chosen by Accept-Encoding and has its own
ETag; ``Vary: Accept-Encoding`` is sent on 200 and 304. max-age never runs
past the next scheduled article. No cookie, no Expires.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.datastructures import MIMEAccept
from werkzeug.exceptions import HTTPException
from werkzeug.http import (
    http_date,
    is_resource_modified,
    parse_accept_header,
    parse_etags,
    quote_etag,
)

from .documents import Documents, Result, max_age
from .publisher import Publisher, utcnow
from .site import ATOM, RSS, Document

log = logging.getLogger(__name__)
bp = Blueprint("feedsvc", __name__)
METHODS = ["GET", "HEAD"]
CONDITIONAL = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH")
BROWSER_XML = {ATOM, RSS}  # feeds a browser is given as application/xml, for feed.xsl
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' https: http: data:; "
        "media-src https: http:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
    ),
}


class NotModified(Response):
    """A 304: no body, so no Content-Type to add and then take away."""

    default_mimetype = None


def publisher() -> Publisher:
    return current_app.extensions["feedsvc"]


class Variant(NamedTuple):
    """One representation of a document, with every header but Cache-Control."""

    body: bytes
    etag: str
    last_modified: datetime | None
    headers: list[tuple[str, str]]
    headers_304: list[tuple[str, str]]  # what RFC 9110 15.4.5 asks of a 304, bar Cache-Control


def _variant(document: Document, gzipped: bool, browser: bool) -> Variant:
    """Return DOCUMENT's identity or gzip representation, for a browser or not, computed once."""
    cached = document.http
    variant = cached.get((gzipped, browser))
    if variant is None:
        body, etag = (
            (document.gzip_body, document.gzip_etag) if gzipped else (document.body, document.etag)
        )
        content_type = "application/xml; charset=utf-8" if browser else document.content_type
        vary = "Accept-Encoding, Accept" if document.mimetype in BROWSER_XML else "Accept-Encoding"
        headers = [("Content-Type", content_type), ("Vary", vary)]
        if gzipped:
            headers.append(("Content-Encoding", "gzip"))
        if document.mimetype == "text/html":
            headers.extend(SECURITY_HEADERS.items())
        else:
            headers.append(("X-Content-Type-Options", "nosniff"))
        headers.append(("ETag", quote_etag(etag)))
        if document.last_modified is not None:
            headers.append(("Last-Modified", http_date(document.last_modified)))
        headers_304 = [("Vary", vary), ("ETag", quote_etag(etag))]
        variant = cached[gzipped, browser] = Variant(
            body, etag, document.last_modified, headers, headers_304
        )
    return variant


@lru_cache(maxsize=256)
def accepts_gzip(accept_encoding: str) -> bool:
    """Say whether an Accept-Encoding header value takes gzip."""
    return "gzip" in accept_encoding and parse_accept_header(accept_encoding)["gzip"] > 0


@lru_cache(maxsize=256)
def prefers_html(accept: str, mimetype: str) -> bool:
    """Say whether a client sending ACCEPT (a browser) prefers text/html to MIMETYPE."""
    return (
        "text/html" in accept
        and parse_accept_header(accept, MIMEAccept).best_match([mimetype, "text/html"])
        == "text/html"
    )


def variant_for(environ: dict[str, Any], document: Document, status: int = 200) -> Variant:
    """Return the representation of DOCUMENT that the request in ENVIRON gets."""
    gzipped = status == 200 and accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", ""))
    # Chromium shows application/atom+xml and rss+xml as plain text and never applies their
    # XSL stylesheet: a browser (which prefers text/html) gets the same bytes as
    # application/xml. Feed readers, and clients that send no Accept, are unaffected.
    browser = document.mimetype in BROWSER_XML and prefers_html(
        environ.get("HTTP_ACCEPT", ""), document.mimetype
    )
    return _variant(document, gzipped, browser)


def conditional(
    environ: dict[str, Any], variant: Variant, cache_control: tuple[str, str]
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Return the status, headers and body that answer ENVIRON's validators for VARIANT."""
    if not any(name in environ for name in CONDITIONAL) or is_resource_modified(
        environ, variant.etag, last_modified=variant.last_modified
    ):
        return 200, [*variant.headers, cache_control], variant.body
    if "HTTP_IF_MATCH" in environ and parse_etags(environ["HTTP_IF_MATCH"]):
        return 412, [*variant.headers, cache_control], b""  # as make_conditional answers
    return 304, [*variant.headers_304, cache_control], b""


def cache_control_header(documents: Documents) -> str:
    if documents.snapshot.next_due is None:
        return f"public, max-age={documents.site.cache_max_age}"
    return f"public, max-age={max_age(documents.site, documents.snapshot, utcnow())}"


def respond(document: Document, status: int, documents: Documents) -> Response:
    """Return DOCUMENT as a response, 304 when the request's validators match."""
    variant = variant_for(request.environ, document, status)
    if status != 200:
        headers = [h for h in variant.headers if h[0] not in ("ETag", "Last-Modified")]
        headers.append(("Cache-Control", "no-cache"))
        return Response(variant.body, status=status, headers=headers)
    cache_control = ("Cache-Control", cache_control_header(documents))
    status, headers, body = conditional(request.environ, variant, cache_control)
    return (NotModified if status == 304 else Response)(body, status=status, headers=headers)


# No automatic OPTIONS: every other method, OPTIONS too, is a 405 with "Allow: GET, HEAD".
@bp.route(
    "/",
    defaults={"path": ""},
    methods=METHODS,
    strict_slashes=False,
    provide_automatic_options=False,
)
@bp.route("/<path:path>", methods=METHODS, provide_automatic_options=False)
def serve(path: str) -> Response:
    """Answer PATH from the current documents."""
    documents = publisher().current(utcnow())
    result: Result = documents.resolve(path)
    if result.location is not None:
        response = Response(status=result.status, headers={"Location": result.location})
        response.headers["Cache-Control"] = f"public, max-age={documents.site.cache_max_age}"
        return response
    return respond(result.document, result.status, documents)


def _error_page(status: int) -> Response:
    documents = publisher().documents
    response = respond(documents.error(status, request.path.lstrip("/")), status, documents)
    return response


def handle_http_error(error: HTTPException) -> Response:
    """Answer a routing error with our page, keeping Werkzeug's headers (such as Allow)."""
    if error.code in (404, 410):
        return _error_page(error.code)
    response = error.get_response()
    response.headers.pop("Set-Cookie", None)
    response.headers.update(SECURITY_HEADERS)  # Werkzeug's page is HTML too
    return response


def handle_exception(error: Exception) -> Response:
    """Log an unexpected error and answer a plain 500 page, never a traceback."""
    log.exception("error while serving %s", request.path)
    body = b"<!DOCTYPE html>\n<title>Server error</title>\n<h1>Server error</h1>\n"
    return Response(
        body,
        status=500,
        content_type="text/html; charset=utf-8",
        headers={"Cache-Control": "no-store", **SECURITY_HEADERS},
    )


def register(app: Flask) -> None:
    """Register the blueprint and the error handlers on APP."""
    app.register_blueprint(bp)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_exception)
