"""The combined access-log line the app writes under granian (web/accesslog.py)."""

from __future__ import annotations

import contextlib
import os
import re
import select
from collections.abc import Iterable
from typing import Any

import pytest

from feedsvc.web import accesslog
from feedsvc.web.accesslog import logged

COMBINED = re.compile(
    r'(\S+) - - \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "(.*)" (\d{3}) (\S+) '
    r'"(.*)" "(.*)"\n'
)


def environ(**extra: str) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/feed.atom",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        **extra,
    }


def run(app: Any, env: dict[str, Any]) -> list[str]:
    """Call APP through ``logged``; return the lines it wrote."""
    read, write = os.pipe()
    with contextlib.suppress(RuntimeError):  # the broken app's
        list(logged(app, write)(env, lambda status, headers, *exc: None))
    os.close(write)
    with os.fdopen(read, "rb") as out:
        return out.read().decode().splitlines(keepends=True)


def answering(status: str, headers: list[tuple[str, str]]) -> Any:
    def app(env: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response(status, headers)
        return [b"x"]

    return app


def test_a_line_per_request_with_the_bytes_sent() -> None:
    app = answering("200 OK", [("Content-Length", "1234")])
    env = environ(QUERY_STRING="a=1", HTTP_REFERER="http://r/", HTTP_USER_AGENT="poller/1")
    [line] = run(app, env)
    match = COMBINED.fullmatch(line)
    assert match, line
    assert match.groups() == (
        "127.0.0.1", "GET /feed.atom?a=1 HTTP/1.1", "200", "1234", "http://r/", "poller/1"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("method", "status", "length"), [("GET", "304 Not Modified", "0"), ("HEAD", "200 OK", "99")]
)
def test_no_body_is_logged_as_a_dash(method: str, status: str, length: str) -> None:
    [line] = run(answering(status, [("Content-Length", length)]), environ(REQUEST_METHOD=method))
    match = COMBINED.fullmatch(line)
    assert match and match.group(4) == "-", line


def test_quotes_in_what_the_client_sent_cannot_forge_fields() -> None:
    env = environ(HTTP_USER_AGENT='x" 200 1 "y', PATH_INFO='/a"b')
    [line] = run(answering("404 Not Found", []), env)
    match = COMBINED.fullmatch(line)
    assert match, line
    assert match.group(2) == 'GET /a\\"b HTTP/1.1' and match.group(6) == 'x\\" 200 1 \\"y'


def test_an_app_that_raises_is_logged_as_500() -> None:
    def broken(env: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        raise RuntimeError("boom")

    [line] = run(broken, environ())
    match = COMBINED.fullmatch(line)
    assert match and match.group(3) == "500" and match.group(5) == "-", line


def test_a_control_character_cannot_start_a_line_of_its_own() -> None:
    env = environ(PATH_INFO="/a\nb\x85c", HTTP_USER_AGENT="x\ty\x7f")  # /a%0Ab%C2%85c, decoded
    [line] = run(answering("404 Not Found", []), env)
    match = COMBINED.fullmatch(line)
    assert match, line
    assert match.group(2) == "GET /a\\x0Ab\\x85c HTTP/1.1" and match.group(6) == "x\\x09y\\x7F"


# feedsvc serve writes its lines in batches (accesslog.Batches).


def written_by(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Record every write the access log makes, instead of making it."""
    writes: list[bytes] = []

    def write(fd: int, data: bytes) -> int:
        writes.append(bytes(data))
        return len(data)

    monkeypatch.setattr(accesslog.os, "write", write)
    return writes


def test_batched_lines_wait_for_a_flush_then_go_out_in_order_in_one_write(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    writes = written_by(monkeypatch)
    log = logged(answering("200 OK", [("Content-Length", "5")]), 99, batch_seconds=60)
    for number in range(3):
        list(log(environ(QUERY_STRING=f"n={number}"), lambda *a: None))
    assert writes == []  # not yet: the batch is neither full nor old
    log.flush()
    [data] = writes
    lines = data.decode().splitlines(keepends=True)
    assert [COMBINED.fullmatch(x).group(2) for x in lines] == [  # type: ignore[union-attr]
        f"GET /feed.atom?n={n} HTTP/1.1" for n in range(3)
    ]
    log.flush()
    assert len(writes) == 1  # nothing waited: nothing written


def test_no_batch_passes_pipe_buf_so_two_workers_lines_never_mix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    writes = written_by(monkeypatch)
    log = logged(answering("304 Not Modified", []), 99, batch_seconds=60)
    agents = [f"agent-{n}/" + "xé漢"[n % 3] * (n * 37 % 900) for n in range(200)]
    agents.insert(50, "huge/" + "y" * (accesslog.BATCH_BYTES + 10))  # a line longer than one
    for agent in agents:
        list(log(environ(HTTP_USER_AGENT=agent), lambda *a: None))
    log.flush()
    assert len(writes) > 10
    for data in writes:
        assert len(data) <= accesslog.BATCH_BYTES or data.count(b"\n") == 1, len(data)
        assert data.endswith(b"\n")  # whole lines only
    lines = b"".join(writes).decode().splitlines()
    assert [COMBINED.fullmatch(x + "\n").group(6) for x in lines] == agents  # type: ignore[union-attr]


def test_a_batched_line_goes_out_once_its_seconds_have_passed() -> None:
    read, write = os.pipe()
    try:
        log = logged(answering("200 OK", []), write, batch_seconds=0.2)
        list(log(environ(), lambda *a: None))
        ready, _, _ = select.select([read], [], [], 10)
        assert ready, "the line did not go out"
        assert COMBINED.fullmatch(os.read(read, 65536).decode())
    finally:
        os.close(read)
        os.close(write)
