"""Hosting beside a blog: a path prefix, proxies, the Host header, snippet and deploy/."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import lxml.html
import pytest
from click.testing import CliRunner
from conftest import ROOT, Server, app_config, free_port, start_server, stop_server
from flask import request
from werkzeug.middleware.proxy_fix import ProxyFix

from feedsvc import create_app
from feedsvc.catalog.replaced import QUIET
from feedsvc.cli import main

NEWS = "https://example.org/news/"
EVIL = "evil.example"
DEPLOY = ROOT / "deploy"
PATHS = [
    "",
    "page/2/",
    "feed.atom",
    "feed.rss",
    "feed.json",
    "articles/harbour-bridge-reopens",
    "tags/city/",
    "tags/city/feed.atom",
    "tags/city/feed.rss",
    "tags/city/feed.json",
    "static/style.css",
    "static/print.css",
    "static/favicon.svg",
]


@pytest.fixture
def news(articles: Path):
    """A client for a site whose BASE_URL is under /news/, two articles an index page."""
    return create_app(app_config(articles, BASE_URL=NEWS, PAGE_SIZE=2)).test_client()


def urls_in_page(body: bytes, *, skip_article_body: bool = True) -> list[str]:
    """Return every URL a page links to, loads, or names in its head."""
    page = lxml.html.fromstring(body)
    if skip_article_body:  # what the author wrote in an article is theirs, not ours
        for element in page.cssselect(".body, .bio"):
            element.drop_tree()
    found = [e.get(attr) for attr in ("href", "src") for e in page.iter() if e.get(attr)]
    found += [m.get("content") for m in page.cssselect('meta[property="og:url"]')]
    return found


@pytest.mark.parametrize("path", PATHS)
def test_prefix_kept_or_stripped_by_the_proxy_serves_the_same_document(news, path):
    kept = news.get("/news/" + path)
    stripped = news.get("/" + path)
    assert kept.status_code == stripped.status_code == 200
    assert kept.data == stripped.data
    assert kept.headers["ETag"] == stripped.headers["ETag"]


@pytest.mark.parametrize("mount", ["/news/", "/"])
@pytest.mark.parametrize(
    "path", [p for p in PATHS if not p.startswith(("feed", "static", "tags/city/f"))]
)
def test_every_url_a_page_emits_is_under_the_prefix(news, mount, path):
    urls = urls_in_page(news.get(mount + path).data)
    assert urls
    for url in urls:
        assert url.startswith(NEWS) or url.startswith("#"), url


@pytest.mark.parametrize("kind", ["atom", "rss"])
def test_feed_urls_are_under_the_prefix(news, kind):
    feed = feedparser.parse(news.get(f"/news/feed.{kind}").data)
    assert feed.bozo == 0
    links = [feed.feed.link] + [link.href for link in feed.feed.get("links", [])]
    links += [entry.link for entry in feed.entries]
    assert len(feed.entries) == 4
    assert all(link.startswith(NEWS) for link in links), links


def test_json_feed_urls_are_under_the_prefix(news):
    feed = json.loads(news.get("/feed.json").data)
    urls = [feed["home_page_url"], feed["feed_url"]] + [item["url"] for item in feed["items"]]
    assert all(url.startswith(NEWS) for url in urls), urls


@pytest.mark.parametrize("mount", ["/news/", "/"])
def test_redirects_point_under_the_prefix(articles: Path, mount):
    (articles / "harbour-bridge-reopens.txt").write_text(
        "Aliases: old-bridge\n" + (articles / "harbour-bridge-reopens.txt").read_text()
    )
    past = time.time() - 60
    os.utime(articles / "harbour-bridge-reopens.txt", (past, past))
    client = create_app(app_config(articles, BASE_URL=NEWS)).test_client()
    alias = client.get(mount + "articles/old-bridge")
    assert alias.status_code == 301
    assert alias.headers["Location"] == NEWS + "articles/harbour-bridge-reopens"
    first = client.get(mount + "page/1/")
    assert (first.status_code, first.headers["Location"]) == (301, NEWS)


def test_routes_outside_the_prefix_are_not_the_blogs(news):
    assert news.get("/blog/").status_code == 404
    assert news.get("/newsletter/feed.atom").status_code == 404


# The Host header and X-Forwarded-*: never in an emitted URL, trusted only when told.


def _probe(app):
    """Add a route that reports what the request looks like after the middleware."""
    app.add_url_rule(
        "/_probe",
        "probe",
        lambda: {
            "remote": request.remote_addr,
            "host": request.host,
            "scheme": request.scheme,
            "root": request.root_path,
        },
    )
    return app.test_client()


FORWARDED = {
    "X-Forwarded-For": "203.0.113.9",
    "X-Forwarded-Host": EVIL,
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Prefix": "/evil",
}


def test_forwarded_headers_are_ignored_without_trusted_proxies(articles: Path):
    app = create_app(app_config(articles))
    assert not isinstance(app.wsgi_app.app, ProxyFix)  # inside the limits middleware
    seen = _probe(app).get("/_probe", headers=FORWARDED, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert seen.json == {"remote": "10.0.0.1", "host": "localhost", "scheme": "http", "root": ""}


@pytest.mark.parametrize("proxies", [1, 2])
def test_forwarded_headers_are_trusted_for_that_many_proxies(articles: Path, proxies):
    app = create_app(app_config(articles, TRUSTED_PROXIES=proxies))
    proxy_fix = app.wsgi_app.app  # inside the limits middleware
    assert isinstance(proxy_fix, ProxyFix)
    assert (proxy_fix.x_for, proxy_fix.x_host, proxy_fix.x_prefix) == (proxies,) * 3
    # each proxy appends its own value; ProxyFix reads the PROXIES-th from the right
    headers = {
        **FORWARDED,
        "X-Forwarded-For": "198.51.100.7, 203.0.113.9",
        "X-Forwarded-Proto": "https, https",
        "X-Forwarded-Host": f"{EVIL}, {EVIL}",
    }
    seen = _probe(app).get("/_probe", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert seen.json["remote"] == ("203.0.113.9" if proxies == 1 else "198.51.100.7")
    assert seen.json["scheme"] == "https"
    # Even when trusted, a forwarded host only routes; it never reaches an emitted URL.
    page = (
        create_app(app_config(articles, TRUSTED_PROXIES=proxies))
        .test_client()
        .get("/", headers=headers)
    )
    assert EVIL.encode() not in page.data


def _raw(
    server: Server, method: str, path: str, headers: dict[str, str]
) -> tuple[int, str, bytes]:
    """Send one request exactly as given (no redirect following); return status, headers, body."""
    port = urlsplit(server.url).port
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        return response.status, str(response.msg), response.read()
    finally:
        connection.close()


def _absolute_form(server: Server, target: str) -> bytes:
    """Send a request whose target is an absolute URL on another host."""
    port = urlsplit(server.url).port
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            f"GET {target} HTTP/1.1\r\nHost: {EVIL}\r\nConnection: close\r\n\r\n".encode()
        )
        chunks = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (chunk := sock.recv(65536)):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture(
    params=["http://feeds.example.org/", "http://feeds.example.org/news/"], ids=["root", "news"]
)
def hostile(request, articles: Path) -> Iterator[tuple[Server, str]]:
    """A real server with an alias and a deleted article, BASE_URL at the root or under /news/."""
    text = articles / "harbour-bridge-reopens.txt"
    text.write_text("Aliases: old-bridge\n" + text.read_text())
    past = time.time() - 60
    os.utime(text, (past, past))
    state = articles.parent / "state.sqlite3"
    create_app(app_config(articles, STATE=str(state), BASE_URL=request.param))  # records all four
    (articles / "library-night-hours.txt").unlink()
    time.sleep(QUIET)  # a start sooner holds it (503) until the folder is quiet (deploys)
    server = start_server(
        articles, env={"FEEDSVC_BASE_URL": request.param, "FEEDSVC_STATE": str(state)}, workers=1
    )
    yield server, urlsplit(request.param).path
    stop_server(server)


HOSTILE_REQUESTS = [
    ("GET", ""),
    ("HEAD", ""),
    ("GET", "feed.atom"),
    ("GET", "feed.rss"),
    ("GET", "feed.json"),
    ("GET", "articles/harbour-bridge-reopens"),
    ("GET", "articles/old-bridge"),
    ("GET", "articles/library-night-hours"),
    ("GET", "articles/nope"),
    ("GET", "tags/city/"),
    ("GET", "tags/city"),
    ("GET", "page/1/"),
    ("GET", "page/9/"),
    ("GET", "static/style.css"),
    ("GET", "static/nope"),
    ("POST", ""),
    ("PUT", "feed.atom"),
    ("OPTIONS", ""),
    ("DELETE", "x"),
    ("GET", "%ff"),
    ("GET", "articles/../feed.atom"),
]


@pytest.mark.server
@pytest.mark.parametrize("forwarded", [False, True], ids=["host", "host+forwarded"])
def test_a_hostile_host_header_appears_in_no_body_and_no_header(hostile, forwarded):
    server, prefix = hostile
    headers = {"Host": EVIL}
    if forwarded:
        headers |= {
            "X-Forwarded-Host": EVIL,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Prefix": "/" + EVIL,
            "X-Forwarded-Server": EVIL,
            "Forwarded": f"host={EVIL};proto=https",
            "X-Original-URL": f"http://{EVIL}/",
        }
    statuses = {}
    for mount in {prefix, "/"}:
        for method, path in HOSTILE_REQUESTS:
            status, head, body = _raw(server, method, mount + path, headers)
            statuses[method, mount + path] = status
            assert EVIL not in head.lower(), (method, mount + path, head)
            assert EVIL.encode() not in body.lower(), (method, mount + path)
        for extra in ({"If-None-Match": "*"}, {"Accept-Encoding": "identity"}):
            status, head, body = _raw(server, "GET", mount, headers | extra)
            assert EVIL not in head.lower() and EVIL.encode() not in body.lower()
    # the requests covered every kind of answer: pages, redirects, 404, 405, 410
    assert {200, 301, 404, 405, 410} <= set(statuses.values()), statuses
    assert statuses["GET", prefix + "articles/library-night-hours"] == 410
    raw = _absolute_form(server, f"http://{EVIL}{prefix}articles/old-bridge")
    assert raw.startswith(b"HTTP/1.1 301")
    assert EVIL.encode() not in raw.lower()


# feedsvc snippet


def test_snippet_prints_autodiscovery_links_and_a_subscribe_block(tmp_path: Path, articles: Path):
    result = CliRunner().invoke(
        main,
        ["snippet", "--articles", str(articles)],
        env={"FEEDSVC_BASE_URL": NEWS, "FEEDSVC_TITLE": "Harbour News"},
    )
    assert result.exit_code == 0, result.output
    fragment = lxml.html.fragments_fromstring(result.output)
    links = [e for e in fragment if isinstance(e, lxml.html.HtmlElement) and e.tag == "link"]
    assert [(e.get("rel"), e.get("type"), e.get("href")) for e in links] == [
        ("alternate", "application/atom+xml", NEWS + "feed.atom"),
        ("alternate", "application/rss+xml", NEWS + "feed.rss"),
        ("alternate", "application/feed+json", NEWS + "feed.json"),
    ]
    assert all(e.get("title").startswith("Harbour News") for e in links)
    (section,) = [
        e for e in fragment if isinstance(e, lxml.html.HtmlElement) and e.tag == "section"
    ]
    assert [a.get("href") for a in section.cssselect("a")] == [
        NEWS + "feed.atom",
        NEWS + "feed.rss",
        NEWS + "feed.json",
        NEWS,
    ]
    assert "<script" not in result.output


# deploy/: the reverse-proxy examples, run for real where the proxy is installed.


def _wait(url: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", urlsplit(url).port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not open within {timeout} s")


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("GET", parts.path or "/")
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def _check_proxy(command: list[str], public: str, env: dict[str, str] | None = None) -> None:
    """Run the proxy COMMAND; check the site under /news/ at PUBLIC and the blog beside it."""
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    try:
        _wait(public)
        _check_prefixed_site(public)
        assert _get(public.replace("/news/", "/"))[2] == b"the blog"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _check_prefixed_site(public: str) -> None:
    """Fetch the index through the proxy and every URL it emits; all answer under PUBLIC."""
    status, _, body = _get(public)
    assert status == 200
    urls = [u for u in urls_in_page(body) if not u.startswith("#")]
    assert urls and all(u.startswith(public) for u in urls), urls
    for url in sorted(set(urls))[:40]:
        assert _get(url)[0] == 200, url
    status, headers, _ = _get(public.rstrip("/"))
    assert status in (200, 301)
    if status == 301:
        assert headers["Location"].endswith("/news/")


@pytest.fixture
def upstream(articles: Path) -> Iterator[tuple[Server, str]]:
    """A feedsvc server whose BASE_URL is a proxy's /news/ on another loopback port."""
    port = free_port()
    public = f"http://127.0.0.1:{port}/news/"
    server = start_server(
        articles, env={"FEEDSVC_BASE_URL": public, "FEEDSVC_TRUSTED_PROXIES": "1"}, workers=1
    )
    yield server, public
    stop_server(server)


