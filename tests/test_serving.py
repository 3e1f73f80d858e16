"""The production server as clients meet it: slow senders, reloads, clean stops.

`feedsvc serve` runs granian: connections that send their headers slowly hold no
worker thread and are closed after the header-read timeout; SIGHUP replaces the
workers without refusing or failing a request. Every loop is bounded in count and time.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import BASE_URL, Server, free_port, start_server, stop_server, write_bulk

from feedsvc.web.granian_server import HEADER_READ_TIMEOUT_MS, stop_accepting

pytestmark = pytest.mark.server


def port_of(server: Server) -> int:
    port = urlsplit(server.url).port
    assert port is not None
    return port


def answer_seconds(
    server: Server, path: str = "/feed.atom", pause: float = 0.0
) -> tuple[int, float]:
    """Send one request on a new connection, PAUSE s after connecting; its status and time."""
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port_of(server), timeout=10)
    try:
        if pause:
            connection.connect()
            time.sleep(pause)
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status, time.monotonic() - started
    finally:
        connection.close()


class SlowClients:
    """COUNT connections that send a request's headers one short line every 0.5 s."""

    def __init__(self, port: int, count: int):
        self.sockets = []
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"GET /feed.atom HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            self.sockets.append(sock)
        self.closed_at: dict[int, float] = {}
        self.started = time.monotonic()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._trickle, daemon=True)
        self.thread.start()

    def _trickle(self) -> None:
        for step in range(240):  # at most 120 s
            if self.stop.wait(0.5) or len(self.closed_at) == len(self.sockets):
                return
            for index, sock in enumerate(self.sockets):
                if index in self.closed_at:
                    continue
                try:
                    sock.sendall(f"X-Slow-{step}: a\r\n".encode())
                except OSError:
                    self.closed_at[index] = time.monotonic() - self.started

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        for sock in self.sockets:
            sock.close()


def test_a_normal_client_is_answered_within_1_s_while_64_slow_connections_are_held(
    articles: Path,
) -> None:
    server = start_server(articles)
    slow = None
    try:
        slow = SlowClients(port_of(server), 64)
        time.sleep(1.0)  # every slow connection is open and sending
        for _ in range(5):
            status, took = answer_seconds(server)
            assert status == 200 and took < 1.0, took
        # ... and the server closes every slow connection within its header-read timeout.
        limit = HEADER_READ_TIMEOUT_MS / 1000 + 3
        deadline = time.monotonic() + limit
        while len(slow.closed_at) < 64 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(slow.closed_at) == 64, f"{64 - len(slow.closed_at)} still open after {limit} s"
        assert max(slow.closed_at.values()) <= limit
    finally:
        if slow is not None:
            slow.close()
        stop_server(server)


def test_the_main_process_imports_none_of_what_the_workers_load() -> None:
    """`feedsvc serve`'s main process holds no Flask, renderers or catalog: every process's
    memory counts, and the workers import them after the fork."""
    code = (
        "import sys, feedsvc.cli, feedsvc.web.granian_server; print(' '.join(sorted(sys.modules)))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    heavy = ("flask", "gunicorn", "jinja2", "feedgen", "lxml", "markdown_it", "feedsvc.catalog")
    assert not [name for name in loaded if name.startswith(heavy)]


def test_a_granian_worker_imports_nothing_of_gunicorn(articles: Path, tmp_path: Path) -> None:
    """What a granian worker loads (``worker.ready``, the app, a request) leaves gunicorn out."""
    code = (
        "import sys, feedsvc.web.granian_server as g, feedsvc.web.warming, feedsvc.web.direct\n"
        "from feedsvc import create_app\n"
        "from feedsvc.web.worker import ready\n"
        "ready(create_app).test_client().get('/feed.atom')\n"
        "print(' '.join(sorted(sys.modules)))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDSVC_")}
    env.update(FEEDSVC_ARTICLES=str(articles), FEEDSVC_STATE=str(tmp_path / "s.sqlite3"))
    loaded = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env=env,
    ).stdout.split()
    assert "flask" in loaded  # the app was loaded
    assert not [name for name in loaded if name.startswith("gunicorn")]


