"""Fuzz the HTTP layer: arbitrary paths, methods and headers never make a 500 or a traceback.

Bounded: a fixed number of examples per property, no deadline surprises.
"""

from __future__ import annotations

import logging
import shutil
from urllib.parse import unquote_to_bytes

import pytest
from conftest import SAMPLES, app_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedsvc import create_app

EXPECTED = {200, 206, 301, 304, 400, 404, 405, 410, 412, 416}
SEGMENTS = [
    "",
    ".",
    "..",
    "%2e",
    "%2e%2e",
    "%2f",
    "%5c",
    "%00",
    "%252e",
    "\\",
    "~",
    "feed.atom",
    "feed.rss",
    "feed.json",
    "articles",
    "tags",
    "city",
    "static",
    "style.css",
    "archive",
    "2026-10.atom",
    "page",
    "2",
    "harbour-bridge-reopens",
    "é",
    "%ff",
    "\u202e",
    ";",
    "?",
    "#",
    "&",
    "=",
    "*",
    "%",
]
HEADER_NAMES = [
    "If-None-Match",
    "If-Modified-Since",
    "If-Match",
    "If-Unmodified-Since",
    "If-Range",
    "Range",
    "Accept-Encoding",
    "Accept",
    "Host",
    "X-Forwarded-For",
    "X-Forwarded-Host",
    "X-Forwarded-Proto",
    "X-Forwarded-Prefix",
    "Cookie",
    "Content-Length",
    "Content-Type",
    "Transfer-Encoding",
    "Authorization",
    "Referer",
    "User-Agent",
    "Cache-Control",
    "Connection",
    "Expect",
]
header_values = st.one_of(
    st.text(
        st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"), max_size=80
    ),
    st.sampled_from(
        [
            '"abc"',
            'W/"x", *',
            "*",
            "bytes=0-10",
            "bytes=-5,0-",
            "bytes=9-1",
            "gzip;q=0",
            "gzip, br, *;q=0.5",
            "Thu, 01 Jan 1970 00:00:00 GMT",
            "Tue, 24 Nov 9999 18:00:00 GMT",
            "not a date",
            "-1",
            "99999999999999999",
        ]
    ),
)


@pytest.fixture(scope="module")
def fuzz_client(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("fuzz") / "articles"
    shutil.copytree(SAMPLES, folder)
    return create_app(app_config(folder, RESCAN_INTERVAL=3600)).test_client()


def assert_handled(response, caplog: pytest.LogCaptureFixture) -> None:
    assert response.status_code in EXPECTED, response.status_code
    assert b"Traceback" not in response.data
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    segments=st.lists(st.one_of(st.sampled_from(SEGMENTS), st.text(max_size=12)), max_size=6),
    trailing=st.booleans(),
)
def test_any_path_is_answered_without_error(fuzz_client, caplog, segments, trailing) -> None:
    caplog.clear()
    raw = ("/" + "/".join(segments) + ("/" if trailing else "")).encode()
    # PATH_INFO exactly as a WSGI server builds it: percent-decoded bytes, read as Latin-1.
    environ = {
        "PATH_INFO": unquote_to_bytes(raw.split(b"?", 1)[0]).decode("latin-1"),
        "RAW_URI": raw.decode("latin-1"),
    }
    assert_handled(fuzz_client.get("/", environ_overrides=environ), caplog)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    method=st.one_of(
        st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH"]),
        st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ-_"), min_size=1, max_size=12),
    ),
    path=st.sampled_from(
        [
            "/",
            "/feed.atom",
            "/feed.json",
            "/articles/harbour-bridge-reopens",
            "/tags/city/",
            "/static/style.css",
            "/nope",
            "/articles/nope",
        ]
    ),
    headers=st.dictionaries(st.sampled_from(HEADER_NAMES), header_values, max_size=6),
)
def test_any_method_and_headers_are_answered_without_error(
    fuzz_client, caplog, method, path, headers
) -> None:
    caplog.clear()
    headers.pop("Content-Length", None)  # the test client computes its own
    headers.pop("Transfer-Encoding", None)
    response = fuzz_client.open(path, method=method, headers=headers)
    assert_handled(response, caplog)
    if method not in {"GET", "HEAD"} and not (response.status_code == 400 and "Host" in headers):
        # (a malformed Host, such as ".", is a 400 from Werkzeug's routing, as RFC 9112 asks)
        assert response.status_code == 405
        assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}


def test_the_raw_path_reaches_the_app(fuzz_client) -> None:
    """The fuzzed PATH_INFO is what the app routes on, not the test client's "/"."""
    assert fuzz_client.get("/", environ_overrides={"PATH_INFO": "/nope"}).status_code == 404
    assert fuzz_client.get("/", environ_overrides={"PATH_INFO": "/feed.atom"}).status_code == 200