@pytest.mark.server
def test_nginx_example_serves_the_site_under_news(upstream, tmp_path: Path):
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None
    )
    if nginx is None:
        pytest.skip(
            "nginx not installed (Debian package nginx): deploy/nginx-prefix.conf untested"
        )
    server, public = upstream
    conf = (
        (DEPLOY / "nginx-prefix.conf")
        .read_text()
        .replace("127.0.0.1:8000", f"127.0.0.1:{urlsplit(server.url).port}")
    )
    (tmp_path / "feedsvc.conf").write_text(conf)
    for name in ("logs", "tmp"):
        (tmp_path / name).mkdir()
    (tmp_path / "nginx.conf").write_text(f"""
        daemon off; pid {tmp_path}/nginx.pid; error_log {tmp_path}/logs/error.log;
        events {{ worker_connections 64; }}
        http {{
          access_log off;
          client_body_temp_path {tmp_path}/tmp/body; proxy_temp_path {tmp_path}/tmp/proxy;
          fastcgi_temp_path {tmp_path}/tmp/fcgi; uwsgi_temp_path {tmp_path}/tmp/uwsgi;
          scgi_temp_path {tmp_path}/tmp/scgi;
          server {{
            listen 127.0.0.1:{urlsplit(public).port};
            location / {{ return 200 "the blog"; }}
            include {tmp_path}/feedsvc.conf;
          }}
        }}
    """)
    _check_proxy([nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")], public)


@pytest.mark.server
def test_caddy_example_serves_the_site_under_news(upstream, tmp_path: Path):
    caddy = shutil.which("caddy")
    if caddy is None:
        pytest.skip("caddy not installed (Debian package caddy): deploy/Caddyfile untested")
    server, public = upstream
    port = urlsplit(public).port
    # No admin endpoint and no automatic HTTPS on a loopback test; the site block is the file's.
    caddyfile = tmp_path / "Caddyfile"
    caddyfile.write_text(
        "{\n\tadmin off\n\tauto_https off\n\tstorage file_system "
        f"{tmp_path}/data\n}}\n" + (DEPLOY / "Caddyfile").read_text()
    )
    env = {
        **os.environ,
        "SITE": f"http://127.0.0.1:{port}",
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path),
        "FEEDSVC_UPSTREAM": f"127.0.0.1:{urlsplit(server.url).port}",
    }
    _check_proxy([caddy, "run", "--config", str(caddyfile), "--adapter", "caddyfile"], public, env)
