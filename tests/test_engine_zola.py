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
from engine_sites import SITES, Table, assert_table, check, feed_entries, read_site, rendered

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


NO_AUTHOR = "Page: no `authors`, no config `author`: feedsvc's AUTHOR"
NO_EXPIRY = "Zola has no expiry"
EXPECTED: Table = {
    "content/blog/2024-03-05-harbour-lights.md": {
        "title": ("Harbour lights", "Page: title"),
        "published": ("2024-03-05T00:00:00+00:00", "Page: the file name's date, UTC"),
        "updated": ("2024-03-07T00:00:00+00:00", "Page: updated, UTC"),
        "slug": ("harbour-lights", "Page: the file name's rest after its date"),
        "link": ("blog/harbour-lights/", "Overview: the section's path and the slug"),
        "summary": ("The east pier lamps, switched on at dusk.", "Page: description"),
        "tags": (["News", "lights", "night"], "Taxonomies: categories, then tags"),
        "authors": (["Ines Marr"], "Page: authors"),
        "draft": (False, "Page: no draft"),
        "expires": (None, NO_EXPIRY),
        "old_paths": (("old/lights/",), "Page: aliases are old paths"),
        "lang": ("en", "Configuration: default_language"),
    },
    "content/blog/2024-03-05-harbour-lights.fr.md": {
        "title": ("Les lumières du port", "Page: title"),
        "published": ("2024-03-05T00:00:00+00:00", "Page: the file name's date, UTC"),
        "updated": (None, "Page: no updated"),
        "slug": (
            "harbour-lights-fr",
            "Multilingual sites: the same page; feedsvc adds the language",
        ),
        "link": ("fr/blog/harbour-lights/", "Multilingual sites: post.fr.md is under /fr/"),
        "summary": (
            "Les lampes se sont allumées au crépuscule.",
            "Page: no <!-- more -->; feedsvc's first paragraph",
        ),
        "tags": ([], "Taxonomies: none"),
        "authors": (["Site Author"], NO_AUTHOR),
        "draft": (False, "Page: no draft"),
        "expires": (None, NO_EXPIRY),
        "old_paths": ((), "Page: no aliases"),
        "lang": ("fr", "Multilingual sites: the file name's language"),
    },
    "content/blog/harbour-walk/index.md": {
        "title": ("A walk round the harbour", "Page: title"),
        "published": ("2024-05-10T07:00:00+00:00", "Page: date (08:00 +01:00)"),
        "updated": (None, "Page: no updated"),
        "slug": ("walk", "Page: slug"),
        "link": ("walks/harbour/", "Page: path replaces the whole path"),
        "summary": ("Start at the lighthouse.", "Page: <!-- more --> ends the summary"),
        "tags": ([], "Taxonomies: none"),
        "authors": (["Site Author"], NO_AUTHOR),
        "draft": (False, "Page: no draft"),
        "expires": (None, NO_EXPIRY),
        "old_paths": ((), "Page: no aliases"),
        "lang": ("en", "Configuration: default_language"),
    },
    "content/blog/pier-plans.md": {
        "title": ("Pier plans", "Page: title"),
        "published": ("2024-06-01T00:00:00+00:00", "Page: date, UTC"),
        "updated": (None, "Page: no updated"),
        "slug": ("pier-plans", "Page: the file name"),
        "link": ("blog/pier-plans/", "Overview: the section's path and the slug"),
        "summary": ("Not yet.", "Page: no <!-- more -->; feedsvc's first paragraph"),
        "tags": ([], "Taxonomies: none"),
        "authors": (["Site Author"], NO_AUTHOR),
        "draft": (True, "Page: draft = true"),
        "expires": (None, NO_EXPIRY),
        "old_paths": ((), "Page: no aliases"),
        "lang": ("en", "Configuration: default_language"),
    },
}


def test_every_post_every_field(posts, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert_table(posts, EXPECTED, feed_entries("zola", tmp_path))


def test_internal_links_shortcodes_and_assets(posts) -> None:  # type: ignore[no-untyped-def]
    html, _ = rendered(*posts["content/blog/2024-03-05-harbour-lights.md"])
    # Internal links: @/ names a page's file; its URL, with the anchor kept
    assert 'href="https://blog.example.org/walks/harbour/#start"' in html
    # Shortcodes: youtube(id=...) -> a link to the video
    assert "https://www.youtube.com/watch?v=w7Ft2ymGmfc" in html and "{{" not in html
    html, _ = rendered(*posts["content/blog/harbour-walk/index.md"])
    # Overview: assets colocated beside index.md
    assert 'src="https://blog.example.org/walks/harbour/quay.png"' in html
    assert "<p>Wear boots.</p>" in html and "{%" not in html


def test_check_summary(tmp_path: Path) -> None:
    lines = check("zola", tmp_path)
    assert "engine: zola (recognised from config.toml)" in lines
    assert "skipped for their role: 4 (pages 3, not content 1)" in lines
    assert "template tags removed: 1" in lines  # the note shortcode, its text kept
    assert lines[-1].startswith("4 articles read, 3 published, 1 unpublished")
