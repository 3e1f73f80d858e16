"""A restart answers the feeds as the last clean stop left them while it loads (web/warmstart.py).

Issue 14's target: a restart on a warm store reaches its first 200 within 3 s at
100,000 articles. The answers must be the ones the loaded app gives (same status,
headers, bytes and ETags, so a poll with the last ETag gets its 304), and only
while they still stand: not after a run that did not stop cleanly, not under
other code or settings, not once a scheduled article is due.
"""

from __future__ import annotations

import os
import pickle
import signal
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import BASE_URL, app_config, start_server, stop_server, write_bulk

from feedsvc import create_app
from feedsvc.web import accesslog, warmstart
from feedsvc.web.warming import Warming
from feedsvc.web.watch import utcnow

REQUESTS = [  # (method, path, headers): what pollers and browsers send
    ("GET", "/feed.atom", {}),
    ("GET", "/feed.atom", {"Accept-Encoding": "gzip"}),
    ("HEAD", "/feed.rss", {}),
    ("GET", "/feed.json", {"Accept-Encoding": "gzip, deflate"}),
    ("GET", "/feed.atom", {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}),
]


def call(
    app: Any, method: str, path: str, headers: dict[str, str], seen: dict[str, Any] | None = None
) -> tuple[str, list, bytes]:
    """Call the WSGI APP as granian does; return the status, headers and body (and the
    environ, as the app left it, in SEEN)."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": None,
        "wsgi.errors": None,
        "HTTP_HOST": "127.0.0.1:8000",
        "REMOTE_ADDR": "127.0.0.1",  # the proxy in front, when there is one
    }
    environ.update({"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()})
    answer: dict[str, Any] = {}

    def start_response(status: str, fields: list, *exc_info: Any) -> None:
        answer["status"], answer["headers"] = status, fields

    body = b"".join(app(environ, start_response))
    if seen is not None:
        seen.update(environ)
    return answer["status"], answer["headers"], body


@pytest.fixture
def same_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fingerprint of this start, whatever the test config (the server reads the env)."""
    monkeypatch.setattr(warmstart, "fingerprint", lambda: "this start")


@pytest.fixture
def stopped(articles: Path, monkeypatch: pytest.MonkeyPatch, same_start: None) -> Any:
    """An app that served and stopped cleanly; its STATE is the env's, as under serve."""
    config = app_config(articles)
    monkeypatch.setenv("FEEDSVC_STATE", str(config["STATE"]))
    app = create_app(config)
    warmstart.close(app.extensions["feedsvc"])
    return app


def test_the_answers_are_the_loaded_apps_own(stopped: Any) -> None:
    saved = warmstart.load()
    assert saved is not None and sorted(saved.documents) == [
        "/feed.atom",
        "/feed.json",
        "/feed.rss",
    ]
    warming = Warming(saved)
    for method, path, headers in REQUESTS:
        expected = call(stopped.wsgi_app, method, path, headers)
        assert expected[0] == "200 OK"
        assert call(warming, method, path, headers) == expected, (method, path, headers)
        etag = dict(expected[1])["ETag"]
        again = {**headers, "If-None-Match": etag}
        assert call(warming, method, path, again) == call(stopped.wsgi_app, method, path, again)
        assert call(warming, method, path, again)[0] == "304 NOT MODIFIED"


def test_the_saved_feeds_are_logged_with_the_client_the_trusted_proxy_names(
    articles: Path, monkeypatch: pytest.MonkeyPatch, same_start: None
) -> None:
    """TRUSTED_PROXIES: an answer from the saved feeds (a worker still loading) is logged
    with the client's address, as the loaded app's answers are; the proxy's is not."""
    config = app_config(articles, TRUSTED_PROXIES=1)
    monkeypatch.setenv("FEEDSVC_STATE", str(config["STATE"]))
    monkeypatch.setenv("FEEDSVC_TRUSTED_PROXIES", "1")
    app = create_app(config)
    warmstart.close(app.extensions["feedsvc"])
    saved = warmstart.load()
    assert saved is not None and saved.proxies == 1
    hosts, forwarded = [], {"X-Forwarded-For": "203.0.113.9"}
    for answering in (Warming(saved), app.wsgi_app):
        seen: dict[str, Any] = {}
        status, _, _ = call(answering, "GET", "/feed.atom", forwarded, seen)
        assert status == "200 OK"
        hosts.append(accesslog.line(seen, "200", "1", 0.0).split(" ", 1)[0])
    assert hosts == ["203.0.113.9", "203.0.113.9"]


