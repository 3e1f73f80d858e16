"""The HTTP rules, as pure functions on header values: no Flask, no request, no clock.

Both the Flask route and the WSGI fast path call these, so they answer with
the same status, headers and bytes. Conditional requests are decided in the
order of RFC 9110 13.2.2: If-Match (strong comparison, ``*``: 412 when false),
then If-None-Match (weak comparison, ``*`` and lists: 304), and only without
it If-Modified-Since (one valid HTTP-date, else ignored). Werkzeug parses the
header values; its ``make_conditional`` is not used, as it adds a Date header
and the server always adds its own. Each representation has its own strong
ETag: gzip is chosen by Accept-Encoding, and a browser gets a feed as
application/xml (``negotiate``); ``Vary`` names both headers. max-age never
runs past the next scheduled article. No cookie, no Expires.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from werkzeug.datastructures import MIMEAccept
from werkzeug.http import http_date, parse_accept_header, parse_date, parse_etags, quote_etag

from ..render.document import Document
from ..render.formats import BROWSER_XML, HTML

Headers = list[tuple[str, str]]
BROWSER_ETAG = "-xml"  # what a browser's representation of a feed adds to its ETag
RETRY_AFTER = 300  # seconds: a broken article file is fixed by hand, not in a moment
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' https: http: data:; "
        "media-src https: http:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
    ),
}

MAX_TARGET = 4094  # bytes of path and query: gunicorn's limit on the request line
MAX_HEAD_BYTES = 16_384  # bytes of request line and headers; past this, 431


def target_too_long(environ: Mapping[str, Any]) -> bool:
    """Say whether the request's path and query pass MAX_TARGET (gunicorn refuses those)."""
    return len(environ.get("PATH_INFO", "")) + len(environ.get("QUERY_STRING", "")) > MAX_TARGET


_BODY_FIELDS = frozenset(("CONTENT_TYPE", "CONTENT_LENGTH"))  # header fields without HTTP_


def head_size(environ: Mapping[str, Any], ignore: AbstractSet[str] = frozenset()) -> int:
    """Return the bytes of the request line and headers, as rebuilt from ENVIRON.

    The target counts as the server hands it on (gunicorn's RAW_URI, else the decoded
    path), and repeated fields as joined in one: never more than was sent. IGNORE names
    keys that are no header field (a speed-up: granian's environ holds the process's).
    """
    target = environ.get("RAW_URI") or (
        environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    )
    query = environ.get("QUERY_STRING", "")
    if query and "RAW_URI" not in environ:
        target += "?" + query
    size = len(environ.get("REQUEST_METHOD", "")) + len(target)
    size += len(environ.get("SERVER_PROTOCOL", "")) + 4  # two spaces and CRLF
    for key in environ.keys() - ignore if ignore else environ:
        if key[:5] == "HTTP_":
            size += len(key) - 1 + len(environ[key])  # "Name: value" and CRLF: - 5 + 4
        elif key in _BODY_FIELDS and environ[key]:
            size += len(key) + len(environ[key]) + 4
    return size + 2  # the empty line


def head_too_large(environ: Mapping[str, Any], ignore: AbstractSet[str] = frozenset()) -> bool:
    """Say whether the request line and headers pass MAX_HEAD_BYTES (see ``head_size``)."""
    return head_size(environ, ignore) > MAX_HEAD_BYTES


def surely_small(environ: dict[str, Any]) -> bool:
    """Say whether a server's ENVIRON of a few keys holds a head within MAX_HEAD_BYTES.

    A cheap bound: every key and string value, as a header line each, is within it. None
    of a head's bytes are left out: its request line and fields are among these.
    False when unsure (a value other than the input stream is no string).
    """
    strings = environ.copy()
    strings.pop("wsgi.input", None)
    try:
        bound = sum(map(len, strings)) + sum(map(len, strings.values())) + 4 * len(strings)
    except TypeError:
        return False
    return bound + 6 <= MAX_HEAD_BYTES  # the request line's two spaces and CRLF, the last CRLF


