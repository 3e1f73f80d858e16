"""A Zola site read as Zola reads it: tests/sites/zola (issue 13).

Each assertion names the rule of Zola's documentation
(getzola.org/documentation/content/) it checks: Overview (sections and pages,
asset colocation), Page (front matter, dates in file names, slug and path,
aliases, summary with <!-- more -->), Taxonomies, Internal links (@/),
Shortcodes, Multilingual sites; and Configuration (base_url, default_language).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_sites import SITES, check, read_site, rendered, utc

from feedsvc.reading.engines import detect


@pytest.fixture(scope="module")
def posts():  # type: ignore[no-untyped-def]
    return read_site("zola")


def test_recognised_from_config_toml_with_base_url() -> None:
    blog = detect.detect(SITES / "zola")
    assert blog is not None and (blog.engine, blog.source) == ("zola", "config.toml")


def test_pages_of_sections_are_posts(posts) -> None:  # type: ignore[no-untyped-def]
    # Overview: _index.md makes a section; about.md at the top is a page; quay.png an asset
    assert sorted(posts) == [
        "content/blog/2024-03-05-harbour-lights.fr.md",
        "content/blog/2024-03-05-harbour-lights.md",
        "content/blog/harbour-walk/index.md",
        "content/blog/pier-plans.md",
    ]


def test_harbour_lights(posts) -> None:  # type: ignore[no-untyped-def]
    article, text = posts["content/blog/2024-03-05-harbour-lights.md"]
    # Page: a date at the start of the file name is the date, the rest the slug (UTC)
    assert article.published == utc(2024, 3, 5)
    assert (article.slug, article.link) == ("harbour-lights", "blog/harbour-lights/")
    assert article.updated == utc(2024, 3, 7)  # Page: updated
    assert article.summary == "The east pier lamps, switched on at dusk."  # description
    assert [t.name for t in article.tags] == ["News", "lights", "night"]  # Taxonomies
    assert [a.name for a in article.authors] == ["Ines Marr"]  # Page: authors
    assert article.old_paths == ("old/lights/",)  # Page: aliases are old paths
    html, _ = rendered(article, text)
    # Internal links: @/ names a page's file; its URL, with the anchor kept
    assert 'href="https://blog.example.org/walks/harbour/#start"' in html
    # Shortcodes: youtube(id=...) -> a link to the video
    assert "https://www.youtube.com/watch?v=w7Ft2ymGmfc" in html and "{{" not in html


def test_page_with_its_own_folder_and_path(posts) -> None:  # type: ignore[no-untyped-def]
    article, text = posts["content/blog/harbour-walk/index.md"]
    # Page: `path` replaces the whole path; assets colocated beside index.md
    assert (article.slug, article.link) == ("walk", "walks/harbour/")
    assert article.published == utc(2024, 5, 10, 7, 0)
    html, summary = rendered(article, text)
    assert 'src="https://blog.example.org/walks/harbour/quay.png"' in html
    assert summary == "Start at the lighthouse."  # Page: <!-- more --> ends the summary
    assert "<p>Wear boots.</p>" in html and "{%" not in html


def test_translation_and_draft(posts) -> None:  # type: ignore[no-untyped-def]
    # Multilingual sites: post.fr.md is the fr version, under /fr/
    article, _ = posts["content/blog/2024-03-05-harbour-lights.fr.md"]
    assert (article.lang, article.link) == ("fr", "fr/blog/harbour-lights/")
    assert article.published == utc(2024, 3, 5)
    assert posts["content/blog/pier-plans.md"][0].draft  # Page: draft


def test_check_summary(tmp_path: Path) -> None:
    lines = check("zola", tmp_path)
    assert "engine: zola (recognised from config.toml)" in lines
    assert "skipped for their role: 4 (pages 3, not content 1)" in lines
    assert "template tags removed: 1" in lines  # the note shortcode, its text kept
    assert lines[-1].startswith("4 articles read, 3 published, 1 unpublished")