def test_the_saved_feeds_stop_answering_when_a_scheduled_article_falls_due(
    stopped: Any,
) -> None:
    """A scheduled article that falls due while the worker loads is in the feeds from
    then: the saved ones, which lack it, are no longer given (the request waits for the
    load, as any other). Before, they were, until the load was done."""
    saved = warmstart.load()
    assert saved is not None
    due = utcnow() + timedelta(seconds=0.3)
    warming = Warming(warmstart.Saved(saved.documents, saved.cache_max_age, due, saved.prefix))
    assert call(warming, "GET", "/feed.atom", {})[0] == "200 OK"  # not due yet
    time.sleep(0.4)
    warming.loaded(stopped.wsgi_app)  # a request past the due time meets the loaded app
    assert call(warming, "GET", "/feed.atom", {}) == call(
        stopped.wsgi_app, "GET", "/feed.atom", {}
    )
    assert warming._answer({"REQUEST_METHOD": "GET", "PATH_INFO": "/feed.atom"}) is None


def test_a_request_past_the_limits_gets_the_loaded_apps_page(
    stopped: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("feedsvc.web.warming.LOAD_TIMEOUT", 1.0)  # one left to the load fails fast
    saved = warmstart.load()
    assert saved is not None
    warming = Warming(saved)
    for path, headers, status in [
        ("/feed.atom", {"X-Long": "v" * 20_000}, "431 Request Header Fields Too Large"),
        ("/feed.atom" + "/" * 5_000, {}, "414 Request-URI Too Long"),
    ]:
        expected = call(stopped.wsgi_app, "GET", path, headers)
        assert expected[0] == status
        assert call(warming, "GET", path, headers) == expected


def test_any_other_request_waits_for_the_load(stopped: Any) -> None:
    saved = warmstart.load()
    assert saved is not None
    warming = Warming(saved)
    answers: list[tuple[str, list, bytes]] = []
    waiting = threading.Thread(target=lambda: answers.append(call(warming, "GET", "/", {})))
    waiting.start()
    waiting.join(0.3)
    assert waiting.is_alive() and not answers  # the index is not saved: it waits
    warming.loaded(stopped.wsgi_app)
    waiting.join(10)
    assert answers == [call(stopped.wsgi_app, "GET", "/", {})]
    assert answers[0][0] == "200 OK"
    assert call(warming, "POST", "/feed.atom", {})[0].startswith("405")  # the app's, now


def test_waiting_requests_never_hold_every_thread(stopped: Any) -> None:
    """Requests beyond half the threads get a 503 at once; the saved feeds still answer."""
    saved = warmstart.load()
    assert saved is not None
    warming = Warming(saved, threads=4)  # two may wait
    answers: list[tuple[str, list, bytes]] = []
    waiting = [
        threading.Thread(target=lambda: answers.append(call(warming, "GET", "/", {})))
        for _ in range(2)
    ]
    for thread in waiting:
        thread.start()
    time.sleep(0.3)
    assert all(thread.is_alive() for thread in waiting) and not answers
    started = time.monotonic()
    status, headers, _ = call(warming, "GET", "/tags/", {})
    assert status.startswith("503") and ("Retry-After", "5") in headers
    assert time.monotonic() - started < 1.0  # at once, not after the load
    assert call(warming, "GET", "/feed.atom", {})[0] == "200 OK"
    warming.loaded(stopped.wsgi_app)
    for thread in waiting:
        thread.join(10)
    assert [a[0] for a in answers] == ["200 OK", "200 OK"]
    assert not call(warming, "GET", "/tags/", {})[0].startswith("503")  # the app answers now


def test_a_worker_of_one_thread_lets_no_request_wait(stopped: Any) -> None:
    """With --threads 1, a request that waited would hold the thread the saved feeds need."""
    saved = warmstart.load()
    assert saved is not None
    warming = Warming(saved, threads=1)
    answers: list[tuple[str, list, bytes]] = []
    asking = threading.Thread(target=lambda: answers.append(call(warming, "GET", "/", {})))
    asking.start()
    asking.join(1.0)
    waited = asking.is_alive()
    assert call(warming, "GET", "/feed.atom", {})[0] == "200 OK"  # the saved feed, loading
    warming.loaded(stopped.wsgi_app)  # (ends a wait, should the test fail)
    asking.join(10)
    assert not waited  # answered at once, not after the load
    status, headers, _ = answers[0]
    assert status.startswith("503") and ("Retry-After", "5") in headers
    assert call(warming, "GET", "/", {})[0] == "200 OK"


@pytest.mark.parametrize(
    "why",
    [
        *("store written since", "other code or settings", "article due since", "damaged"),
        "store lost",  # a new store's ids and dates are not those of the saved feeds
    ],
)
def test_answers_that_no_longer_stand_are_not_given(
    stopped: Any, articles: Path, monkeypatch: pytest.MonkeyPatch, why: str
) -> None:
    state = Path(str(stopped.config["STATE"]))
    served = Path(f"{state}.served")
    assert warmstart.load() is not None
    if why == "store written since":  # a later run changed the site and did not stop cleanly
        later = served.stat().st_mtime + 5
        os.utime(state, (later, later))
    elif why == "other code or settings":
        monkeypatch.setattr(warmstart, "fingerprint", lambda: "another start")
    elif why == "article due since":
        record = pickle.loads(served.read_bytes())
        record["next_due"] = utcnow() - timedelta(seconds=1)
        served.write_bytes(pickle.dumps(record))
    elif why == "store lost":
        stopped.extensions["feedsvc"].close()
        for lost in state.parent.glob(f"{state.name}*"):
            if lost != served:
                lost.unlink()
    else:
        served.write_bytes(b"not a pickle")
    assert warmstart.load() is None


def _log_until(server: Any, text: str, count: int, seconds: float = 30) -> str:
    deadline = time.monotonic() + seconds
    while server.log.read_text().count(text) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return str(server.log.read_text())


@pytest.mark.server
def test_a_restart_answers_from_the_last_clean_stop_and_a_reload_does_not(
    articles: Path, tmp_path: Path
) -> None:
    write_bulk(articles, 300)
    env = {"FEEDSVC_STATE": str(tmp_path / "warm.sqlite3"), "FEEDSVC_BASE_URL": BASE_URL}
    first = start_server(articles, env=env)
    try:
        before = first.get("/feed.atom")
    finally:
        stop_server(first)
    assert Path(tmp_path / "warm.sqlite3.served").exists()
    second = start_server(articles, env=env)
    try:
        after = second.get("/feed.atom")
        log = _log_until(second, " ready: ", 2)
        assert log.count("as the last clean stop left them") == 2, log[-3000:]
        second.process.send_signal(signal.SIGHUP)  # new workers: the old ones answer meanwhile
        log = _log_until(second, " ready: ", 4)
        assert log.count(" ready: ") == 4, log[-3000:]
        assert log.count("as the last clean stop left them") == 2, log[-3000:]
    finally:
        stop_server(second)
    assert before[0] == after[0] == 200
    assert (after[1]["ETag"], after[2]) == (before[1]["ETag"], before[2])


@pytest.mark.server
def test_after_a_run_that_did_not_stop_cleanly_a_start_loads_first(
    articles: Path, tmp_path: Path
) -> None:
    write_bulk(articles, 30)
    env = {"FEEDSVC_STATE": str(tmp_path / "warm.sqlite3"), "FEEDSVC_BASE_URL": BASE_URL}
    stop_server(start_server(articles, env=env))
    crashed = start_server(articles, env=env)
    (articles / "late.md").write_text("---\ntitle: Quokka\n---\n\nWritten meanwhile.\n", "utf-8")
    deadline = time.monotonic() + 20
    while b"Quokka" not in crashed.get("/feed.atom")[2] and time.monotonic() < deadline:
        time.sleep(0.2)
    # No clean stop: frozen first, so no worker is replaced or told to stop, then killed.
    pid = crashed.process.pid
    every = [pid, *map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]
    for each in every:
        os.kill(each, signal.SIGSTOP)
    for each in reversed(every):
        os.kill(each, signal.SIGKILL)
    crashed.process.wait(10)
    third = start_server(articles, env=env)
    try:
        assert b"Quokka" in third.get("/feed.atom")[2]
        log = _log_until(third, " ready: ", 2)
    finally:
        stop_server(third)
    assert "as the last clean stop left them" not in log
