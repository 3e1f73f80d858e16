"""A Pelican site read as Pelican reads it: tests/sites/pelican (issue 13).

Each assertion names the rule of Pelican's documentation
(docs.getpelican.com) it checks: "Writing content" (file metadata, Markdown,
reStructuredText and HTML readers, linking to internal content, translations,
publishing drafts and hidden articles) and "Settings" (PATH, PAGE_PATHS,
STATIC_PATHS, ARTICLE_URL, ARTICLE_LANG_URL, TIMEZONE, DEFAULT_LANG,
USE_FOLDER_AS_CATEGORY, FILENAME_METADATA).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_sites import SITES, check, read_site, rendered, utc

from feedsvc.reading.engines import detect


@pytest.fixture(scope="module")
def posts():  # type: ignore[no-untyped-def]
    return read_site("pelican")


def test_pelicanconf_is_read_as_data_never_run() -> None:
    blog = detect.detect(SITES / "pelican")
    assert blog is not None and (blog.engine, blog.source) == ("pelican", "pelicanconf.py")
    assert blog.settings["ARTICLE_URL"] == "posts/{date:%Y}/{date:%m}/{slug}/"
    assert "THEME" not in blog.settings  # computed with os.path: left out, never evaluated


def test_pelicanconf_code_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    (tmp_path / "pelicanconf.py").write_text(
        f"open({str(marker)!r}, 'w').write('x')\nAUTHOR = 'A'\nX = __import__('os').getcwd()\n"
    )
    blog = detect.detect(tmp_path)
    assert blog is not None and blog.settings == {"AUTHOR": "A"}
    assert not marker.exists()


def test_articles_are_under_article_paths_not_pages_or_static(posts) -> None:  # type: ignore[no-untyped-def]
    # Settings: PAGE_PATHS (pages), STATIC_PATHS (images); .md, .rst and .html are read
    assert sorted(posts) == [
        "content/harbour/harbour-lights.md",
        "content/harbour/new-crane.md",
        "content/harbour/quiet-berth.md",
        "content/sea/2024-04-01-tide-tables.rst",
        "content/sea/ferry-fr.md",
        "content/sea/ferry.html",
    ]


def test_markdown_metadata(posts) -> None:  # type: ignore[no-untyped-def]
    article, text = posts["content/harbour/harbour-lights.md"]
    assert article.title == "Harbour Lights, Again"
    assert article.published == utc(2024, 3, 5, 20, 15)  # TIMEZONE Europe/Lisbon (UTC+0)
    assert article.updated == utc(2024, 3, 7, 9, 0)  # Modified
    # Writing content: the slug is made from the title (SLUGIFY_SOURCE = title)
    assert article.slug == "harbour-lights-again"
    assert article.link == "posts/2024/03/harbour-lights-again/"  # ARTICLE_URL
    assert article.summary == "The east pier lamps, switched on at dusk."
    # USE_FOLDER_AS_CATEGORY: the folder is the category; Tags comma-separated
    assert [t.name for t in article.tags] == ["harbour", "lights", "night"]
    assert [a.name for a in article.authors] == ["Ines Marr", "Tomas Berg"]
    html, _ = rendered(article, text)
    # Linking to internal content: {static} and {filename}
    assert 'src="https://blog.example.org/images/pier.png"' in html
    assert 'href="https://blog.example.org/posts/2024/05/the-island-ferry/"' in html


def test_restructuredtext_with_field_list_metadata(posts) -> None:  # type: ignore[no-untyped-def]
    article, text = posts["content/sea/2024-04-01-tide-tables.rst"]
    assert article.title == "Tide tables for April"
    # FILENAME_METADATA: the date in the file name, midnight in TIMEZONE (WEST, UTC+1)
    assert article.published == utc(2024, 3, 31, 23, 0)
    assert (article.slug, article.link) == ("tides-april", "posts/2024/04/tides-april/")
    assert [t.name for t in article.tags] == ["Tides", "sea"]  # :category: then :tags:
    assert [a.name for a in article.authors] == ["Tomas Berg"]
    assert article.summary == "High water at noon."
    html, _ = rendered(article, text)
    assert "<strong>noon</strong>" in html
    # docutils with raw HTML and file insertion off: nothing runs, nothing is read
    assert "script" not in html and "passwd" not in html and "root:" not in html


def test_html_with_meta_tags(posts) -> None:  # type: ignore[no-untyped-def]
    article, _ = posts["content/sea/ferry.html"]
    assert article.title == "The island ferry"  # <title>
    assert article.published == utc(2024, 5, 2, 7, 0)  # <meta name="date">
    assert [t.name for t in article.tags] == ["Travel", "ferry", "islands"]
    assert [a.name for a in article.authors] == ["Ines Marr"]
    assert article.link == "posts/2024/05/the-island-ferry/"


def test_translation_shares_the_slug_in_another_language(posts) -> None:  # type: ignore[no-untyped-def]
    # Translations: same slug, another Lang; ARTICLE_LANG_URL
    article, _ = posts["content/sea/ferry-fr.md"]
    assert article.lang == "fr"
    assert article.link == "fr/posts/2024/the-island-ferry/"
    assert article.slug == "the-island-ferry-fr"  # feedsvc's own slug stays unique


def test_draft_and_hidden_are_not_published(posts) -> None:  # type: ignore[no-untyped-def]
    # Writing content: Status draft and hidden are not listed
    assert posts["content/harbour/new-crane.md"][0].draft
    assert posts["content/harbour/quiet-berth.md"][0].draft


def test_check_summary(tmp_path: Path) -> None:
    lines = check("pelican", tmp_path)
    assert "engine: pelican (recognised from pelicanconf.py)" in lines
    assert "skipped for their role: 3 (not content 2, pages 1)" in lines  # README, output/
    assert "skipped for their extension: 2 (.png 1, .py 1)" in lines
    assert lines[-1].startswith("6 articles read, 4 published, 2 unpublished, 0 skipped, 0 errors")
