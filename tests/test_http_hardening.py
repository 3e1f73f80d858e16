"""HTTP: GET and HEAD only, no way out of our URL space, no debug page, limits enforced.

Most cases go through the Flask test client; those that depend on the real
server (raw bytes, request line and header limits, a 500 under gunicorn) go
over loopback to `feedsvc serve`.
"""

from __future__ import annotations

import logging
import shutil
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import SAMPLES, Server, app_config, start_server, stop_server
from hypothesis import given, settings
from hypothesis import strategies as st

from feedsvc import create_app
from feedsvc.render.router import Documents
from feedsvc.web import http, limits
from feedsvc.web.granian_server import READ_BUFFER_BYTES as GRANIAN_READ_BUFFER

ROUTES = [
    "",
    "feed.atom",
    "articles/harbour-bridge-reopens",
    "tags/city/",
    "tags/city/feed.atom",
    "archive/2026-10.atom",
    "static/style.css",
]
PREFIXES = ["", "static/", "articles/", "tags/", "tags/city/", "archive/", "page/"]
TRAVERSALS = [
    "../pyproject.toml",
    "../../pyproject.toml",
    "../../../../../../etc/passwd",
    "..%2fpyproject.toml",
    "..%2F..%2Fpyproject.toml",
    "%2e%2e%2fpyproject.toml",
    "%2E%2E/%2E%2E/etc/passwd",
    "%252e%252e%252fpyproject.toml",
    "..%252f..%252fetc%252fpasswd",
    "..\\..\\pyproject.toml",
    "..%5c..%5cpyproject.toml",
    "%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
    "....//....//etc/passwd",
    "..;/etc/passwd",
    "style.css%00.toml",
    "%00../../etc/passwd",
    "/etc/passwd",
    "%2fetc%2fpasswd",
    "../state.sqlite3",
    "../articles/harbour-bridge-reopens.txt",
    "../feedsvc/__init__.py",
    "static/../../feedsvc/__init__.py",
    "..",
    ".",
    "%2e",
    "~root/.bashrc",
]
# What would show that a file outside the static folders was served.
SECRETS = [
    b"root:x:0:0",
    b"[build-system]",
    b"SQLite format 3",
    b"Date: 2026-10-02",
    b"def create_app",
    b"Traceback",
]


@pytest.fixture
def app(articles: Path):
    shutil.copyfile(
        Path(__file__).parent.parent / "pyproject.toml", articles.parent / "pyproject.toml"
    )
    return create_app(app_config(articles))


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    "method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "PROPFIND", "BREW"]
)
def test_only_get_and_head_are_allowed(client, route: str, method: str) -> None:
    response = client.open("/" + route, method=method)
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["Allow"].split(",")} == {"GET", "HEAD"}
    assert b"Traceback" not in response.data
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("route", ROUTES)
def test_get_and_head_answer_every_route(client, route: str) -> None:
    get = client.get("/" + route)
    head = client.head("/" + route)
    assert get.status_code == head.status_code == 200
    assert head.data == b""
    assert head.headers["ETag"] == get.headers["ETag"]


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("attack", TRAVERSALS)
def test_path_traversal_is_a_404(client, prefix: str, attack: str) -> None:
    response = client.get("/" + prefix + attack)
    assert response.status_code == 404, (prefix + attack, response.headers.get("Location"))
    for secret in SECRETS:
        assert secret not in response.data


