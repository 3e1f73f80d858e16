"""A Pelican site read as Pelican reads it: tests/sites/pelican (issue 13).

Each assertion names the rule of Pelican's documentation
(docs.getpelican.com) it checks: "Writing content" (file metadata, Markdown,
reStructuredText and HTML readers, linking to internal content, translations,
publishing drafts, hidden and skip posts) and "Settings" (PATH, PAGE_PATHS,
STATIC_PATHS, ARTICLE_URL, ARTICLE_LANG_URL, TIMEZONE, DEFAULT_LANG,
USE_FOLDER_AS_CATEGORY, FILENAME_METADATA, WITH_FUTURE_DATES).
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from engine_sites import (
    SITES,
    Table,
    assert_table,
    check,
    check_folder,
    feed_entries,
    read_folder,
    read_site,
    rendered,
)

from feedsvc.model import Article
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


AUTHOR = "Settings: AUTHOR, the default author"
NO_MODIFIED = "Writing content: no Modified"
NO_EXPIRY = "Pelican has no expiry"
NONE = "Pelican has no old paths"
EXPECTED: Table = {
    "content/harbour/harbour-lights.md": {
        "title": ("Harbour Lights, Again", "Writing content: Title"),
        # TIMEZONE Europe/Lisbon: WET, +00:00 in March
        "published": ("2024-03-05T20:15:00+00:00", "Writing content: Date, in TIMEZONE"),
        "updated": ("2024-03-07T09:00:00+00:00", "Writing content: Modified"),
        "slug": ("harbour-lights-again", "Settings: SLUGIFY_SOURCE is the title"),
        "link": ("posts/2024/03/harbour-lights-again/", "Settings: ARTICLE_URL"),
        "summary": ("The east pier lamps, switched on at dusk.", "Writing content: Summary"),
        "tags": (
            ["harbour", "lights", "night"],
            "Settings: USE_FOLDER_AS_CATEGORY, then Tags (comma-separated)",
        ),
        "authors": (["Ines Marr", "Tomas Berg"], "Writing content: Authors, comma-separated"),
        "draft": (False, "Writing content: Status published by default"),
        "expires": (None, NO_EXPIRY),
        "old_paths": ((), NONE),
        "lang": ("en", "Settings: DEFAULT_LANG"),
    },
    "content/harbour/new-crane.md": {
        "title": ("The new crane", "Writing content: Title"),
        # 2024-06-02 00:00 in Europe/Lisbon is WEST, +01:00
        "published": ("2024-06-02T00:00:00+01:00", "Writing content: Date, in TIMEZONE"),
        "updated": (None, NO_MODIFIED),
        "slug": ("the-new-crane", "Settings: SLUGIFY_SOURCE is the title"),
        "link": ("posts/2024/06/the-new-crane/", "Settings: ARTICLE_URL"),
        "summary": ("Coming soon.", "Settings: SUMMARY_MAX_LENGTH words of the content"),
        "tags": (["harbour"], "Settings: USE_FOLDER_AS_CATEGORY"),
        "authors": (["Ines Marr"], AUTHOR),
        "draft": (True, "Writing content: Status: draft"),
        "expires": (None, NO_EXPIRY),
        "old_paths": ((), NONE),
        "lang": ("en", "Settings: DEFAULT_LANG"),
    },
    "content/harbour/quiet-berth.md": {
        "title": ("A quiet berth", "Writing content: Title"),
        "published": ("2024-06-01T00:00:00+01:00", "Writing content: Date, in TIMEZONE (+01:00)"),
        "updated": (None, NO_MODIFIED),
        "slug": ("a-quiet-berth", "Settings: SLUGIFY_SOURCE is the title"),
        "link": ("posts/2024/06/a-quiet-berth/", "Settings: ARTICLE_URL"),
        "summary": ("Not listed.", "Settings: SUMMARY_MAX_LENGTH words of the content"),
        "tags": (["harbour"], "Settings: USE_FOLDER_AS_CATEGORY"),
        "authors": (["Ines Marr"], AUTHOR),
        "draft": (True, "Writing content: Status: hidden is never listed"),
        "expires": (None, NO_EXPIRY),
        "old_paths": ((), NONE),
        "lang": ("en", "Settings: DEFAULT_LANG"),
    },
    "content/sea/2024-04-01-tide-tables.rst": {
        "title": ("Tide tables for April", "reStructuredText reader: the document's title"),
        # 2024-04-01 00:00 in Europe/Lisbon is WEST, +01:00
        "published": ("2024-04-01T00:00:00+01:00", "Settings: FILENAME_METADATA, in TIMEZONE"),
        "updated": (None, NO_MODIFIED),
        "slug": ("tides-april", "reStructuredText reader: :slug:"),
        "link": ("posts/2024/04/tides-april/", "Settings: ARTICLE_URL"),
        "summary": ("High water at noon.", "reStructuredText reader: :summary:"),
        "tags": (["Tides", "sea"], "reStructuredText reader: :category: then :tags:"),
        "authors": (["Tomas Berg"], "reStructuredText reader: :author:"),
        "draft": (False, "Writing content: Status published by default"),
        "expires": (None, NO_EXPIRY),
        "old_paths": ((), NONE),
        "lang": ("en", "Settings: DEFAULT_LANG"),
    },
    "content/sea/ferry.html": {
        "title": ("The island ferry", "HTML reader: <title>"),
        "published": ("2024-05-02T08:00:00+01:00", 'HTML reader: <meta name="date">, 08:00 WEST'),
        "updated": (None, NO_MODIFIED),
        "slug": ("the-island-ferry", "Settings: SLUGIFY_SOURCE is the title"),
        "link": ("posts/2024/05/the-island-ferry/", "Settings: ARTICLE_URL"),
        "summary": (
            "The ferry leaves at eight.",
            "Settings: SUMMARY_MAX_LENGTH words of the content",
        ),
        "tags": (["Travel", "ferry", "islands"], 'HTML reader: <meta name="category">, "tags"'),
        "authors": (["Ines Marr"], 'HTML reader: <meta name="authors">'),
        "draft": (False, "Writing content: Status published by default"),
        "expires": (None, NO_EXPIRY),
        "old_paths": ((), NONE),
        "lang": ("en", "Settings: DEFAULT_LANG"),
    },
    "content/sea/ferry-fr.md": {
        "title": ("Le bac de l'île", "Writing content: Title"),
        # its own Date, written as its original's: the same instant (see test_engine_w3c)
        "published": ("2024-05-02T08:00:00+01:00", "Writing content: Date, 08:00 WEST"),
        "updated": (None, NO_MODIFIED),
        "slug": (
            "the-island-ferry-fr",
            "Translations: the original's Slug; feedsvc adds the Lang",
        ),
        "link": ("fr/posts/2024/the-island-ferry/", "Settings: ARTICLE_LANG_URL"),
        "summary": (
            "Le bac part à huit heures.",
            "Settings: SUMMARY_MAX_LENGTH words of the content",
        ),
        "tags": (["sea"], "Settings: USE_FOLDER_AS_CATEGORY"),
        "authors": (["Ines Marr"], AUTHOR),
        "draft": (False, "Writing content: Status published by default"),
        "expires": (None, NO_EXPIRY),
        "old_paths": ((), NONE),
        "lang": ("fr", "Translations: Lang"),
    },
}


def test_every_post_every_field(posts, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # dates as the feed shows them, in the site's zone: tests/test_engine_zones.py
    assert_table(posts, EXPECTED, feed_entries("pelican", tmp_path), ZoneInfo("Europe/Lisbon"))


def test_internal_links_and_restructuredtext_markup(posts) -> None:  # type: ignore[no-untyped-def]
    html, _ = rendered(*posts["content/harbour/harbour-lights.md"])
    # Linking to internal content: {static} and {filename}
    assert 'src="https://blog.example.org/images/pier.png"' in html
    assert 'href="https://blog.example.org/posts/2024/05/the-island-ferry/"' in html
    html, _ = rendered(*posts["content/sea/2024-04-01-tide-tables.rst"])
    assert "<strong>noon</strong>" in html
    # docutils with raw HTML and file insertion off: nothing runs, nothing is read
    assert "script" not in html and "passwd" not in html and "root:" not in html


def test_check_summary(tmp_path: Path) -> None:
    lines = check("pelican", tmp_path)
    assert "engine: pelican (recognised from pelicanconf.py)" in lines
    assert "skipped for their role: 3 (not content 2, pages 1)" in lines  # README, output/
    assert "skipped for their extension: 2 (.png 1, .py 1)" in lines
    assert lines[-1].startswith("6 articles read, 4 published, 2 unpublished, 0 skipped, 0 errors")


def _post(tmp_path: Path, text: str, name: str = "post.md", conf: str = "") -> Article:
    """Return the one post NAME of a Pelican site whose content is TEXT."""
    (tmp_path / "pelicanconf.py").write_text(f'PATH = "content"\nTIMEZONE = "UTC"\n{conf}')
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / name).write_text(text)
    return read_folder(tmp_path)[f"content/{name}"][0]


@pytest.mark.parametrize(
    ("name", "header", "field", "expected"),
    [
        ("post.md", "Tags: machine learning", "tags", ["misc", "machine learning"]),
        ("post.md", "Tags: lights, night", "tags", ["misc", "lights", "night"]),
        (
            "post.md", "Tags: pelican, publishing tool; pelican, bird", "tags",
            ["misc", "pelican, publishing tool", "pelican, bird"],
        ),
        (
            "post.rst", ":tags: pelican, publishing tool; pelican, bird", "tags",
            ["misc", "pelican, publishing tool", "pelican, bird"],
        ),
        ("post.md", "Category: Boats, ships", "tags", ["Boats, ships"]),
        ("post.md", "Authors: Ines Marr, Tomas Berg", "authors", ["Ines Marr", "Tomas Berg"]),
        (
            "post.md", "Authors: Metaireau, Alexis; Doyle, Conan", "authors",
            ["Metaireau, Alexis", "Doyle, Conan"],
        ),
        ("post.md", "Author: Doyle, Conan", "authors", ["Doyle, Conan"]),
    ],
)  # fmt: skip
def test_tags_and_authors_split_on_semicolons_else_commas(
    tmp_path: Path, name: str, header: str, field: str, expected: list[str]
) -> None:
    """Writing content: ``tags`` are "Content tags, separated by commas"; "Author and tag
    lists may be semicolon-separated instead, which allows you to write authors and tags
    containing commas" (readers.ensure_metadata_list: "if the string contains semicolons,
    it is split on semicolons; otherwise, it is split on commas"), never on spaces.
    ``category`` is "one only — not multiple"; ``author`` is "Content author, when there
    is only one". The category comes first: DEFAULT_CATEGORY ``misc`` when none is given.
    """
    rst = name.endswith(".rst")
    title = "Tides\n#####\n\n:date: 2024-03-05\n" if rst else "Title: Tides\nDate: 2024-03-05\n"
    post = _post(tmp_path, f"{title}{header}\n\nBody.\n", name)
    values = [t.name for t in post.tags] if field == "tags" else [a.name for a in post.authors]
    assert values == expected


@pytest.mark.parametrize(
    ("status", "draft"),
    [("published", False), ("draft", True), ("hidden", True), ("skip", True)],
)
def test_only_published_status_reaches_the_feeds(tmp_path: Path, status: str, draft: bool) -> None:
    """Writing content: ``status`` is "``draft``, ``hidden``, ``skip``, or ``published``".
    Drafts are "not listed on the index page nor on any category or tag page"; hidden posts
    are not "in the main article feed"; "Posts marked with ``skip`` status are ignored
    entirely ... not be included in indexes or feeds".
    """
    post = _post(tmp_path, f"Title: Tides\nDate: 2024-03-05\nStatus: {status}\n\nBody.\n")
    assert post.draft is draft


def test_markdown_metadata_continues_on_lines_indented_four_spaces(tmp_path: Path) -> None:
    """Python-Markdown's Meta-Data extension, which Pelican reads Markdown with: "If a line
    is indented by 4 or more spaces, that line is assumed to be an additional line of the
    value for the previous keyword." FORMATTED_FIELDS (``summary``) joins the lines; a key
    Pelican takes once (readers.DUPLICATES_DEFINITIONS_ALLOWED: tags, authors, slug, ...)
    keeps its first value, as Pelican does ("Duplicate definition ... Using first one.").
    """
    text = (
        "Title: Tides\nDate: 2024-03-05\nSummary: The first line of the summary\n"
        "    and its second line.\nTags: sea\n    weather\n\nThe body.\n"
    )
    post = _post(tmp_path, text)
    assert post.summary == "The first line of the summary and its second line."
    assert [t.name for t in post.tags] == ["misc", "sea"]
    html, summary = rendered(*read_folder(tmp_path)["content/post.md"])
    assert "second line" not in html and "The body." in html
    assert summary == "The first line of the summary and its second line."
    warned = "content/post.md:6: warning: tags: Pelican reads one value, the first;"
    assert any(line.startswith(warned) for line in check_folder(tmp_path, tmp_path / "state"))


def test_future_dated_article_waits_for_its_date_without_future_dates(tmp_path: Path) -> None:
    """Settings: WITH_FUTURE_DATES "If disabled, content with dates in the future will get
    a default status of ``draft``": unpublished until a build after its date."""
    _post(
        tmp_path, "Title: Tides\nDate: 2099-01-01\n\nBody.\n", conf="WITH_FUTURE_DATES = False\n"
    )
    lines = check_folder(tmp_path, tmp_path / "state")
    assert lines[-1].startswith("1 articles read, 0 published, 1 unpublished")
