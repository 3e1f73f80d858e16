"""An Eleventy site read as Eleventy reads it: tests/sites/eleventy (issue 13).

Each assertion names the rule of Eleventy's documentation (11ty.dev/docs) it
checks: Permalinks (default output, `permalink`), Content dates (dates in the
path, UTC, `Last Modified`), Data: page variables (fileSlug drops the date), Collections
(`tags`, eleventyExcludeFromCollections), Ignore files (node_modules, _site),
Configuration (dir.includes, dir.data). Eleventy has no built-in posts:
feedsvc reads the base blog's layout, Markdown under a `blog` or `posts` folder.
"""

from __future__ import annotations

from pathlib import Path

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

from feedsvc.model import Article, Text
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


NO_AUTHOR = "Front matter: no `author` (the config is never run): feedsvc's AUTHOR"
NO_EXPIRY = "Eleventy has no expiry"
NO_UPDATED = "Content dates: Eleventy has one date; no updated"
NONE = "Eleventy has no old paths"
EXPECTED: Table = {
    "blog/2024-03-05-harbour-lights.md": {
        "title": ("Harbour lights", "Front matter: title"),
        "published": ("2024-03-05T00:00:00+00:00", "Content dates: the file name's date, UTC"),
        "updated": (None, NO_UPDATED),
        "slug": ("harbour-lights", "Data (page variables): fileSlug drops the date"),
        "link": (
            "blog/2024-03-05-harbour-lights/",
            "Permalinks: the file's path without its extension, date kept",
        ),
        "summary": ("The east pier lamps, switched on at dusk.", "base blog: description"),
        "tags": (["lights"], "Collections: tags, without the collection name `posts`"),
        "authors": (["Ines Marr"], "Front matter: author"),
        "draft": (False, "Collections: in the posts collection"),
        "expires": (None, NO_EXPIRY),
        "old_paths": ((), NONE),
        "lang": ("en", "Front matter: no lang, the site's language"),
    },
    "blog/2024-05-02-ferry-fr.md": {
        "title": ("Le bac de l'île", "Front matter: title"),
        "published": ("2024-05-02T00:00:00+00:00", "Content dates: the file name's date, UTC"),
        "updated": (None, NO_UPDATED),
        "slug": ("ferry-fr", "Data (page variables): fileSlug drops the date"),
        "link": ("fr/blog/le-bac/", "Permalinks: `permalink` as a plain path"),
        "summary": ("Le bac part à huit heures.", "no description: feedsvc's first paragraph"),
        "tags": ([], "Collections: `posts` names a collection, not a tag"),
        "authors": (["Site Author"], NO_AUTHOR),
        "draft": (False, "Collections: in the posts collection"),
        "expires": (None, NO_EXPIRY),
        "old_paths": ((), NONE),
        "lang": ("fr", "Front matter: lang (the i18n plugin's)"),
    },
    "blog/2024-06-01-pier-plans.md": {
        "title": ("Pier plans", "Front matter: title"),
        "published": ("2024-06-01T00:00:00+00:00", "Content dates: the file name's date, UTC"),
        "updated": (None, NO_UPDATED),
        "slug": ("pier-plans", "Data (page variables): fileSlug drops the date"),
        "link": (
            "blog/2024-06-01-pier-plans/",
            "Permalinks: the file's path without its extension, date kept",
        ),
        "summary": ("Not yet.", "no description: feedsvc's first paragraph"),
        "tags": ([], "Collections: no tags"),
        "authors": (["Site Author"], NO_AUTHOR),
        "draft": (True, "Collections: eleventyExcludeFromCollections"),
        "expires": (None, NO_EXPIRY),
        "old_paths": ((), NONE),
        "lang": ("en", "Front matter: no lang, the site's language"),
    },
    "blog/harbour-walk/index.md": {
        "title": ("A walk round the harbour", "Front matter: title"),
        "published": ("2024-05-10T08:00:00+00:00", "Content dates: date (08:00Z)"),
        "updated": (None, NO_UPDATED),
        "slug": ("harbour-walk", "Data (page variables): an index file's fileSlug is its folder"),
        "link": ("blog/harbour-walk/", "Permalinks: subdir/index.md -> /subdir/"),
        "summary": ("Start at the lighthouse.", "no description: feedsvc's first paragraph"),
        "tags": (["walks"], "Collections: tags, without `posts`"),
        "authors": (["Site Author"], NO_AUTHOR),
        "draft": (False, "Collections: in the posts collection"),
        "expires": (None, NO_EXPIRY),
        "old_paths": ((), NONE),
        "lang": ("en", "Front matter: no lang, the site's language"),
    },
}


