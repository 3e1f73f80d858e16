"""``feedsvc build``: the static export serves what ``feedsvc serve`` serves, byte for byte."""

from __future__ import annotations

import gzip
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import Server, app_config, free_port, start_server, stop_server

from feedsvc import config
from feedsvc.build import MANIFEST, file_for
from feedsvc.web.publisher import Publisher

BASE = "http://feeds.example.org/news/"
ROOT_BASE = "http://feeds.example.org/"
DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def build(
    articles: Path, outdir: Path, *args: str, base: str = BASE, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run `feedsvc build` as a user would, with the same settings as the server."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FEEDSVC_")}
    environment.update(FEEDSVC_STATE=str(articles.parent / "state.sqlite3"), FEEDSVC_BASE_URL=base)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "feedsvc",
            "build",
            str(outdir),
            "--articles",
            str(articles),
            *args,
        ],
        env=environment,
        cwd=articles.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=check,
    )


def fetch(server: Server, path: str, headers: dict[str, str]) -> http.client.HTTPResponse:
    url = urlsplit(server.url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.body = response.read()
    connection.close()
    return response


def tree(root: Path) -> dict[str, tuple[int, int]]:
    """Return each file under ROOT with its inode and mtime in nanoseconds."""
    return {
        p.relative_to(root).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def served(articles: Path) -> Iterator[Server]:
    running = start_server(articles, env={"FEEDSVC_BASE_URL": BASE})
    yield running
    stop_server(running)


def test_build_output_equals_what_serve_returns_for_every_path(
    served: Server, articles: Path, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    build(articles, out, "--quiet")
    settings = {**config.DEFAULTS, **app_config(articles, BASE_URL=BASE)}
    paths = list(Publisher(settings, datetime.now(UTC)).documents.paths())
    assert len(paths) > 20
    redirects = (out / "_redirects").read_text().splitlines()
    checked = 0
    for path in paths:
        url = "/news/" + path
        plain = fetch(served, url, {"Accept-Encoding": "identity"})
        if plain.status in (301, 410):
            target = plain.getheader("Location") or url
            assert f"{url} {target} {plain.status}" in redirects
            continue
        assert plain.status == 200, path
        packed = fetch(served, url, {"Accept-Encoding": "gzip"})
        assert packed.getheader("Content-Encoding") == "gzip"
        name = file_for(path)
        assert (out / name).read_bytes() == plain.body, path
        assert (out / (name + ".gz")).read_bytes() == packed.body, path
        assert gzip.decompress(packed.body) == plain.body
        checked += 1
    assert checked >= 20


def test_build_renders_each_document_once_and_lets_it_go(articles: Path) -> None:
    settings = {**config.DEFAULTS, **app_config(articles, BASE_URL=BASE)}
    documents = Publisher(settings, datetime.now(UTC)).documents
    paths = list(documents.paths())
    built = {path: documents.render(path) for path in paths}
    assert list(built) == paths
    for path in paths:
        served = documents.resolve(path)
        assert (served.status, served.location) == (built[path].status, built[path].location)
        if served.document is not None:
            assert served.document.body == built[path].document.body, path
            if served.status == 200 and not path.startswith("static/"):
                # rendered again: the build kept nothing, so a site never sits in memory
                assert served.document is not built[path].document, path
    assert documents.resolve("feed.atom").document is documents.resolve("feed.atom").document


def test_build_writes_each_kind_of_path_where_a_static_server_looks(
    articles: Path, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    build(articles, out, "--quiet")
    for name in [
        "index.html",
        "feed.atom",
        "feed.rss",
        "feed.json",
        "tags/city/index.html",
        "tags/city/feed.atom",
        "archive/2026-11.json",
        "articles/night-market-guide.html",
        "static/style.css",
        "404.html",
        "_redirects",
    ]:
        assert (out / name).is_file(), name
        if name != "_redirects":
            assert (out / (name + ".gz")).is_file(), name


def test_second_build_without_change_rewrites_nothing(articles: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    first = build(articles, out)
    assert "building" in first.stdout + first.stderr  # progress is shown
    before = tree(out)
    second = build(articles, out)
    assert tree(out) == before
    assert " 0 files changed" in second.stderr


def test_build_after_a_change_rewrites_only_what_changed(articles: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(articles, out, "--quiet")
    before = tree(out)
    (articles / "harbour-bridge-reopens.txt").unlink()
    build(articles, out, "--quiet")
    after = tree(out)
    assert "articles/harbour-bridge-reopens.html" not in after
    assert (
        "/news/articles/harbour-bridge-reopens /news/articles/harbour-bridge-reopens 410"
        in (out / "_redirects").read_text()
    )
    assert after["articles/night-market-guide.html"] == before["articles/night-market-guide.html"]
    assert after["static/style.css"] == before["static/style.css"]
    assert after["feed.atom"] != before["feed.atom"]
    assert set((out / MANIFEST).read_text().split()) == set(after)


NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


@contextmanager
def running_nginx(prefix: Path, server: str, port: int) -> Iterator[str]:
    """Run nginx under PREFIX with SERVER (http-level configuration); yield its URL."""
    (prefix / "nginx.conf").write_text(
        f"daemon off;\nuser root;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log;\n"
        "events { worker_connections 64; }\nhttp {\n  access_log off;\n"
        + "".join(
            f"  {kind}_temp_path {prefix}/{kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        + server
        + "\n}\n"
    )
    command = [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf")]
    command += ["-e", str(prefix / "error.log")]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"nginx did not start: {(prefix / 'error.log').read_text()}")
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def nginx_static(articles: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """deploy/nginx-static.conf serving a build on a loopback port (skipped without nginx)."""
    if NGINX is None:
        if os.environ.get("CI") == "true":  # .ci/run installs it: a CI without it fails
            pytest.fail("nginx is not installed (.ci/run installs it)")
        pytest.skip("nginx is not installed")
    site, prefix = tmp_path / "site", tmp_path / "nginx"
    (prefix / "logs").mkdir(parents=True)
    build(articles, site, "--quiet", base=ROOT_BASE)
    (articles / "harbour-bridge-reopens.txt").unlink()  # a 410 in _redirects
    build(articles, site, "--quiet", base=ROOT_BASE)
    awk = re.search(
        r"#   (awk .*?)\n#\n", DEPLOY.joinpath("nginx-static.conf").read_text(), re.S
    ).group(1)
    awk = (
        re.sub(r"\\?\n#\s*", " ", awk)
        .replace("/srv/feedsvc/site", str(site))
        .replace("/srv/feedsvc/redirects.conf", str(prefix / "redirects.conf"))
    )
    subprocess.run(awk, shell=True, check=True, timeout=30)
    port = free_port()
    server = DEPLOY.joinpath("nginx-static.conf").read_text()
    server = (
        server.replace("listen 80;", f"listen 127.0.0.1:{port};")
        .replace("/srv/feedsvc/site", str(site))
        .replace("/srv/feedsvc/redirects.conf", str(prefix / "redirects.conf"))
    )
    with running_nginx(prefix, server, port) as url:
        yield url, site


def test_nginx_serves_the_export_with_our_bytes_and_types(nginx_static, articles: Path) -> None:
    url, site = nginx_static
    settings = {**config.DEFAULTS, **app_config(articles, BASE_URL=ROOT_BASE)}
    documents = Publisher(settings, datetime.now(UTC)).documents
    assert documents.resolve("articles/harbour-bridge-reopens").status == 410
    server = Server(None, url, Path())
    for path in documents.paths():
        result = documents.resolve(path)
        plain = fetch(server, "/" + path, {"Accept-Encoding": "identity"})
        if result.location is not None:
            assert (plain.status, plain.getheader("Location")) == (301, result.location), path
            continue
        if result.status == 410:
            assert plain.status == 410, path
            continue
        assert plain.status == 200, path
        assert plain.body == result.document.body, path
        assert plain.getheader("Content-Type") == result.document.content_type, path
        packed = fetch(server, "/" + path, {"Accept-Encoding": "gzip"})
        assert packed.getheader("Content-Encoding") == "gzip", path
        assert packed.body == result.document.gzip_body, path
        assert "Accept-Encoding" in packed.getheader("Vary", ""), path
        again = fetch(server, "/" + path, {"If-None-Match": plain.getheader("ETag")})
        assert again.status == 304, path
    missing = fetch(server, "/articles/no-such-article", {})
    assert missing.status == 404 and missing.body == (site / "404.html").read_bytes()
    assert fetch(server, "/_redirects", {}).status == 404


def test_nginx_cache_in_front_of_serve_keeps_our_validators(
    articles: Path, tmp_path: Path
) -> None:
    """deploy/nginx-cache.conf: hits from the cache carry feedsvc's ETag; 304s work."""
    if NGINX is None:
        pytest.skip("nginx is not installed")
    origin = start_server(articles, env={"FEEDSVC_BASE_URL": ROOT_BASE})
    prefix = tmp_path / "nginx"
    (prefix / "logs").mkdir(parents=True)
    port = free_port()
    conf = DEPLOY.joinpath("nginx-cache.conf").read_text()
    conf = (
        conf.replace("listen 80;", f"listen 127.0.0.1:{port};")
        .replace("server 127.0.0.1:8000;", f"server {urlsplit(origin.url).netloc};")
        .replace("/var/cache/nginx/feedsvc", str(prefix / "cache"))
    )
    try:
        with running_nginx(prefix, conf, port) as url:
            proxy = Server(None, url, Path())
            for encoding in ("identity", "gzip"):
                direct = fetch(origin, "/feed.atom", {"Accept-Encoding": encoding})
                first = fetch(proxy, "/feed.atom", {"Accept-Encoding": encoding})
                second = fetch(proxy, "/feed.atom", {"Accept-Encoding": encoding})
                assert second.getheader("X-Cache-Status") == "HIT"
                for reply in (first, second):
                    assert reply.body == direct.body
                    assert reply.getheader("ETag") == direct.getheader("ETag")
                    assert reply.getheader("Last-Modified") == direct.getheader("Last-Modified")
                    assert reply.getheader("Cache-Control") == direct.getheader("Cache-Control")
                again = fetch(
                    proxy,
                    "/feed.atom",
                    {"Accept-Encoding": encoding, "If-None-Match": direct.getheader("ETag")},
                )
                assert again.status == 304 and again.body == b""
    finally:
        stop_server(origin)
