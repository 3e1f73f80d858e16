"""Helpers for the blog engine fixture sites in tests/sites/ (issue 13)."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from pathlib import Path

from click.testing import CliRunner
from scenario import MAX_BYTES, defaults

from feedsvc.cli import main
from feedsvc.model import Article, HeldBodies, Text
from feedsvc.reading import files
from feedsvc.reading.article import read_article
from feedsvc.reading.engines import detect
from feedsvc.reading.engines import reader as engines
from feedsvc.render import markup

SITES = Path(__file__).resolve().parent / "sites"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def read_site(engine: str, setting: str = "auto") -> dict[str, tuple[Article, Text]]:
    """Return every post of fixture site ENGINE, by path, as feedsvc reads it."""
    return read_folder(SITES / engine, setting)


def read_folder(root: Path, setting: str = "auto") -> dict[str, tuple[Article, Text]]:
    """Return every post of the site in ROOT, by path, as feedsvc reads it."""
    blog = detect.resolve(setting, root)
    assert blog is not None
    site_defaults = defaults()
    site_defaults = type(site_defaults)(
        site_defaults.author, site_defaults.language, site_defaults.zone, blog
    )
    found, _ = files.discover(root, engines.extensions(blog))
    posts = {}
    for item in found:
        if engines.is_read(blog, item.path):
            article, text, _ = read_article(item, site_defaults, MAX_BYTES)
            posts[item.path] = (article, text)
    return posts


def rendered(article: Article, text: Text) -> tuple[str, str]:
    """Return the body HTML and the summary a feed entry shows."""
    bodies = HeldBodies({article.text_key: text})
    base = "https://blog.example.org/" + article.link
    return markup.body_html(article, bodies, base), markup.summary(article, bodies, base)


def check(engine: str, tmp_path: Path, *env: tuple[str, str]) -> list[str]:
    """Return the lines `feedsvc check` prints for fixture site ENGINE."""
    result = CliRunner().invoke(
        main,
        ["check", "--articles", str(SITES / engine)],
        env={"FEEDSVC_STATE": str(tmp_path / "s.sqlite3"), **dict(env)},
    )
    return result.output.splitlines()


def build_pages(site: Path, out: Path, state: Path, base: str) -> None:
    """Run `feedsvc build OUT` of the blog in SITE with PAGES on; assert it succeeds."""
    env = {"FEEDSVC_STATE": str(state), "FEEDSVC_BASE_URL": base, "FEEDSVC_PAGES": "on"}
    result = CliRunner().invoke(main, ["build", str(out), "--articles", str(site), "-q"], env=env)
    assert result.exit_code == 0, result.output


def check_folder(folder: Path, tmp_path: Path, *env: tuple[str, str]) -> list[str]:
    """Return the lines `feedsvc check` prints for FOLDER."""
    result = CliRunner().invoke(
        main,
        ["check", "--articles", str(folder)],
        env={"FEEDSVC_STATE": str(tmp_path / "s.sqlite3"), **dict(env)},
    )
    return result.output.splitlines()


# One expected table per site: {post path: {field: (value, the documentation rule)}}.
FIELDS = (
    "title", "published", "updated", "slug", "link", "summary", "tags", "authors", "draft",
    "expires", "old_paths", "lang",
)  # fmt: skip
Table = dict[str, dict[str, tuple[object, str]]]
BASE = "https://blog.example.org/"
ATOM = "{http://www.w3.org/2005/Atom}"


def _iso(when: datetime | None, zone: tzinfo = UTC) -> str | None:
    return when.astimezone(zone).isoformat() if when is not None else None


def fields(article: Article, text: Text, zone: tzinfo = UTC) -> dict[str, object]:
    """Return every field the expected tables name, as the feed entry shows it (dates in
    ZONE, the site's: jekyll-feed, Hugo and Pelican show dates in the site's zone)."""
    return {
        "title": article.title,
        "published": _iso(article.published, zone),
        "updated": _iso(article.updated, zone),
        "slug": article.slug,
        "link": article.link,
        "summary": rendered(article, text)[1],
        "tags": [t.name for t in article.tags],
        "authors": [a.name for a in article.authors],
        "draft": article.draft,
        "expires": _iso(article.expires, zone),
        "old_paths": article.old_paths,
        "lang": article.lang,
    }


def feed_entries(engine: str, tmp_path: Path) -> dict[str, dict[str, object]]:
    """Return the Atom entries site ENGINE's /feed.atom shows, by link path."""
    import lxml.etree

    from feedsvc import create_app

    config = {"ARTICLES": str(SITES / engine), "STATE": str(tmp_path / "s.sqlite3")}
    app = create_app({**config, "BASE_URL": BASE, "AUTHOR": defaults().author})
    response = app.test_client().get("/feed.atom")
    assert response.status_code == 200
    entries = {}
    for entry in lxml.etree.fromstring(response.data).iter(f"{ATOM}entry"):
        link = entry.find(f"{ATOM}link[@rel='alternate']").get("href")  # type: ignore[union-attr]
        entries[link.removeprefix(BASE)] = {
            "title": entry.findtext(f"{ATOM}title"),
            "published": entry.findtext(f"{ATOM}published"),
            "updated": entry.findtext(f"{ATOM}updated"),
            "authors": [a.findtext(f"{ATOM}name") for a in entry.iter(f"{ATOM}author")],
            "tags": [c.get("term") for c in entry.iter(f"{ATOM}category")],
        }
    return entries


def assert_table(
    posts: dict[str, tuple[Article, Text]],
    expected: Table,
    entries: dict[str, dict[str, object]],
    zone: tzinfo = UTC,
) -> None:
    """Check every post x every field against EXPECTED, and the feed entry of each post in it.

    A post is in the feed unless it is a draft or has expired; its entry shows the
    published and updated dates with their offset as written in the table, in ZONE, the
    site's (updated is the published date when the post has none).
    """
    assert sorted(posts) == sorted(expected)
    wrong = []
    for path, table in expected.items():
        assert tuple(table) == FIELDS, f"{path}: the table names {tuple(table)}"
        actual = fields(*posts[path], zone)
        for name, (value, rule) in table.items():
            if actual[name] != value:
                wrong.append(f"{path} {name}: {actual[name]!r}, expected {value!r} ({rule})")
        entry = entries.pop(str(actual["link"]), None)
        if actual["draft"] or actual["expires"]:
            if entry is not None:
                wrong.append(f"{path}: in the feed, but a draft or expired")
            continue
        shown = {
            "title": actual["title"],
            "published": actual["published"],
            "updated": actual["updated"] or actual["published"],
            "authors": actual["authors"],
            "tags": actual["tags"],
        }
        if entry != shown:
            wrong.append(f"{path}: the feed shows {entry}, expected {shown}")
    assert entries == {}, f"entries of no post: {entries}"
    assert wrong == [], "\n".join(wrong)
