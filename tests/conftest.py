"""Shared fixtures: an app on a temporary copy of articles, and a real gunicorn server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from feedsvc import create_app
from feedsvc.catalog.folder import SETTLE

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "articles"
SCENARIOS = Path(__file__).resolve().parent / "scenarios"
SEED = ROOT.parent / "shared" / "seed" / "000_94a3b5d07ed6ab64.txt"
BASE_URL = "http://feeds.example.org/"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep the developer's FEEDSVC_* variables and feedsvc.toml out of every test."""
    for name in list(os.environ):
        if name.startswith("FEEDSVC_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def articles(tmp_path: Path) -> Path:
    """Return a writable copy of the bundled sample articles."""
    target = tmp_path / "articles"
    shutil.copytree(SAMPLES, target)
    return target


def write_bulk(articles: Path, count: int) -> None:
    """Write COUNT Markdown articles of 300 distinct words each (about 6.6 KB a permalink)."""
    for index in range(count):
        words = " ".join(f"word{index}-{n}" for n in range(300))
        (articles / f"bulk-{index:03d}.md").write_text(
            f"---\ntitle: Bulk {index}\ndate: 2024-01-{1 + index % 28:02d}\n---\n\n{words}\n",
            "utf-8",
        )


def app_config(articles: Path, **extra: object) -> dict[str, object]:
    """Return a test config for ARTICLES with its state store beside them."""
    return {
        "ARTICLES": str(articles),
        "STATE": str(articles.parent / "state.sqlite3"),
        "BASE_URL": BASE_URL,
        "RESCAN_INTERVAL": 0.01,
        **extra,
    }


def settle_deletions(client) -> None:
    """Let files deleted now count as deleted: a request's rescan finds them missing, and
    the next one, SETTLE later, drops them (docs/deploying.md, "Deploying new articles").

    A request rescans only once RESCAN_INTERVAL (0.01 s) passed since the last scan: the
    app's first request came 11 to 18 ms after it, and one that came sooner rescanned
    nothing, so the deletion settled a request later than the test looked."""
    time.sleep(0.02)
    client.get("/feed.atom")
    time.sleep(SETTLE + 0.02)


@pytest.fixture
def app(articles: Path):
    return create_app(app_config(articles))


@pytest.fixture
def client(app):
    return app.test_client()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A `feedsvc serve` process on a loopback port."""

    process: subprocess.Popen
    url: str
    log: Path

    def get(
        self,
        path: str,
        headers: dict[str, str] | None = None,
        method: str = "GET",
        timeout: float = 10,
    ):
        """Return (status, headers, body) for PATH; HTTP errors are returned, not raised."""
        request = urllib.request.Request(
            self.url + path.lstrip("/"), headers=headers or {}, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()


def start_server(
    articles: Path,
    *args: str,
    env: dict[str, str] | None = None,
    workers: int = 2,
    timeout: float = 30.0,
) -> Server:
    """Start `feedsvc serve` on a free loopback port and wait until it answers."""
    port = free_port()
    log = articles.parent / f"server-{port}.log"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FEEDSVC_")}
    environment.setdefault("FEEDSVC_STATE", str(articles.parent / "state.sqlite3"))
    environment.update(env or {})
    command = [
        sys.executable,
        "-m",
        "feedsvc",
        "serve",
        "--articles",
        str(articles),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        *args,
    ]
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=environment, cwd=articles.parent
        )
    server = Server(process, f"http://127.0.0.1:{port}/", log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(server.url + "feed.atom", timeout=2):
                return server
        except OSError:
            time.sleep(0.1)
    stop_server(server)
    raise RuntimeError(f"server did not answer within {timeout} s:\n{log.read_text()}")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture
def server(articles: Path) -> Iterator[Server]:
    """A real gunicorn server with two workers on the sample articles."""
    running = start_server(articles)
    yield running
    stop_server(running)
