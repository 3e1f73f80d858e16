"""What granian calls in a worker (web/direct.py) answers and logs as the WSGI stack does.

``Direct`` answers a poll from granian's request scope before any WSGI layer
(``fastpath.Quick``) and sends everything else through the stack. Each request
below is answered both ways, on the same app: the status, headers, body and
access-log line must be the same, and the polls must have been the quick path's.
"""

from __future__ import annotations

import gzip
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import app_config

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from request_cost import Proto, scope  # what granian hands the callable

from feedsvc import create_app
from feedsvc.web.accesslog import Logged, logged
from feedsvc.web.direct import SERVER_KEYS, Direct

TIME = re.compile(r"\[[^]]+\]")  # the line's time: the two calls may fall in two seconds


class Both:
    """One app, called as granian calls ``Direct`` and through the stack alone."""

    def __init__(self, app: Any):
        self.app = app
        self.read, write = os.pipe()
        os.set_blocking(self.read, False)
        self.stack: Logged = logged(app.wsgi_app, write)  # lines at once: one per request
        self.direct = Direct(self.stack)
        self.direct.use(app)

    def log(self) -> str:
        return TIME.sub("[-]", os.read(self.read, 65536).decode())

    def by_direct(self, request: dict[str, Any]) -> tuple[Any, ...]:
        proto = Proto()
        status = self.direct(proto, dict(request))
        assert status == proto.answer[0]
        return (*proto.answer, self.log())

    def by_stack(self, request: dict[str, Any]) -> tuple[Any, ...]:
        started: list[Any] = []
        body = self.stack(SERVER_KEYS | request, lambda s, h, *e: started.extend((s, h)))
        data = b"".join(body)
        getattr(body, "close", lambda: None)()
        return (int(started[0][:3]), list(started[1]), data, self.log())

    def quick_takes(self, request: dict[str, Any]) -> bool:
        return self.app.extensions["feedsvc.quick"](dict(request)) is not None


@pytest.fixture
def both(articles: Path) -> Iterator[Both]:
    yield Both(create_app(app_config(articles)))


def etag_of(both: Both, target: str, **headers: str) -> str:
    status, headers_, *_ = both.by_stack(scope(target, **headers))
    assert status == 200
    return dict(headers_)["ETag"]


def check(both: Both, request: dict[str, Any], quick: bool) -> tuple[Any, ...]:
    """Assert Direct answers and logs REQUEST as the stack does; QUICK: before any layer."""
    assert both.quick_takes(request) is quick, request
    direct, stack = both.by_direct(request), both.by_stack(request)
    assert direct == stack, request
    return direct


def test_polls_are_answered_before_the_stack_with_its_answers(both: Both) -> None:
    etag = etag_of(both, "/feed.atom")
    gzip_etag = etag_of(both, "/feed.atom", HTTP_ACCEPT_ENCODING="gzip")
    assert gzip_etag != etag
    status, _, body, line = check(both, scope("/feed.atom"), quick=True)
    assert status == 200 and body.startswith(b"<?xml")
    assert f'"GET /feed.atom HTTP/1.1" 200 {len(body)} "-" "poller/1.0"' in line
    status, headers, body, line = check(
        both, scope("/feed.atom", HTTP_IF_NONE_MATCH=etag), quick=True
    )
    assert (status, body) == (304, b"") and dict(headers)["ETag"] == etag
    assert '"GET /feed.atom HTTP/1.1" 304 - ' in line
    status, headers, body, line = check(both, scope("/feed.atom", "HEAD"), quick=True)
    assert (status, body) == (200, b"") and int(dict(headers)["Content-Length"]) > 0
    assert '"HEAD /feed.atom HTTP/1.1" 200 - ' in line
    status, _, body, _ = check(both, scope("/feed.atom", HTTP_ACCEPT_ENCODING="gzip"), quick=True)
    assert gzip.decompress(body).startswith(b"<?xml")
    check(both, scope("/feed.atom", HTTP_IF_NONE_MATCH=f'W/"x", {gzip_etag}'), quick=True)
    check(both, scope("/feed.atom", HTTP_ACCEPT="text/html,*/*;q=0.8"), quick=True)
    later = "Sun, 06 Nov 2044 08:49:37 GMT"
    check(both, scope("/feed.rss", HTTP_IF_MODIFIED_SINCE=later), quick=True)
    check(both, scope("/feed.json?utm_source=x"), quick=True)
    check(both, scope("/articles/river-cleanup-volunteers"), quick=True)


@pytest.mark.parametrize(
    ("method", "target", "headers", "status"),
    [
        ("POST", "/feed.atom", {}, 405),
        ("GET", "/nope", {}, 404),
        ("GET", "//feed.atom", {}, None),  # routing's, whatever it answers
        ("GET", "/feed.atom", {"HTTP_IF_MATCH": '"nope"'}, 412),
        ("GET", "/feed.atom?" + "q" * 5000, {}, 414),
        ("GET", "/feed.atom", {"HTTP_X_BIG": "x" * 17_000}, 431),
        ("GET", "/articles/river-cleanup-volunteers/", {}, None),
    ],
)
def test_every_other_request_is_the_stacks(
    both: Both, method: str, target: str, headers: dict[str, str], status: int | None
) -> None:
    got, *_ = check(both, scope(target, method, **headers), quick=False)
    assert status is None or got == status


def test_a_prefix_is_taken_off_as_the_stack_does_and_logged_as_sent(articles: Path) -> None:
    both = Both(create_app(app_config(articles, BASE_URL="http://example.org/news/")))
    for target in ("/news/feed.atom", "/feed.atom"):
        *_, line = check(both, scope(target), quick=True)
        assert f'"GET {target} HTTP/1.1" 200 ' in line  # the request as sent
    status, *_ = check(both, scope("/news/news/feed.atom"), quick=False)
    assert status == 404  # the prefix is taken off once


def test_trusted_proxies_headers_are_applied_as_the_stack_applies_them(articles: Path) -> None:
    both = Both(create_app(app_config(articles, TRUSTED_PROXIES=1)))
    forwarded = {"HTTP_X_FORWARDED_FOR": "203.0.113.7", "HTTP_X_FORWARDED_PREFIX": "/x"}
    *_, line = check(both, scope("/feed.atom", **forwarded), quick=True)
    assert line.startswith("203.0.113.7 - - ")


def test_an_error_in_the_quick_path_leaves_the_request_to_the_stack(
    both: Both, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> None:
        raise RuntimeError("broken")

    expected = both.by_stack(scope("/feed.atom"))
    monkeypatch.setattr(both.app.extensions["feedsvc.quick"].fast, "_answer", broken)
    assert both.by_direct(scope("/feed.atom")) == expected


def test_until_its_app_has_loaded_everything_goes_through_the_stack(both: Both) -> None:
    direct = Direct(both.stack)  # a worker starting warm: the saved feeds' app first
    proto = Proto()
    assert direct(proto, scope("/feed.atom")) == 200
    assert both.log().startswith('127.0.0.1 - - [-] "GET /feed.atom HTTP/1.1" 200 ')
    direct.use(both.app)
    assert direct.quick is both.app.extensions["feedsvc.quick"]
