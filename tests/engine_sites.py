"""Helpers for the blog engine fixture sites in tests/sites/ (issue 13)."""

from __future__ import annotations

from datetime import UTC, datetime
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


def check_folder(folder: Path, tmp_path: Path, *env: tuple[str, str]) -> list[str]:
    """Return the lines `feedsvc check` prints for FOLDER."""
    result = CliRunner().invoke(
        main,
        ["check", "--articles", str(folder)],
        env={"FEEDSVC_STATE": str(tmp_path / "s.sqlite3"), **dict(env)},
    )
    return result.output.splitlines()
