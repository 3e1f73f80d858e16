"""A Hugo site read as Hugo reads it: tests/sites/hugo (issue 13).

Each assertion names the rule of Hugo's documentation (gohugo.io) it checks:
Content management > Sections, Page bundles, Front matter, Content summaries,
Taxonomies, URL management (slug, url, permalinks, aliases), Multilingual; and
Configuration (timeZone, mainSections, defaultContentLanguage).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_sites import SITES, check, read_folder, read_site, rendered, utc

from feedsvc.reading.engines import detect


@pytest.fixture(scope="module")
def posts():  # type: ignore[no-untyped-def]
    return read_site("hugo")


def test_recognised_from_hugo_toml() -> None:
    blog = detect.detect(SITES / "hugo")
    assert blog is not None and (blog.engine, blog.source) == ("hugo", "hugo.toml")


def test_hugo_and_zola_config_toml_are_told_apart(tmp_path: Path) -> None:
    # Hugo's config.toml writes baseURL; Zola's writes base_url (Zola: Configuration)
    (tmp_path / "config.toml").write_text('baseURL = "https://x.example/"\n')
    assert detect.detect(tmp_path).engine == "hugo"  # type: ignore[union-attr]
    (tmp_path / "config.toml").write_text('base_url = "https://x.example/"\n')
    assert detect.detect(tmp_path).engine == "zola"  # type: ignore[union-attr]


def test_posts_are_the_regular_pages_of_the_main_sections(posts) -> None:  # type: ignore[no-untyped-def]
    # Sections + mainSections; _index.md is a list page; a bundle's other files are resources
    assert sorted(posts) == [
        "content/posts/harbour-walk/index.md",
        "content/posts/next-regatta.md",
        "content/posts/old-ferry.md",
        "content/posts/tide-tables.fr.md",
        "content/posts/tide-tables.md",
    ]


def test_tide_tables(posts) -> None:  # type: ignore[no-untyped-def]
    article, text = posts["content/posts/tide-tables.md"]
    assert article.title == "Tide Tables for April"
    # Front matter `date` without an offset is in the site's timeZone (America/New_York, EDT)
    assert article.published == utc(2024, 4, 1, 10, 30)
    assert article.updated == utc(2024, 4, 3, 16, 0)  # Front matter: lastmod
    # URL management: [permalinks] posts = "/:year/:month/:slug/" (:slug falls back to the name)
    assert (article.slug, article.link) == ("tide-tables", "2024/04/tide-tables/")
    assert article.summary == "High water at noon, all month."  # description
    assert [t.name for t in article.tags] == ["Sea", "tides"]  # Taxonomies: categories, tags
    assert [a.name for a in article.authors] == ["Tomas Berg"]
    # URL management: aliases are old paths; a relative one is relative to the page's folder
    assert article.old_paths == ("old/tides/", "posts/tides-april/")
    assert article.aliases == ()
    html, _ = rendered(article, text)
    # Shortcodes: ref -> the target's URL; figure -> a figure; tweet -> a link to the post
    assert 'href="https://blog.example.org/2024/05/walk/"' in html
    assert "<figcaption>The tide chart</figcaption>" in html
    assert "https://x.com/harbourmaster/status/1453110110599868418" in html


def test_translation_is_the_same_post_in_french(posts) -> None:  # type: ignore[no-untyped-def]
    # Multilingual: tide-tables.fr.md translates tide-tables.md, under /fr/
    article, _ = posts["content/posts/tide-tables.fr.md"]
    assert article.lang == "fr"
    assert article.link == "fr/2024/04/tide-tables/"
    assert article.slug == "tide-tables-fr"  # feedsvc's own slug stays unique
    assert article.published == utc(2024, 4, 1, 10, 30)


def test_page_bundle(posts) -> None:  # type: ignore[no-untyped-def]
    article, text = posts["content/posts/harbour-walk/index.md"]
    # Page bundles: the folder names the post; `slug` overrides the last segment
    assert (article.slug, article.link) == ("walk", "2024/05/walk/")
    # Front matter: publishDate is when the post is published
    assert article.published == utc(2024, 5, 11, 7, 0)
    assert article.summary == "Two hours along the quays."  # Content summaries: summary
    html, _ = rendered(article, text)
    # Page resources are published beside the page
    assert 'src="https://blog.example.org/2024/05/walk/quay.png"' in html
    assert "https://www.youtube.com/watch?v=w7Ft2ymGmfc" in html
    assert "<p>Wear boots.</p>" in html and "{{" not in html


def test_drafts_and_expired_posts(posts) -> None:  # type: ignore[no-untyped-def]
    assert posts["content/posts/next-regatta.md"][0].draft  # Front matter: draft
    expired = posts["content/posts/old-ferry.md"][0]
    # Front matter: expiryDate, in the site's zone
    assert expired.expires == utc(2023, 6, 30, 4, 0)


def test_check_summary(tmp_path: Path) -> None:
    lines = check("hugo", tmp_path)
    assert "engine: hugo (recognised from hugo.toml)" in lines
    # not content: README, archetypes, the bundle's notes, static/robots.txt; pages: 4 list
    # and section pages (home, posts, about-us) plus notes/knots (not a main section)
    assert "skipped for their role: 8 (not content 4, pages 4)" in lines
    assert "template tags removed: 1" in lines  # notice
    # expired: out of the feed (unpublished), the draft too
    assert lines[-1].startswith("5 articles read, 3 published, 2 unpublished")


def test_a_configuration_folder_is_recognised_with_its_section_files(tmp_path: Path) -> None:
    # Configuration (gohugo.io/configuration/introduction/#configuration-directory):
    # config/_default/hugo.toml is the site's configuration; permalinks.toml beside it
    # is its [permalinks] table.
    config = tmp_path / "config" / "_default"
    config.mkdir(parents=True)
    (config / "hugo.toml").write_text('baseURL = "https://blog.example.org/"\ntitle = "Dir"\n')
    (config / "permalinks.toml").write_text('posts = "/:year/:slug/"\n')
    posts = tmp_path / "content" / "posts"
    posts.mkdir(parents=True)
    (posts / "first.md").write_text("---\ntitle: First\ndate: 2024-05-06\n---\n\nBody.\n")
    blog = detect.detect(tmp_path)
    assert blog is not None
    assert (blog.engine, blog.source) == ("hugo", "config/_default/hugo.toml")
    article, _ = read_folder(tmp_path)["content/posts/first.md"]
    assert article.link == "2024/first/"