@pytest.mark.parametrize(
    "path",
    [
        "/static/",
        "/static",
        "/articles/",
        "/articles",
        "/tags/",
        "/tags",
        "/archive/",
        "/page/",
        "/static/.",
        "/static/..",
    ],
)
def test_no_directory_listing(client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.data == client.get("/no-such-page").data  # our one 404 page, no listing


def test_host_header_never_reaches_a_url(client) -> None:
    response = client.get(
        "/feed.atom", headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    )
    assert response.status_code == 200
    assert b"evil.example" not in response.data


@pytest.mark.parametrize("size", [http.MAX_HEAD_BYTES, 100_000])
def test_a_head_over_the_limit_gets_our_431_page(client, size: int) -> None:
    response = client.get("/feed.atom", headers={"X-Long": "v" * size})
    assert response.status_code == 431
    assert response.headers["Cache-Control"] == "no-store"
    for name, value in http.SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert b"vvv" not in response.data
    assert client.get("/feed.atom", headers={"X-Long": "v" * 8_000}).status_code == 200


def test_the_head_size_is_the_bytes_sent_whatever_else_the_environ_holds() -> None:
    sent = b"GET /x?q=1 HTTP/1.1\r\nHost: h\r\nProxy: " + b"p" * 50
    sent += b"\r\nContent-Type: t\r\nContent-Length: 0\r\n\r\n"
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/x",
        "QUERY_STRING": "q=1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "h",
        "HTTP_PROXY": "p" * 50,  # a header field, even where the process has HTTP_PROXY
        "CONTENT_TYPE": "t",
        "CONTENT_LENGTH": "0",
        "PATH": "/usr/bin:/bin",  # the process environment, as granian passes it on
        "HOME": "/root",
        "wsgi.input": None,
    }
    assert http.head_size(environ) == len(sent)
    assert http.head_size(environ, limits.NOT_FIELDS) == len(sent)
    assert http.head_size({**environ, "RAW_URI": "/x?q=1"}) == len(sent)  # gunicorn


@settings(max_examples=300, deadline=None)
@given(
    fields=st.dictionaries(
        st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ_", min_size=1, max_size=40).map("HTTP_".__add__),
        st.text(max_size=3000),
        max_size=12,
    ),
    path=st.text(max_size=3000).map("/".__add__),
    query=st.text(max_size=3000),
    body=st.sampled_from([{}, {"CONTENT_TYPE": "text/plain", "CONTENT_LENGTH": "12"}]),
    near=st.integers(0, 1_200),  # a field that brings the head this near the limit
)
def test_a_head_surely_small_is_within_the_limit(
    fields: dict[str, str], path: str, query: str, body: dict[str, str], near: int
) -> None:
    """The quick path's cheap bound (fastpath.Quick) never lets a head past the limit through."""
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": object(),
        **body,
        **fields,
    }
    environ["HTTP_X_NEAR"] = "n" * max(0, http.MAX_HEAD_BYTES - near - http.head_size(environ))
    if http.surely_small(environ):
        assert http.head_size(environ) <= http.MAX_HEAD_BYTES
    sizes = sum(len(k) + len(v) for k, v in environ.items() if isinstance(v, str))
    assert http.surely_small(environ) == (
        sizes + 4 * (len(environ) - 1) + 6 <= http.MAX_HEAD_BYTES
    )
    assert not http.surely_small({**environ, "wsgi.errors": object()})  # no string: unsure


def test_an_unexpected_error_is_a_plain_logged_500(
    client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(self, path):
        raise RuntimeError("injected fault: secret detail")

    monkeypatch.setattr(Documents, "resolve", broken)
    caplog.set_level(logging.ERROR, logger="feedsvc")
    response = client.get("/feed.atom")
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("text/html")
    for leak in (b"Traceback", b"injected fault", b"secret detail", b"werkzeug", b'File "'):
        assert leak not in response.data
    assert response.headers["Cache-Control"] == "no-store"
    assert any(
        "error while serving /feed.atom" in r.getMessage() and r.exc_info for r in caplog.records
    )


# ---- the real server -------------------------------------------------------------


def raw_request(server: Server, data: bytes, limit: int = 1 << 20) -> tuple[int, bytes]:
    """Send DATA as is and return (status, whole response); (0, b"") when closed unanswered."""
    url = urlsplit(server.url)
    chunks, size = [], 0
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        # Every request carries "Connection: close", so the server closes after answering. No
        # half-close (SHUT_WR): granian (hyper) takes a client's EOF before the answer for a
        # hang-up and drops the request; real clients do not half-close.
        sock.sendall(data)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and size < limit:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    response = b"".join(chunks)
    if not response:
        return 0, response
    assert response.startswith(b"HTTP/1."), response[:200]
    return int(response.split(b" ", 2)[1]), response


def get(path: bytes, *headers: bytes) -> bytes:
    lines = [b"GET " + path + b" HTTP/1.1", b"Host: 127.0.0.1", b"Connection: close", *headers]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _real(tmp_path_factory: pytest.TempPathFactory, *args: str):
    folder = tmp_path_factory.mktemp("http") / "articles"
    shutil.copytree(SAMPLES, folder)
    shutil.copyfile(
        Path(__file__).parent.parent / "pyproject.toml", folder.parent / "pyproject.toml"
    )
    server = start_server(folder, *args)
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory):
    """`feedsvc serve` as it runs by default (granian)."""
    yield from _real(tmp_path_factory)


