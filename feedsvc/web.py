"""HTTP: the only module that touches the request.

Every GET and HEAD is answered from a pre-rendered ``Document``; conditional
requests are left to Werkzeug (``make_conditional``: If-None-Match first,
strong, weak and ``*``, then If-Modified-Since). gzip is chosen by
Accept-Encoding and has its own ETag; ``Vary: Accept-Encoding`` is always
sent. No cookie is ever set. Absolute URLs come from BASE_URL only.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException

from .documents import Documents, Result, max_age
from .publisher import Publisher, utcnow
from .site import Document

log = logging.getLogger(__name__)
bp = Blueprint("feedsvc", __name__)
METHODS = ["GET", "HEAD"]
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' https: http: data:; "
        "media-src https: http:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
    ),
}


def publisher() -> Publisher:
    return current_app.extensions["feedsvc"]


def respond(document: Document, status: int, documents: Documents) -> Response:
    """Return DOCUMENT as a response, 304 when the request's validators match."""
    gzipped = request.accept_encodings["gzip"] > 0 and status == 200
    response = Response(
        document.gzip_body if gzipped else document.body,
        status=status,
        content_type=document.content_type,
    )
    headers = response.headers
    headers["Vary"] = "Accept-Encoding"
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    if document.mimetype == "text/html":
        headers.update(SECURITY_HEADERS)
    else:
        headers["X-Content-Type-Options"] = "nosniff"
    if status != 200:
        headers["Cache-Control"] = "no-cache"
        return response
    site = documents.site
    age = max_age(site, documents.snapshot, utcnow())
    headers["Cache-Control"] = f"public, max-age={age}"
    response.set_etag(document.gzip_etag if gzipped else document.etag)
    if document.last_modified is not None:
        response.last_modified = document.last_modified
    return response.make_conditional(request)


@bp.route("/", defaults={"path": ""}, methods=METHODS, strict_slashes=False)
@bp.route("/<path:path>", methods=METHODS)
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
    return Response(body, status=500, content_type="text/html; charset=utf-8",
                    headers={"Cache-Control": "no-store", **SECURITY_HEADERS})


def register(app: Flask) -> None:
    """Register the blueprint and the error handlers on APP."""
    app.register_blueprint(bp)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_exception)
