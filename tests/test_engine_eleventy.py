"""An Eleventy site read as Eleventy reads it: tests/sites/eleventy (issue 13).

Each assertion names the rule of Eleventy's documentation (11ty.dev/docs) it
checks: Permalinks (default output, `permalink`), Content dates (file-name
dates, UTC), Data: page variables (fileSlug drops the date), Collections
(`tags`, eleventyExcludeFromCollections), Ignore files (node_modules, _site),
Configuration (dir.includes, dir.data). Eleventy has no built-in posts:
feedsvc reads the base blog's layout, Markdown under a `blog` or `posts` folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_sites import SITES, check, read_site, rendered, utc

from feedsvc.reading.engines import detect


@pytest.fixture(scope="module")
def posts():  # type: ignore[no-untyped-def]
    return read_site("eleventy")


def test_recognised_from_eleventy_config_js_which_is_never_run() -> None:
    blog = detect.detect(SITES / "eleventy")
    assert blog is not None and (blog.engine, blog.source) == ("eleventy", "eleventy.config.js")
    assert blog.settings == {}


def test_posts(posts) -> None:  # type: ignore[no-untyped-def]
    # blog/index.md and about/ are pages; _includes, _data and _site are not content
    assert sorted(posts) == [
        "blog/2024-03-05-harbour-lights.md",
        "blog/2024-05-02-ferry-fr.md",
        "blog/2024-06-01-pier-plans.md",
        "blog/harbour-walk/index.md",
    ]


def test_harbour_lights(posts) -> None:  # type: ignore[no-untyped-def]
    article, text = posts["blog/2024-03-05-harbour-lights.md"]
    assert article.published == utc(2024, 3, 5)  # Content dates: file name, UTC
    # Permalinks: the file's path without its extension; fileSlug drops the date
    assert (article.slug, article.link) == ("harbour-lights", "blog/harbour-lights/")
    assert article.summary == "The east pier lamps, switched on at dusk."
    assert [t.name for t in article.tags] == ["lights"]  # Collections: `posts` names one
    assert [a.name for a in article.authors] == ["Ines Marr"]
    html, _ = rendered(article, text)
    assert 'href="https://blog.example.org/blog/harbour-walk/"' in html
    assert "{%" not in html and "lamp.png" not in html  # an unknown shortcode, removed


def test_index_file_stands_for_its_folder(posts) -> None:  # type: ignore[no-untyped-def]
    article, text = posts["blog/harbour-walk/index.md"]
    # Permalinks: subdir/template/index.md -> /subdir/template/
    assert (article.slug, article.link) == ("harbour-walk", "blog/harbour-walk/")
    assert article.published == utc(2024, 5, 10, 8, 0)
    html, _ = rendered(article, text)
    assert 'src="https://blog.example.org/blog/harbour-walk/quay.png"' in html
    assert "https://www.youtube.com/watch?v=w7Ft2ymGmfc" in html


def test_permalink_translation_and_excluded(posts) -> None:  # type: ignore[no-untyped-def]
    article, _ = posts["blog/2024-05-02-ferry-fr.md"]
    assert (article.lang, article.link) == ("fr", "fr/blog/le-bac/")  # permalink
    # Collections: eleventyExcludeFromCollections keeps it out of the feed
    assert posts["blog/2024-06-01-pier-plans.md"][0].draft


def test_check_summary(tmp_path: Path) -> None:
    lines = check("eleventy", tmp_path)
    assert "engine: eleventy (recognised from eleventy.config.js)" in lines
    assert "skipped for their role: 3 (pages 3)" in lines  # README, about, blog/index
    assert lines[-1].startswith("4 articles read, 3 published, 1 unpublished")
