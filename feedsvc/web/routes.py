"""The Flask blueprint: the only module that touches the request.

Every GET and HEAD is answered from a pre-rendered ``Document``, by the rules
in ``http``; the clock is read once per request. Other methods answer 405
with ``Allow: GET, HEAD``; routing errors get our error page.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import cast

from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException

from ..render.document import Document
from ..render.router import Documents
from . import http
from .publisher import Publisher
from .watch import utcnow

log = logging.getLogger(__name__)
bp = Blueprint("feedsvc", __name__)
METHODS = ["GET", "HEAD"]


class NotModified(Response):
    """A 304: no body, so no Content-Type to add and then take away."""

    default_mimetype = None


def publisher() -> Publisher:
    return cast(Publisher, current_app.extensions["feedsvc"])


def respond(document: Document, status: int, documents: Documents, now: datetime) -> Response:
    """Return DOCUMENT as the answer at NOW, 304 when the request's validators match."""
    environ = request.environ
    variant = http.negotiate(
        document, environ.get("HTTP_ACCEPT_ENCODING", ""), environ.get("HTTP_ACCEPT", ""), status
    )
    if status != 200:
        return Response(variant.body, status=status, headers=http.error_headers(variant, status))
    site, snapshot = documents.site, documents.snapshot
    cache_control = (
        "Cache-Control",
        http.cache_control(site.cache_max_age, snapshot.next_due, now),
    )
    status, headers, body = http.conditional(http.validators(environ), variant, cache_control)
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
    now = utcnow()
    documents = publisher().current(now)
    result = documents.resolve(path)
    if result.location is not None:
        response = Response(status=result.status, headers={"Location": result.location})
        response.headers["Cache-Control"] = f"public, max-age={documents.site.cache_max_age}"
        return response
    assert result.document is not None
    return respond(result.document, result.status, documents, now)


def _error_page(status: int) -> Response:
    documents = publisher().documents
    return respond(documents.error(status), status, documents, utcnow())


def handle_http_error(error: HTTPException) -> Response:
    """Answer a routing error with our page, keeping Werkzeug's headers (such as Allow)."""
    if error.code in (404, 410):
        return _error_page(error.code)
    response = error.get_response()
    response.headers.pop("Set-Cookie", None)
    response.headers.update(http.SECURITY_HEADERS)  # Werkzeug's page is HTML too
    return cast(Response, response)


def handle_exception(error: Exception) -> Response:
    """Log an unexpected error and answer a plain 500 page, never a traceback."""
    log.exception("error while serving %s", request.path)
    body = b"<!DOCTYPE html>\n<title>Server error</title>\n<h1>Server error</h1>\n"
    return Response(
        body,
        status=500,
        content_type="text/html; charset=utf-8",
        headers={"Cache-Control": "no-store", **http.SECURITY_HEADERS},
    )


def register(app: Flask) -> None:
    """Register the blueprint and the error handlers on APP."""
    app.register_blueprint(bp)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_exception)