def test_a_reload_during_a_poll_loop_loses_no_request(articles: Path) -> None:
    server = start_server(articles)
    outcomes: list[int | str] = []
    done = threading.Event()

    def poll(pause: float) -> None:
        deadline = time.monotonic() + 30
        for count in range(3000):
            if done.is_set() or time.monotonic() > deadline:
                return
            try:
                # 0 to PAUSE s between connecting and asking: a worker that stops in between
                # must not close the connection unanswered (granian's graceful stop does).
                outcomes.append(answer_seconds(server, pause=pause * (count % 6) / 5)[0])
            except OSError as e:
                outcomes.append(type(e).__name__)

    pollers = [threading.Thread(target=poll, args=(pause,)) for pause in (0, 0, 0.005, 0.005)]
    try:
        for poller in pollers:
            poller.start()
        time.sleep(0.5)
        before = len(outcomes)
        server.process.send_signal(signal.SIGHUP)
        log = server.log
        deadline = time.monotonic() + 20
        while log.read_text().count("its replacement") < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        done.set()
        for poller in pollers:
            poller.join(15)
        assert log.read_text().count("its replacement") == 2, log.read_text()[-3000:]
        assert len(outcomes) > before + 20  # the loop went on through the reload
        failed = [o for o in outcomes if o != 200]
        assert failed == [], failed[:10]
    finally:
        done.set()
        stop_server(server)


def test_a_worker_that_stops_accepting_leaves_the_shared_socket_to_the_others() -> None:
    with socket.socket() as shared:
        shared.bind(("127.0.0.1", 0))
        shared.listen()
        shared.setblocking(False)
        with socket.socket(fileno=os.dup(shared.fileno())) as mine:  # as a forked worker has it
            assert stop_accepting(mine.fileno())
            with socket.create_connection(shared.getsockname(), timeout=5):
                time.sleep(0.1)
                with pytest.raises(BlockingIOError):  # what granian's accept loop now finds
                    mine.accept()
                shared.setblocking(True)
                shared.settimeout(5)
                shared.accept()[0].close()  # the connection waits for another worker
    read, write = os.pipe()
    try:
        assert not stop_accepting(read)  # no listening socket there: nothing changes
        assert os.write(write, b"x") == 1
    finally:
        os.close(read)
        os.close(write)


def test_a_clean_stop_closes_every_worker_store(articles: Path, tmp_path: Path) -> None:
    state = tmp_path / "stopped.sqlite3"
    server = start_server(articles, env={"FEEDSVC_STATE": str(state)})
    assert answer_seconds(server)[0] == 200
    stop_server(server)  # SIGTERM
    assert server.process.returncode == 0
    # Checkpointed (TRUNCATE) and closed by every worker: the file alone is a complete
    # backup. The last to close deletes the empty WAL; two closing at the same instant
    # may each see the other still open, and leave it empty.
    wal = Path(f"{state}-wal")
    assert not wal.exists() or wal.stat().st_size == 0, server.log.read_text()[-3000:]
    with sqlite3.connect(state) as db:
        assert db.execute("SELECT count(*) FROM article").fetchone()[0] > 0


def test_gunicorn_still_serves_when_asked_for(articles: Path) -> None:
    server = start_server(articles, "--server", "gunicorn", "--threads", "2")
    try:
        assert answer_seconds(server)[0] == 200
        assert "Booting worker" in server.log.read_text()
    finally:
        stop_server(server)


def test_a_stop_while_workers_load_still_closes_their_stores(
    articles: Path, tmp_path: Path
) -> None:
    write_bulk(articles, 300)  # long enough a load to be stopped in the middle of it
    state = tmp_path / "early.sqlite3"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDSVC_")}
    env["FEEDSVC_STATE"] = str(state)
    log = tmp_path / "early.log"
    command = [sys.executable, "-m", "feedsvc", "serve", "--articles", str(articles)]
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [*command, "--port", str(port), "--workers", "2"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        deadline = time.monotonic() + 20
        while "Spawning worker-2" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.01)
        process.terminate()
        stopped = time.monotonic()
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
    assert time.monotonic() - stopped < 5, log.read_text()  # not left to the kill timeout
    assert not Path(f"{state}-wal").exists(), log.read_text()[-3000:]