def malformed_page(status: int, reason: str) -> tuple[bytes, dict[str, str]]:
    """Return our page and headers for a request the server cannot read; it echoes nothing."""
    body = (
        f"<!DOCTYPE html>\n<html lang=en><meta charset=utf-8>\n<title>{status} {reason}</title>\n"
        f"<h1>{reason}</h1>\n<p>The server could not read this request.</p>\n"
    ).encode()
    headers = {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Length": str(len(body)),
        "Cache-Control": "no-store",
        **SECURITY_HEADERS,
    }
    return body, headers


class Validators(NamedTuple):
    """A request's conditional headers, as sent (None when absent)."""

    if_none_match: str | None = None
    if_modified_since: str | None = None
    if_match: str | None = None

    @property
    def any(self) -> bool:
        return self != _NONE


_NONE = Validators()
_new = tuple.__new__


class Variant(NamedTuple):
    """One representation of a document, with every header but Cache-Control."""

    body: bytes
    etag: str
    last_modified: datetime | None
    headers: Headers
    headers_304: Headers  # what RFC 9110 15.4.5 asks of a 304, bar Cache-Control
    quoted_etag: str


# A page bundle's SVG (or a theme's) opened on its own runs nothing: no script, no form,
# an opaque origin (CSP sandbox), whatever the file holds.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


def _variant(document: Document, gzipped: bool, browser: bool) -> Variant:
    """Return DOCUMENT's identity or gzip representation, for a browser or not, computed once."""
    cached = document.http
    variant: Variant | None = cached.get((gzipped, browser))
    if variant is None:
        body, etag = (
            (document.gzip_body, document.gzip_etag) if gzipped else (document.body, document.etag)
        )
        if browser:  # another Content-Type: another representation, another strong ETag
            etag += BROWSER_ETAG
        content_type = "application/xml; charset=utf-8" if browser else document.content_type
        vary = "Accept-Encoding, Accept" if document.mimetype in BROWSER_XML else "Accept-Encoding"
        headers = [("Content-Type", content_type), ("Vary", vary)]
        if gzipped:
            headers.append(("Content-Encoding", "gzip"))
        if document.mimetype == HTML:
            headers.extend(SECURITY_HEADERS.items())
        else:
            headers.append(("X-Content-Type-Options", "nosniff"))
        if document.mimetype == "image/svg+xml":
            headers.append(("Content-Security-Policy", SVG_POLICY))
        headers.append(("ETag", quote_etag(etag)))
        if document.last_modified is not None:
            headers.append(("Last-Modified", http_date(document.last_modified)))
        if document.link:
            headers.append(("Link", document.link))
        quoted = quote_etag(etag)
        headers_304 = [("Vary", vary), ("ETag", quoted)]
        variant = cached[gzipped, browser] = Variant(
            body, etag, document.last_modified, headers, headers_304, quoted
        )
    return variant


@lru_cache(maxsize=256)
def accepts_gzip(accept_encoding: str) -> bool:
    """Say whether an Accept-Encoding header value takes gzip (RFC 9110 12.5.3): named in
    any case, or as x-gzip, with a weight above 0; else `*` (any coding not named) so."""
    named, anything = None, 0.0
    for coding, weight in parse_accept_header(accept_encoding.lower()):
        if coding in ("gzip", "x-gzip"):
            named = max(named or 0.0, weight)
        elif coding == "*":
            anything = weight
    return (anything if named is None else named) > 0


@lru_cache(maxsize=256)
def prefers_html(accept: str, mimetype: str) -> bool:
    """Say whether a client sending ACCEPT (a browser) prefers text/html to MIMETYPE."""
    return (
        "text/html" in accept
        and parse_accept_header(accept, MIMEAccept).best_match([mimetype, "text/html"])
        == "text/html"
    )