@pytest.fixture(scope="module")
def real_gunicorn(tmp_path_factory: pytest.TempPathFactory):
    """`feedsvc serve --server gunicorn`."""
    yield from _real(tmp_path_factory, "--server", "gunicorn")


@pytest.mark.server
@pytest.mark.parametrize("prefix", PREFIXES)
def test_real_server_refuses_traversal_as_sent_on_the_wire(real: Server, prefix: str) -> None:
    for attack in TRAVERSALS:
        status, response = raw_request(real, get(b"/" + prefix.encode() + attack.encode()))
        assert status == 404, (prefix, attack, response[:300])
        for secret in SECRETS:
            assert secret not in response


@pytest.mark.server
@pytest.mark.parametrize(
    "raw",
    [
        b"/static/\x00../../etc/passwd",
        b"/static/..\\..\\etc\\passwd",
        b"/\xc0\xae\xc0\xae/etc/passwd",
        b"/static/\xff\xfe",
    ],
)
def test_real_server_refuses_raw_bytes_cleanly(real: Server, raw: bytes) -> None:
    status, response = raw_request(real, get(raw))
    assert status in (400, 404), response[:300]
    for secret in SECRETS:
        assert secret not in response
    assert real.get("feed.atom")[0] == 200


@pytest.mark.server
@pytest.mark.parametrize(
    ("request_bytes", "what"),
    [
        (get(b"/" + b"a" * 10_000), "request line over 4094 bytes"),
        (get(b"/feed.atom", b"X-Long: " + b"v" * 20_000), "header over 8190 bytes"),
        (get(b"/feed.atom", *[b"X-H%d: v" % i for i in range(200)]), "200 headers"),
        (get(b"/feed.atom", b"Bad Header Name: v"), "a malformed header"),
        (b"GET /feed.atom HTTP/9.9\r\nHost: x\r\n\r\n", "an unknown HTTP version"),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64, "a TLS hello"),
    ],
)
def test_real_server_refuses_oversized_and_malformed_requests(
    real: Server, request_bytes: bytes, what: str
) -> None:
    status, response = raw_request(real, request_bytes)
    assert 400 <= status < 500 or (status == 0 and what == "a TLS hello"), (what, response[:300])
    assert b"Traceback" not in response
    assert real.process.poll() is None
    assert real.get("feed.atom")[0] == 200


SPLIT_HEAD = [b"X-Part%d: %s" % (i, b"v" * 2_000) for i in range(10)]  # 20 KB, 10 fields
# (request, status, whether granian lets the app answer it with our page)
MALFORMED_CASES = [
    (get(b"/" + b"a" * 10_000), 414, True),
    (get(b"/feed.atom", b"X-Long: " + b"v" * 20_000), 431, True),
    (get(b"/feed.atom", *SPLIT_HEAD), 431, True),
    (get(b"/feed.atom", *[b"X-H%d: v" % i for i in range(200)]), 431, False),
    (get(b"/feed.atom", b"Bad Header Name: <script>v</script>"), 400, False),
    (b"GET /feed.atom HTTP/9.9\r\nHost: x\r\n\r\n", 400, False),
    (b"G<script>ET /x HTTP/1.1\r\nHost: x\r\n\r\n", 400, False),
]
MALFORMED = pytest.mark.parametrize(
    ("request_bytes", "status"), [case[:2] for case in MALFORMED_CASES]
)


def _assert_our_page(response: bytes) -> None:
    head, _, body = response.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")[1:]
    headers = {name.lower(): value for name, value in (line.split(": ", 1) for line in lines)}
    for name, value in http.SECURITY_HEADERS.items():
        assert headers[name.lower()] == value, name
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["cache-control"] == "no-store"
    assert int(headers["content-length"]) == len(body)
    assert body.startswith(b"<!DOCTYPE html>")
    assert b"script" not in body and b"Bad Header" not in body  # the request is never echoed