def test_every_post_every_field(posts, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert_table(posts, EXPECTED, feed_entries("eleventy", tmp_path))


def test_links_images_and_shortcodes(posts) -> None:  # type: ignore[no-untyped-def]
    html, _ = rendered(*posts["blog/2024-03-05-harbour-lights.md"])
    assert 'href="https://blog.example.org/blog/harbour-walk/"' in html
    assert "{%" not in html and "lamp.png" not in html  # an unknown shortcode, removed
    html, _ = rendered(*posts["blog/harbour-walk/index.md"])
    assert 'src="https://blog.example.org/blog/harbour-walk/quay.png"' in html
    assert "https://www.youtube.com/watch?v=w7Ft2ymGmfc" in html


def test_check_summary(tmp_path: Path) -> None:
    lines = check("eleventy", tmp_path)
    assert "engine: eleventy (recognised from eleventy.config.js)" in lines
    assert "skipped for their role: 3 (pages 3)" in lines  # README, about, blog/index
    assert lines[-1].startswith("4 articles read, 3 published, 1 unpublished")


def test_recognised_from_dot_eleventy_js_which_is_never_run(tmp_path: Path) -> None:
    # Configuration (11ty.dev/docs/config/, Default filenames): .eleventy.js is one of
    # the configuration files Eleventy looks for; feedsvc reads none of its JavaScript,
    # so Eleventy's defaults apply (the input folder is the site's root)
    (tmp_path / ".eleventy.js").write_text(
        'module.exports = function (eleventyConfig) {\n  require("fs").writeFileSync("ran", "");\n'
        '  return { dir: { input: "src" } };\n};\n'
    )
    (tmp_path / "blog").mkdir()
    (tmp_path / "blog" / "2024-05-06-first.md").write_text("---\ntitle: First\n---\nBody.\n")
    blog = detect.detect(tmp_path)
    assert blog is not None
    assert (blog.engine, blog.source, blog.settings) == ("eleventy", ".eleventy.js", {})
    article, _ = read_folder(tmp_path)["blog/2024-05-06-first.md"]
    assert article.link == "blog/2024-05-06-first/"  # Permalinks: the path, date kept
    lines = check_folder(tmp_path, tmp_path)
    assert "engine: eleventy (recognised from .eleventy.js)" in lines
    assert not (tmp_path / "ran").exists()


def _site(root: Path, posts: dict[str, str]) -> dict[str, tuple[Article, Text]]:
    """Return the posts of an Eleventy site in ROOT made of POSTS: {path: front matter}."""
    (root / "eleventy.config.js").write_text("export default function (eleventyConfig) {}\n")
    for path, matter in posts.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(f"---\ntitle: A post\n{matter}---\nBody.\n")
    return read_folder(root)


@pytest.mark.parametrize(
    ("path", "link", "slug"),
    [
        ("blog/2024-03-05-hello.md", "blog/2024-03-05-hello/", "hello"),
        ("blog/2024-03-09-walk/index.md", "blog/2024-03-09-walk/", "walk"),
        ("blog/harbour/harbour.md", "blog/harbour/", "harbour"),
        ("blog/harbour/index.md", "blog/harbour/", "harbour"),
        ("blog/2024-03-10/tides.md", "blog/2024-03-10/tides/", "tides"),
        ("blog/2018-01-01.md", "blog/2018-01-01/", "2018-01-01"),
    ],
)
def test_default_permalink_is_the_input_path_date_kept(
    tmp_path: Path, path: str, link: str, slug: str
) -> None:
    """Permalinks, Default output: `subdir/template.liquid` writes to
    `_site/subdir/template/index.html`, URL `/subdir/template/`, and so do
    `subdir/template/template.liquid` and `subdir/template/index.liquid`. The file name
    is kept whole (TemplatePermalink.generate takes Template.baseFile, the name minus
    its extension); only `page.fileSlug` drops a date (Data: page variables,
    `"2018-01-01-myFile.md"` -> `"myFile"`, `"2018-01-01.md"` -> `"2018-01-01"`)."""
    article, _ = _site(tmp_path, {path: ""})[path]
    assert (article.link, article.slug) == (link, slug)


@pytest.mark.parametrize(
    ("path", "matter", "published"),
    [
        ("blog/2024-03-05-hello.md", "", "2024-03-05T00:00:00+00:00"),
        ("blog/2018-01-01.md", "", "2018-01-01T00:00:00+00:00"),
        ("blog/2024-03-09-walk/index.md", "", "2024-03-09T00:00:00+00:00"),
        ("blog/2024-03-10/tides.md", "", "2024-03-10T00:00:00+00:00"),
        ("blog/2024-03-10/2024-03-11-tides.md", "", "2024-03-10T00:00:00+00:00"),
        ("blog/2024-03-10/tides.md", "date: 2024-04-01\n", "2024-04-01T00:00:00+00:00"),
        ("blog/tides.md", "", None),
    ],
)
def test_date_is_the_first_date_anywhere_in_the_path(
    tmp_path: Path, path: str, matter: str, published: str | None
) -> None:
    """Content dates: "If a `date` key is omitted from the file, we then look for a
    `YYYY-MM-DD` format anywhere in the file path (even folders). If there are multiple
    dates found, the first is used", in UTC. Without one, Eleventy takes the file's
    creation time and feedsvc dates the post as it dates any undated post."""
    article, _ = _site(tmp_path, {path: matter})[path]
    assert (article.published.isoformat() if article.published else None) == published


@pytest.mark.parametrize(
    "value", ["Last Modified", "Created", "git Last Modified", "git Created", "last modified"]
)
def test_date_naming_a_file_time_or_a_commit_leaves_the_post_undated(
    tmp_path: Path, value: str
) -> None:
    """Content dates: `date: "Last Modified"` "resolves to the file's last modified date",
    `"Created"` to its created date (the default), `"git Last Modified"` and `"git
    Created"` to its latest and first git commit, or `Date.now()` for a file not in git;
    Template.getMappedDate compares them lower-cased, and looks no further, not at the
    path. feedsvc reads no file time (a touch is no edit): the post is read, undated, and
    the store dates it as any undated post, by git's add commit (`git Created`'s) or when
    first seen (Eleventy's `Date.now()`); it is never stopped as an unreadable date."""
    path = "blog/2024-03-10/moorings.md"
    article, _ = _site(tmp_path, {path: f"date: {value}\n"})[path]
    assert (article.published, article.date_pinned, article.draft) == (None, False, False)
    lines = check_folder(tmp_path, tmp_path)
    assert lines[-1].startswith("1 articles read, 1 published"), lines