def _running(pid: int) -> bool:
    """Tell whether PID runs (a zombie no one reaps yet has stopped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def test_workers_stop_when_the_main_process_is_killed(articles: Path, tmp_path: Path) -> None:
    state = tmp_path / "orphans.sqlite3"
    server = start_server(articles, env={"FEEDSVC_STATE": str(state)})
    workers = [
        int(pid)
        for pid in re.findall(r"Spawning worker-\d+ with PID: (\d+)", server.log.read_text())
    ]
    assert len(workers) == 2, server.log.read_text()
    try:
        assert answer_seconds(server)[0] == 200
        server.process.kill()  # SIGKILL: the main process cannot stop its workers
        server.process.wait(timeout=10)
        deadline = time.monotonic() + 15
        while any(map(_running, workers)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(map(_running, workers)), server.log.read_text()[-3000:]
        assert "the main process" in server.log.read_text()
        with pytest.raises(OSError):  # nobody listens on its port any more
            answer_seconds(server)
        wal = Path(f"{state}-wal")  # each stopped as on a SIGTERM: its store closed
        assert not wal.exists() or wal.stat().st_size == 0, server.log.read_text()[-3000:]
    finally:
        for pid in filter(_running, workers):  # ours: started by this test's server
            os.kill(pid, signal.SIGKILL)


def test_workers_still_loading_end_at_once_when_the_main_process_is_killed(
    articles: Path, tmp_path: Path
) -> None:
    """An orphan that is still loading does not load on (minutes at 100,000 files) holding
    the listening socket, where clients would queue: it ends once it sees its parent gone."""
    # A load of seconds, longer than the parent check (PARENT_CHECK_SECONDS, 1 s): 4,000
    # files took two workers 0.9 s on a CI run, which then loaded before the check.
    write_bulk(articles, 12_000)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDSVC_")}
    env["FEEDSVC_STATE"] = str(tmp_path / "loading.sqlite3")
    log = tmp_path / "loading.log"
    command = [sys.executable, "-m", "feedsvc", "serve", "--articles", str(articles)]
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [*command, "--port", str(free_port()), "--workers", "2"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 20
        while len(workers) < 2 and time.monotonic() < deadline:
            workers = [int(p) for p in re.findall(r"with PID: (\d+)", log.read_text())]
            time.sleep(0.01)
        assert len(workers) == 2, log.read_text()
        process.kill()
        process.wait(timeout=10)
        deadline = time.monotonic() + 15
        while any(map(_running, workers)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(map(_running, workers)), log.read_text()[-3000:]
        assert " ready: " not in log.read_text()  # ended, not loaded first
    finally:
        if process.poll() is None:
            process.kill()
        for pid in filter(_running, workers):  # ours: started by this test's server
            os.kill(pid, signal.SIGKILL)


RESTART_PATHS = [
    "feed.atom",
    "feed.rss",
    "feed.json",
    "",
    "articles/night-market-guide",
    "tags/city/",
    "tags/city/feed.atom",
    "sitemap.xml",
    "feeds.opml",
]


def _snapshot(server: Server) -> dict[tuple[str, str], tuple[int, str | None, bytes]]:
    seen = {}
    for path in RESTART_PATHS:
        for encoding in ("identity", "gzip"):
            status, headers, body = server.get(path, {"Accept-Encoding": encoding})
            seen[path, encoding] = (status, headers.get("ETag"), body)
    return seen


def test_a_restart_on_a_warm_store_serves_the_same_bytes_and_etags(
    articles: Path, tmp_path: Path
) -> None:
    # One public address: each start listens on another port.
    env = {"FEEDSVC_STATE": str(tmp_path / "warm.sqlite3"), "FEEDSVC_BASE_URL": BASE_URL}
    first = start_server(articles, env=env)
    try:
        before = _snapshot(first)
    finally:
        stop_server(first)
    assert all(status == 200 and etag for status, etag, _ in before.values()), before.keys()
    second = start_server(articles, env=env)  # the same store, now warm
    try:
        time.sleep(1.0)  # every worker has loaded
        after = _snapshot(second)
    finally:
        stop_server(second)
    for key, (status, etag, body) in before.items():
        assert after[key] == (status, etag, body), key


def test_a_cold_first_start_logs_its_progress_and_its_load_time(articles: Path) -> None:
    write_bulk(articles, 2_000)  # past PROGRESS_EVERY files
    server = start_server(articles, workers=1, timeout=120)
    try:
        deadline = time.monotonic() + 30
        while " ready: " not in server.log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        log = server.log.read_text()
    finally:
        stop_server(server)
    assert re.search(r"first read of the articles: 2000 of 20\d\d files", log), log[-2000:]
    assert re.search(r"first sync: \d{4} articles recorded in the state store in [\d.]+ s", log)
    assert re.search(
        r"worker \d+ ready: 20\d\d articles published, .* \(loaded in [\d.]+ s\)", log
    )
