"""Images beside a post (page bundles) with PAGES on (issue 13: "Images beside a post
(page bundles) ... answer 404").

The oracle is each engine's documentation: Hugo's page bundles publish a leaf
bundle's page resources at the page's URL plus their path in the bundle (Content
management: Page bundles, Page resources); Zola copies a page folder's co-located
assets beside the page's output (Content: Overview, "Asset colocation"); Eleventy's
`addPassthroughCopy("blog/**/*.png")` (the fixture's configuration) copies them at
their input path, which is the post's URL when the post keeps its default permalink.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import feedparser
import pytest
from engine_sites import SITES, build_pages

from feedsvc import create_app
from feedsvc.reading.bundles import BundleFiles, media_type

BLOG = "https://harbour.example.org/"
PNG = b"\x89PNG\r\n\x1a\n"
# Where each fixture's harbour-walk bundle is published, and its image's file.
WALKS = {
    "hugo": ("2024/05/walk/", "content/posts/harbour-walk/quay.png"),  # [permalinks], slug
    "zola": ("walks/harbour/", "content/blog/harbour-walk/quay.png"),  # path = walks/harbour
    "eleventy": ("blog/harbour-walk/", "blog/harbour-walk/quay.png"),  # the file's path
}


def _site(tmp_path: Path, engine: str) -> Path:
    site = tmp_path / engine
    shutil.copytree(SITES / engine, site)
    return site


def _client(site: Path, **extra: object):  # type: ignore[no-untyped-def]
    config = {
        "ARTICLES": str(site),
        "STATE": str(site.parent / "state.sqlite3"),
        "BASE_URL": BLOG,
        "RESCAN_INTERVAL": 0.01,
        **extra,
    }
    return create_app(config).test_client()


@pytest.mark.parametrize("engine", sorted(WALKS))
def test_with_pages_on_the_image_beside_a_post_answers_where_its_page_links_it(
    tmp_path: Path, engine: str
) -> None:
    """Hugo page resources, Zola co-located assets, Eleventy passthrough copy: the page's
    `![The quay](quay.png)` resolves to the post's URL plus quay.png, which answers the
    bundle's file, as the feed entry's image URL does."""
    site = _site(tmp_path, engine)
    client = _client(site, PAGES="on")
    post, image = WALKS[engine]
    page = client.get("/" + post)
    assert page.status_code == 200
    assert f'src="{BLOG}{post}quay.png"' in page.get_data(as_text=True)
    feed = feedparser.parse(client.get("/feed.atom").data)
    sources = [e.content[0].value for e in feed.entries if e.link == BLOG + post]
    assert f'src="{BLOG}{post}quay.png"' in sources[0]
    response = client.get(f"/{post}quay.png")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    assert response.data == (site / image).read_bytes() and response.data.startswith(PNG)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # a conditional GET, as for every document: the ETag answers 304
    again = client.get(f"/{post}quay.png", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    # an image is sent as it is, never gzipped
    gz = client.get(f"/{post}quay.png", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in gz.headers and gz.data == response.data


@pytest.mark.parametrize("engine", sorted(WALKS))
def test_with_pages_off_the_blog_serves_its_images(tmp_path: Path, engine: str) -> None:
    """PAGES off (the default on a blog engine's site): the engine publishes the bundle's
    files with the post's page; feedsvc answers neither."""
    client = _client(_site(tmp_path, engine))
    post, _ = WALKS[engine]
    assert client.get(f"/{post}quay.png").status_code == 404


def test_a_bundle_serves_media_only_never_an_article_dotfile_or_configuration(
    tmp_path: Path,
) -> None:
    """Hugo page resources may be any file of the bundle (notes.md here); feedsvc serves
    only images, audio, video and PDF, by extension: never the post or another article,
    a dotfile, a configuration file or a path leaving the bundle."""
    site = _site(tmp_path, "hugo")
    bundle = site / "content/posts/harbour-walk"
    (bundle / ".hidden.png").write_bytes(PNG)
    (bundle / "data.toml").write_text("secret = 1\n")
    (bundle / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42")
    (bundle / "chart.pdf").write_bytes(b"%PDF-1.4\n")
    client = _client(site, PAGES="on")
    base = "/2024/05/walk/"
    for name in (
        "index.md",
        "notes.md",
        ".hidden.png",
        "data.toml",
        "../../../hugo.toml",
        "..%2F..%2F..%2Fhugo.toml",
        "missing.png",
    ):
        assert client.get(base + name).status_code == 404, name
    assert client.get(base + "clip.mp4").headers["Content-Type"] == "video/mp4"
    assert client.get(base + "chart.pdf").headers["Content-Type"] == "application/pdf"


def test_nested_bundle_files_answer_at_their_path_in_the_bundle(tmp_path: Path) -> None:
    """Hugo page resources keep their path in the bundle (images/pier.jpg is published at
    the page's URL plus images/pier.jpg); a file named in another script is %-quoted."""
    site = _site(tmp_path, "hugo")
    folder = site / "content/posts/harbour-walk/images"
    folder.mkdir()
    (folder / "pier.jpg").write_bytes(b"\xff\xd8\xff\xe0 jpeg")
    (folder / "été.png").write_bytes(PNG + b"ete")
    client = _client(site, PAGES="on")
    response = client.get("/2024/05/walk/images/pier.jpg")
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/jpeg"
    assert response.data == b"\xff\xd8\xff\xe0 jpeg"
    assert client.get("/2024/05/walk/images/%C3%A9t%C3%A9.png").data == PNG + b"ete"


def test_a_bundle_file_edited_in_place_is_served_anew(tmp_path: Path) -> None:
    site = _site(tmp_path, "hugo")
    client = _client(site, PAGES="on")
    first = client.get("/2024/05/walk/quay.png")
    image = site / "content/posts/harbour-walk/quay.png"
    image.write_bytes(PNG + b"a new photograph")
    os.utime(image, ns=(1, 1))  # a signature that differs even within one clock tick
    second = client.get("/2024/05/walk/quay.png")
    assert second.data == PNG + b"a new photograph"
    assert second.headers["ETag"] != first.headers["ETag"]


def test_no_symlink_below_the_articles_folder_is_followed(tmp_path: Path) -> None:
    """A symlink in a bundle, to a file in the site or outside it, or a symlinked folder,
    is never served, whatever its name says."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.png").write_bytes(PNG + b"secret")
    site = _site(tmp_path, "hugo")
    bundle = site / "content/posts/harbour-walk"
    (bundle / "config.png").symlink_to(site / "hugo.toml")
    (bundle / "escape.png").symlink_to(outside / "secret.png")
    (bundle / "pics").symlink_to(outside)
    client = _client(site, PAGES="on")
    for name in ("config.png", "escape.png", "pics/secret.png"):
        assert client.get("/2024/05/walk/" + name).status_code == 404, name
    assert BundleFiles(str(site)).listing("content/posts/harbour-walk") == ["quay.png"]


def test_only_the_bundles_of_posts_feedsvc_serves(tmp_path: Path) -> None:
    """A draft's bundle, and a page's (Hugo: a regular page outside the main sections),
    are not served: their posts have no page here."""
    site = _site(tmp_path, "hugo")
    draft = site / "content/posts/draft-walk"
    draft.mkdir()
    (draft / "index.md").write_text("---\ntitle: Draft\ndraft: true\n---\nSoon.\n")
    (draft / "map.png").write_bytes(PNG)
    client = _client(site, PAGES="on")
    assert client.get("/posts/draft-walk/map.png").status_code == 404
    assert client.get("/2024/05/draft-walk/map.png").status_code == 404
    assert client.get("/about-us/quay.png").status_code == 404


def test_svg_is_served_sandboxed(tmp_path: Path) -> None:
    """An SVG may hold script: it is served with `Content-Security-Policy: sandbox`
    (and default-src 'none'), so opening it runs nothing."""
    site = _site(tmp_path, "zola")
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    (site / "content/blog/harbour-walk/map.svg").write_bytes(svg)
    response = _client(site, PAGES="on").get("/walks/harbour/map.svg")
    assert response.status_code == 200 and response.data == svg
    assert response.headers["Content-Type"] == "image/svg+xml"
    policy = response.headers["Content-Security-Policy"]
    assert "sandbox" in policy and "default-src 'none'" in policy


def test_a_file_over_the_bound_or_not_regular_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "post").mkdir()
    (tmp_path / "post/big.png").write_bytes(PNG * 4)
    os.mkfifo(tmp_path / "post/pipe.png")
    files = BundleFiles(str(tmp_path), max_bytes=16)
    assert files.read("post/big.png") is None
    assert files.read("post/pipe.png") is None  # never blocks on a FIFO
    assert BundleFiles(str(tmp_path)).read("post/big.png") is not None
    mark, data = BundleFiles(str(tmp_path)).read("post/big.png") or (b"", None)
    assert BundleFiles(str(tmp_path)).read("post/big.png", mark) == (mark, None)
    assert [media_type(n) for n in ("a.PNG", "a.md", ".a.png", "x/../a.png", "a%2F.png")] == [
        "image/png",
        None,
        None,
        None,
        None,
    ]


def test_build_writes_the_bundles_files_beside_the_posts_pages(tmp_path: Path) -> None:
    """`feedsvc build` with PAGES on writes quay.png where the page links it (Hugo
    page resources), the same bytes the server answers, with no .gz copy."""
    site = _site(tmp_path, "hugo")
    out = tmp_path / "out"
    build_pages(site, out, tmp_path / "s.db", BLOG)
    image = site / "content/posts/harbour-walk/quay.png"
    assert (out / "2024/05/walk/quay.png").read_bytes() == image.read_bytes()
    assert (out / "2024/05/walk/index.html").exists()
    assert not (out / "2024/05/walk/quay.png.gz").exists()
    assert not (out / "2024/05/walk/notes.md").exists()


@pytest.mark.server
def test_a_real_server_answers_a_bundles_image(tmp_path: Path) -> None:
    """`feedsvc serve` (granian, its fast path), PAGES=on, Hugo fixture: the image of the
    walk's page bundle answers 200 image/png, then 304 to its ETag; never gzipped."""
    from conftest import start_server, stop_server

    site = _site(tmp_path, "hugo")
    server = start_server(site, env={"FEEDSVC_PAGES": "on", "FEEDSVC_BASE_URL": BLOG}, workers=1)
    try:
        status, headers, body = server.get("/2024/05/walk/quay.png", {"Accept-Encoding": "gzip"})
        assert status == 200 and headers["Content-Type"] == "image/png"
        assert body == (site / "content/posts/harbour-walk/quay.png").read_bytes()
        assert headers.get("Content-Encoding") is None
        status, _, body = server.get("/2024/05/walk/quay.png", {"If-None-Match": headers["ETag"]})
        assert status == 304 and body == b""
        assert server.get("/2024/05/walk/notes.md")[0] == 404
    finally:
        stop_server(server)


def test_nginx_serves_a_builds_bundle_files_as_serve_does(tmp_path: Path) -> None:
    """deploy/nginx-static.conf on a build of the Hugo fixture (PAGES=on): each page
    resource (Hugo Page resources) answers with serve's bytes and type, an image never
    gzipped, an SVG with serve's sandboxing policy, and 304 to its ETag."""
    from datetime import UTC, datetime

    from conftest import Server, free_port
    from test_build import NGINX, fetch, running_nginx

    from feedsvc import config
    from feedsvc.web.http import SVG_POLICY
    from feedsvc.web.publisher import Publisher

    if NGINX is None:
        if os.environ.get("CI") == "true":
            pytest.fail("nginx is not installed (.ci/run installs it)")
        pytest.skip("nginx is not installed")
    site = _site(tmp_path, "hugo")
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    (site / "content/posts/harbour-walk/map.svg").write_bytes(svg)
    out, prefix = tmp_path / "out", tmp_path / "nginx"
    (prefix / "logs").mkdir(parents=True)
    build_pages(site, out, tmp_path / "state.sqlite3", BLOG)
    settings = {
        **config.DEFAULTS,
        "ARTICLES": str(site),
        "STATE": str(tmp_path / "state.sqlite3"),
        "BASE_URL": BLOG,
        "PAGES": "on",
    }
    publisher = Publisher(settings, datetime.now(UTC))
    documents = publisher.documents
    conf = Path(__file__).resolve().parent.parent / "deploy" / "nginx-static.conf"
    port = free_port()
    server = (
        conf.read_text()
        .replace("listen 80;", f"listen 127.0.0.1:{port};")
        .replace("/srv/feedsvc/site", str(out))
        .replace("include /srv/feedsvc/redirects.conf;", "")
    )
    try:
        with running_nginx(prefix, server, port) as url:
            nginx = Server(None, url, Path())  # type: ignore[arg-type]
            for name in ("quay.png", "map.svg"):
                path = "2024/05/walk/" + name
                document = documents.resolve(path).document
                assert document is not None, path
                plain = fetch(nginx, "/" + path, {"Accept-Encoding": "gzip"})
                assert plain.status == 200, path
                assert plain.body == (document.gzip_body if document.compress else document.body)
                assert plain.getheader("Content-Type") == document.content_type, path
                assert plain.getheader("Content-Encoding") == (
                    "gzip" if document.compress else None
                ), path
                again = fetch(
                    nginx,
                    "/" + path,
                    {"Accept-Encoding": "gzip", "If-None-Match": plain.getheader("ETag")},
                )
                assert again.status == 304, path
            policy = fetch(nginx, "/2024/05/walk/map.svg", {}).getheader("Content-Security-Policy")
            assert policy == SVG_POLICY
    finally:
        publisher.close()