def negotiate(document: Document, accept_encoding: str, accept: str, status: int = 200) -> Variant:
    """Return the representation of DOCUMENT for a request sending these Accept headers."""
    gzipped = status == 200 and document.compress and accepts_gzip(accept_encoding)
    # Chromium shows application/atom+xml and rss+xml as plain text and never applies their
    # XSL stylesheet: a browser (which prefers text/html) gets the same bytes as
    # application/xml. Feed readers, and clients that send no Accept, are unaffected.
    browser = document.mimetype in BROWSER_XML and prefers_html(accept, document.mimetype)
    return _variant(document, gzipped, browser)


def conditional(
    validators: Validators, variant: Variant, cache_control: tuple[str, str]
) -> tuple[int, Headers, bytes]:
    """Return the status, headers and body that answer VALIDATORS for VARIANT."""
    if validators.if_none_match == variant.quoted_etag and validators.if_match is None:
        # A poller sending back the ETag it got: If-None-Match decides, and it matches
        # (RFC 9110 13.2.2), what is_resource_modified would find after parsing it.
        return 304, [*variant.headers_304, cache_control], b""
    if not validators.any:
        return 200, [*variant.headers, cache_control], variant.body
    if validators.if_match is not None:
        wanted = parse_etags(validators.if_match)
        if not (wanted.star_tag or wanted.is_strong(variant.etag)):
            return 412, [("Cache-Control", "no-cache")], b""  # no representation's headers
    if validators.if_none_match is not None:
        if parse_etags(validators.if_none_match).contains_weak(variant.etag):
            return 304, [*variant.headers_304, cache_control], b""
    elif _not_modified_since(validators.if_modified_since, variant.last_modified):
        return 304, [*variant.headers_304, cache_control], b""
    return 200, [*variant.headers, cache_control], variant.body


def _not_modified_since(value: str | None, last_modified: datetime | None) -> bool:
    """Say whether If-Modified-Since VALUE (one HTTP-date, else ignored) is not before
    LAST_MODIFIED."""
    if value is None or last_modified is None or value.count(",") > 1:  # a list: invalid
        return False
    since = parse_date(value)
    return since is not None and last_modified.replace(microsecond=0) <= since


def answer(
    environ: Mapping[str, Any], document: Document, cache_control: tuple[str, str]
) -> tuple[str, Headers, list[bytes]]:
    """Return the WSGI status, headers and body that answer a GET or HEAD of DOCUMENT."""
    variant = negotiate(
        document, environ.get("HTTP_ACCEPT_ENCODING", ""), environ.get("HTTP_ACCEPT", "")
    )
    code, headers, body = conditional(validators(environ), variant, cache_control)
    if code == 304:
        return "304 NOT MODIFIED", headers, []
    headers.append(("Content-Length", str(len(body))))
    status = "200 OK" if code == 200 else "412 PRECONDITION FAILED"  # the fast paths: never
    return status, headers, [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]


def error_headers(variant: Variant, status: int = 404) -> Headers:
    """Return the headers of an error page: never cached, with no validators.

    A 503 (an article whose file does not parse) says when to try again.
    """
    headers = [h for h in variant.headers if h[0] not in ("ETag", "Last-Modified")]
    headers.append(("Cache-Control", "no-cache"))
    if status == 503:
        headers.append(("Retry-After", str(RETRY_AFTER)))
    return headers


def max_age(cache_max_age: int, next_due: datetime | None, now: datetime) -> int:
    """Return the seconds a response may be cached: never past the next scheduled article."""
    if next_due is None:
        return cache_max_age
    return max(0, min(cache_max_age, int((next_due - now).total_seconds())))


def cache_control(cache_max_age: int, next_due: datetime | None, now: datetime) -> str:
    """Return the Cache-Control value of a 200 or 304."""
    return f"public, max-age={max_age(cache_max_age, next_due, now)}"


def validators(environ: Mapping[str, Any]) -> Validators:
    """Return the conditional headers of a WSGI ENVIRON."""
    get = environ.get
    sent = (get("HTTP_IF_NONE_MATCH"), get("HTTP_IF_MODIFIED_SINCE"), get("HTTP_IF_MATCH"))
    return _new(Validators, sent)  # tuple's own: a NamedTuple's Python __new__ costs more