@pytest.mark.server
@MALFORMED
def test_pages_for_malformed_requests_are_ours_with_our_security_headers(
    real_gunicorn: Server, request_bytes: bytes, status: int
) -> None:
    answered, response = raw_request(real_gunicorn, request_bytes)
    assert answered == status, response[:300]
    _assert_our_page(response)
    assert real_gunicorn.get("feed.atom")[0] == 200


@pytest.mark.server
@pytest.mark.parametrize(("request_bytes", "status", "ours"), MALFORMED_CASES)
def test_granian_answers_malformed_requests_with_our_page_or_an_empty_body(
    real: Server, request_bytes: bytes, status: int, ours: bool
) -> None:
    """A request granian (hyper) can parse gets our page, an oversized head included; what
    it cannot parse (over 100 header fields, a malformed line) it answers with no body."""
    answered, response = raw_request(real, request_bytes)
    assert answered == status, response[:300]
    if ours:
        _assert_our_page(response)
    else:
        head, _, body = response.partition(b"\r\n\r\n")
        assert body == b""
        assert b"content-length: 0" in head.lower()
        assert b"script" not in response and b"Bad Header" not in response  # nothing echoed
    assert real.get("feed.atom")[0] == 200


def head_of(size: int) -> bytes:
    """Return a GET whose request line and headers are SIZE bytes, no field over 8,000."""
    fields = [b"X-Fill%d: " % i + b"v" * 7_980 for i in range(size // 8_000)]
    request = get(b"/feed.atom", *fields, b"X-Rest: ")
    return get(b"/feed.atom", *fields, b"X-Rest: " + b"v" * (size - len(request)))


@pytest.mark.server
@pytest.mark.parametrize("server", ["real", "real_gunicorn"])
def test_a_head_of_the_limit_is_served_and_one_byte_more_gets_our_431(
    request: pytest.FixtureRequest, server: str
) -> None:
    running: Server = request.getfixturevalue(server)
    assert len(head_of(http.MAX_HEAD_BYTES)) == http.MAX_HEAD_BYTES
    answered, response = raw_request(running, head_of(http.MAX_HEAD_BYTES))
    assert answered == 200, response[:300]
    answered, response = raw_request(running, head_of(http.MAX_HEAD_BYTES + 1))
    assert answered == 431, response[:300]
    _assert_our_page(response)


def test_granian_reads_sixteen_of_our_largest_heads_at_once() -> None:
    """granian_server spells the figure out (importing http would cost the main process)."""
    assert GRANIAN_READ_BUFFER == 16 * http.MAX_HEAD_BYTES


@pytest.mark.server
def test_granian_answers_a_head_past_its_read_buffer_itself(real: Server) -> None:
    """Past twice granian's read buffer (one read may add up to a buffer's worth to an
    unfinished head) hyper answers an empty 431; up to the buffer, the app answers."""
    request = get(b"/feed.atom", b"X-Huge: " + b"v" * (2 * GRANIAN_READ_BUFFER + 1))
    answered, response = raw_request(real, request)
    assert answered == 431, response[:300]
    assert response.partition(b"\r\n\r\n")[2] == b""
    assert real.get("feed.atom")[0] == 200


@pytest.mark.server
def test_real_server_answers_a_long_but_allowed_url_with_404(real: Server) -> None:
    status, response = raw_request(real, get(b"/articles/" + b"x" * 4000))
    assert status == 404


@pytest.mark.server
def test_real_server_shows_a_plain_500_and_logs_it(articles: Path, tmp_path: Path) -> None:
    theme = tmp_path / "theme"
    (theme / "templates").mkdir(parents=True)
    (theme / "templates" / "article.html").write_text(
        "{{ no_such_value.no_such_attribute }}"
    )  # fails only when an article is rendered
    server = start_server(articles, env={"FEEDSVC_THEME": str(theme), "FLASK_DEBUG": "1"})
    try:
        status, headers, body = server.get("articles/harbour-bridge-reopens")
        assert server.get("feed.atom")[0] == 200  # the rest is served
    finally:
        stop_server(server)
    assert status == 500
    assert headers["Content-Type"].startswith("text/html")
    for leak in (b"Traceback", b"UndefinedError", b"no_such_value", b"Werkzeug", b"jinja2"):
        assert leak not in body
    log = server.log.read_text()
    assert "error while serving /articles/harbour-bridge-reopens" in log
    assert "UndefinedError" in log
