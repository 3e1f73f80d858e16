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
from engine_sites import (
    SITES,
    Table,
    assert_table,
    check,
    feed_entries,
    read_folder,
    read_site,
    rendered,
)

from feedsvc.model import Article
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


def _site(tmp_path: Path, config: str, pages: dict[str, str]) -> dict[str, Article]:
    """Return the articles of a Zola site of CONFIG and PAGES (path: front matter), by path."""
    base = 'base_url = "https://blog.example.org"\ndefault_language = "en"\n'
    (tmp_path / "config.toml").write_text(base + config)
    for path, front in {"content/blog/_index.md": 'title = "Blog"', **pages}.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(f"+++\n{front}\n+++\nBody.\n")
    return {path: article for path, (article, _) in read_folder(tmp_path).items()}


@pytest.mark.parametrize(
    ("config", "slug", "expected"),
    [
        ("", "élevage-chèvre-carrière-alternative", "blog/elevage-chevre-carriere-alternative/"),
        ("", "élevage chèvre (carrière)", "blog/elevage-chevre-carriere/"),
        ("", "日本", "blog/ri-ben/"),  # components/utils/src/slugs.rs: can_slugify_paths
        ('[slugify]\npaths = "safe"\n', "élevage-chèvre", "blog/%C3%A9levage-ch%C3%A8vre/"),
        ('[slugify]\npaths = "off"\n', "Élevage", "blog/%C3%89levage/"),
    ],
)
def test_a_front_matter_slug_is_slugified(
    tmp_path: Path, config: str, slug: str, expected: str
) -> None:
    """Page, output paths: slug = "élevage-chèvre-carrière-alternative" outputs to
    [base_url]/zines/elevage-chevre-carriere-alternative "with the default value for
    slugify.paths of "on"", and keeps its accents with "safe" or "off"."""
    pages = {"content/blog/chevre.md": f'title = "Chèvre"\ndate = 2024-03-05\nslug = "{slug}"'}
    assert _site(tmp_path, config, pages)["content/blog/chevre.md"].link == expected


def test_a_translation_with_a_path_has_no_language_prefix(tmp_path: Path) -> None:
    """Multilingual sites, output: "Zola outputs the translated content with a base URL of
    {base_url}/{code}/. The only exception to this is if you are setting a translated page
    path directly in the front matter"."""
    pages = {
        "content/blog/moved.fr.md": 'title = "Déplacé"\ndate = 2024-03-05\npath = "nouvelles/x"',
        "content/blog/kept.fr.md": 'title = "Gardé"\ndate = 2024-03-05',
    }
    articles = _site(tmp_path, "[languages.fr]\n", pages)
    assert articles["content/blog/moved.fr.md"].link == "nouvelles/x/"
    assert articles["content/blog/kept.fr.md"].link == "fr/blog/kept/"


def test_pages_of_a_drafted_section_are_drafts(tmp_path: Path) -> None:
    """Section, drafting: "pages will not be processed if any of their parent sections is
    drafted, regardless of their own draft status"."""
    pages = {
        "content/drafts/_index.md": 'title = "Drafted"\ndraft = true',
        "content/drafts/inside.md": 'title = "Inside"\ndate = 2024-03-05\ndraft = false',
        "content/drafts/sub/_index.md": 'title = "Sub"',
        "content/drafts/sub/deeper.md": 'title = "Deeper"\ndate = 2024-03-05',
        "content/blog/kept.md": 'title = "Kept"\ndate = 2024-03-05',
    }
    articles = _site(tmp_path, "", pages)
    assert articles["content/drafts/inside.md"].draft is True
    assert articles["content/drafts/sub/deeper.md"].draft is True
    assert articles["content/blog/kept.md"].draft is False


@pytest.mark.parametrize(
    ("name", "config", "slug", "published"),
    [
        ("2024-03-07.md", "", "2024-03-07", "2024-03-07T00:00:00+00:00"),
        ("2018-10-10-hello-world.md", "", "hello-world", "2018-10-10T00:00:00+00:00"),
        ("2018-10-10_hello-world.md", "", "hello-world", "2018-10-10T00:00:00+00:00"),
        ("2021-01-23 -hello new world.md", "", "hello-new-world", "2021-01-23T00:00:00+00:00"),
        ("2024-03-07T10:00:00Z-post.md", "", "post", "2024-03-07T10:00:00+00:00"),
        ("2024-13-01-post.md", "", "2024-13-01-post", None),  # no 13th month: no date
        (
            "2018-10-10_hello-world.md",
            "[slugify]\npaths_keep_dates = true\n",
            "2018-10-10-hello-world",
            "2018-10-10T00:00:00+00:00",
        ),
    ],
)
def test_dates_in_file_names(
    tmp_path: Path, name: str, config: str, slug: str, published: str | None
) -> None:
    """Page: "a filename starting with a datetime (YYYY-mm-dd or an RFC3339 datetime) will
    use that date as the page date ... optionally followed by an underscore (_) or a dash
    (-), and slug"; "2018-10-10.md will be available at [base_url]/2018-10-10"; "the file
    content/blog/2021-01-23 -hello new world.md will yield a page at
    [base_url]/blog/hello-new-world"; slugify.paths_keep_dates keeps the date in the path.
    The regular expression is components/content/src/page.rs's RFC3339_DATE."""
    article = _site(tmp_path, config, {f"content/blog/{name}": 'title = "Dated"'})[
        f"content/blog/{name}"
    ]
    when = article.published.isoformat() if article.published else None
    assert (article.slug, article.link, when) == (slug, f"blog/{slug}/", published)


def test_a_dot_in_a_file_name_is_a_language_only_when_configured(tmp_path: Path) -> None:
    """Multilingual sites: post.fr.md is the fr page when fr is in [languages]
    (components/content/src/file_info.rs: find_language); without other languages
    node.js.md is the page "node.js", in the default language."""
    article = _site(tmp_path, "", {"content/blog/node.js.md": 'title = "Node"'})[
        "content/blog/node.js.md"
    ]
    assert (article.link, article.lang) == ("blog/node-js/", "en")
