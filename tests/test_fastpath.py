"""The WSGI fast path answers exactly what the Flask route answers, byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import app_config
from werkzeug.test import EnvironBuilder, run_wsgi_app

from feedsvc import create_app
from feedsvc.web.fastpath import FastPath

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
PATHS = [
    "/",
    "/feed.atom",
    "/feed.rss",
    "/feed.json",
    "/static/style.css",
    "/articles/night-market-guide",
    "/tags/{tag}/",
    "/tags/{tag}/feed.atom",
    "/archive/{month}.atom",
]


def _parts(app, path: str, method: str = "GET", headers: dict[str, str] | None = None):
    environ = EnvironBuilder(method=method, headers=headers or {}).get_environ()
    environ["PATH_INFO"] = path  # as the server gives it: EnvironBuilder reads // as a host
    body, status, response_headers = run_wsgi_app(app, environ)
    return status, list(response_headers), b"".join(body)


@pytest.fixture
def fast(articles: Path) -> FastPath:
    app = create_app(app_config(articles))
    fast = app.wsgi_app.app.app  # inside the limits and prefix middlewares
    assert isinstance(fast, FastPath)
    return fast


def _fill(fast: FastPath, path: str) -> str:
    documents = fast.publisher.documents
    tag = next(iter(documents.snapshot.tags))
    month = next(iter(documents.months))
    return path.format(tag=tag, month=month)


def _requests(fast: FastPath, path: str):
    status, headers, _ = _parts(fast.app, path)
    assert status == "200 OK", path
    etag = dict(headers)["ETag"]
    last_modified = dict(headers).get("Last-Modified", "Tue, 01 Jan 2030 00:00:00 GMT")
    gz_etag = dict(_parts(fast.app, path, headers={"Accept-Encoding": "gzip"})[1])["ETag"]
    return [
        ("GET", {}),
        ("HEAD", {}),
        ("GET", {"Accept-Encoding": "gzip, deflate"}),
        ("HEAD", {"Accept-Encoding": "gzip"}),
        ("GET", {"Accept-Encoding": "gzip;q=0, identity"}),
        ("GET", {"Accept": BROWSER}),
        ("GET", {"Accept": BROWSER, "Accept-Encoding": "gzip"}),
        ("GET", {"Accept": "application/atom+xml, text/html;q=0.1"}),
        ("GET", {"If-None-Match": etag}),
        ("GET", {"If-None-Match": f"W/{etag}"}),
        ("GET", {"If-None-Match": "*"}),
        ("GET", {"If-None-Match": f'"nope", {etag}'}),
        ("GET", {"If-None-Match": gz_etag, "Accept-Encoding": "gzip"}),
        ("GET", {"If-None-Match": gz_etag}),
        ("HEAD", {"If-None-Match": etag}),
        ("GET", {"If-Modified-Since": last_modified}),
        ("GET", {"If-None-Match": '"nope"', "If-Modified-Since": last_modified}),
        ("GET", {"If-Modified-Since": "garbage"}),
        ("GET", {"If-Match": '"nope"'}),
        ("GET", {"If-Match": etag}),
        ("GET", {"If-Match": "*"}),
        ("GET", {"If-Match": etag, "If-None-Match": etag}),
        ("GET", {"If-Match": '"nope"', "Accept-Encoding": "gzip"}),
        ("GET", {"If-Modified-Since": f"Mon, 01 Jan 1990 00:00:00 GMT, {last_modified}"}),
        ("GET", {"Accept": BROWSER, "If-None-Match": etag}),
    ]


@pytest.mark.parametrize("path", PATHS)
def test_fast_path_answers_what_flask_answers(fast: FastPath, path: str) -> None:
    path = _fill(fast, path)
    for method, headers in _requests(fast, path):
        flask = _parts(fast.app, path, method, headers)
        ours = _parts(fast, path, method, headers)
        assert ours == flask, (path, method, headers)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/feed.atom"),
        ("HEAD", "/feed.atom"),
        ("GET", "/articles/night-market-guide"),
    ],
)
def test_fast_path_serves_rendered_documents_without_flask(
    fast: FastPath, method: str, path: str
) -> None:
    expected = _parts(fast.app, path, method)
    flask, fast.app = fast.app, _never
    try:
        assert _parts(fast, path, method) == expected
        assert _parts(fast, path, method, {"If-None-Match": dict(expected[1])["ETag"]})[0] == (
            "304 NOT MODIFIED"
        )
    finally:
        fast.app = flask


def _never(environ, start_response):
    raise AssertionError(f"fell through to Flask: {environ['PATH_INFO']}")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/feed.atom"),
        ("OPTIONS", "/feed.atom"),
        ("GET", "/nowhere"),
        ("GET", "/articles/no-such-article"),
        ("GET", "//feed.atom"),
        ("GET", "/page/1/"),
        ("GET", "/tags"),
    ],
)
def test_everything_else_falls_through_to_flask(fast: FastPath, method: str, path: str) -> None:
    calls = []
    flask = fast.app

    def spy(environ, start_response):
        calls.append(environ["PATH_INFO"])
        return flask(environ, start_response)

    fast.app = spy
    try:
        ours = _parts(fast, path, method)
    finally:
        fast.app = flask
    assert calls == [path]
    assert ours == _parts(flask, path, method)


def test_conditional_requests_follow_rfc_9110(fast: FastPath) -> None:
    """RFC 9110 13.2.2: If-Match first (strong; ``*`` is true when the feed exists), then
    If-None-Match, which decides alone; If-Modified-Since only without it, and only as one
    HTTP-date (13.1.3: a list is invalid, so ignored). A 412 carries no representation's
    headers. A browser's representation (application/xml, 8.8.3) has its own strong ETag,
    so a cache revalidating it with a feed reader's ETag gets the browser's bytes."""
    status, headers, _ = _parts(fast, "/feed.atom")
    etag, modified = dict(headers)["ETag"], dict(headers)["Last-Modified"]

    def status_of(**sent: str) -> str:
        return _parts(
            fast, "/feed.atom", "GET", {k.replace("_", "-"): v for k, v in sent.items()}
        )[0]

    assert status_of(If_Match="*") == "200 OK"
    assert status_of(If_Match=etag, If_None_Match=etag) == "304 NOT MODIFIED"
    assert status_of(If_Match=f"W/{etag}") == "412 PRECONDITION FAILED"  # weak never matches
    refused = _parts(fast, "/feed.atom", "GET", {"If-Match": '"x"', "Accept-Encoding": "gzip"})
    assert not {"ETag", "Content-Encoding", "Last-Modified"} & dict(refused[1]).keys()
    assert status_of(If_None_Match='"x"', If_Modified_Since=modified) == "200 OK"
    assert status_of(If_Modified_Since=modified) == "304 NOT MODIFIED"
    assert status_of(If_Modified_Since=f"{modified}, Mon, 01 Jan 1990 00:00:00 GMT") == "200 OK"
    browser = _parts(fast, "/feed.atom", "GET", {"Accept": BROWSER})
    assert dict(browser[1])["ETag"] not in (etag, "") and browser[0] == "200 OK"
    assert _parts(fast, "/feed.atom", "GET", {"Accept": BROWSER, "If-None-Match": etag})[0] == (
        "200 OK"
    )
