"""A Hugo site read as Hugo reads it: tests/sites/hugo (issue 13).

Each assertion names the rule of Hugo's documentation (gohugo.io) it checks:
Content management > Sections, Page bundles, Front matter, Content summaries,
Taxonomies, URL management (slug, url, permalinks, aliases), Multilingual; and
Configuration (timeZone, mainSections, defaultContentLanguage).
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


NO_AUTHOR = "Front matter: no `author`, no params.author: feedsvc's AUTHOR"
NO_ALIASES = "URL management: no aliases"
EXPECTED: Table = {
    "content/posts/tide-tables.md": {
        "title": ("Tide Tables for April", "Front matter: title"),
        # Configuration: timeZone America/New_York; 06:30 EDT is -04:00
        "published": ("2024-04-01T06:30:00-04:00", "Front matter: date, in timeZone"),
        "updated": ("2024-04-03T12:00:00-04:00", "Front matter: lastmod (12:00 -04:00)"),
        "slug": ("tide-tables", "feedsvc's slug: the file's name, as no slug is set"),
        "link": (
            "2024/04/tide-tables/",
            'URL management: [permalinks] "/:year/:month/:slugorcontentbasename/"',
        ),
        "summary": ("High water at noon, all month.", "Content summaries: description"),
        "tags": (["Sea", "tides"], "Taxonomies: categories, then tags"),
        "authors": (["Tomas Berg"], "Front matter: author (a param the RSS template reads)"),
        "draft": (False, "Front matter: no draft"),
        "expires": (None, "Front matter: no expiryDate"),
        "old_paths": (
            ("old/tides/", "posts/tides-april/"),
            "URL management: aliases, a relative one relative to the page's folder",
        ),
        "lang": ("en", "Multilingual: defaultContentLanguage"),
    },
    "content/posts/tide-tables.fr.md": {
        "title": ("Les marées d'avril", "Front matter: title"),
        "published": ("2024-04-01T06:30:00-04:00", "Front matter: date, in timeZone (-04:00)"),
        "updated": (None, "Front matter: no lastmod (Hugo falls back to date: the same)"),
        "slug": (
            "tide-tables-fr",
            "Multilingual: the same post; feedsvc's slug takes the language",
        ),
        "link": ("fr/2024/04/tide-tables/", "Multilingual: under /fr/, same permalink"),
        "summary": (
            "La pleine mer est à midi tout le mois.",
            "Content summaries: automatic, the first paragraph",
        ),
        "tags": (["marées"], "Taxonomies: tags"),
        "authors": (["Site Author"], NO_AUTHOR),
        "draft": (False, "Front matter: no draft"),
        "expires": (None, "Front matter: no expiryDate"),
        "old_paths": ((), NO_ALIASES),
        "lang": ("fr", "Multilingual: translation by file name, post.fr.md"),
    },
    "content/posts/harbour-walk/index.md": {
        "title": ("A walk round the harbour", "Front matter: title"),
        "published": ("2024-05-11T03:00:00-04:00", "Front matter: publishDate (08:00 +01:00)"),
        "updated": (
            None,
            "Front matter: no lastmod (Hugo falls back to date, before publishDate)",
        ),
        "slug": ("walk", "URL management: slug replaces the bundle's name"),
        "link": ("2024/05/walk/", "URL management: :slugorcontentbasename is the slug"),
        "summary": (
            "Start at the lighthouse.",
            "Content summaries: a manual summary takes precedence over a front matter one",
        ),
        "tags": (["walks"], "Taxonomies: tags"),
        "authors": (["Site Author"], NO_AUTHOR),
        "draft": (False, "Front matter: no draft"),
        "expires": (None, "Front matter: no expiryDate"),
        "old_paths": ((), NO_ALIASES),
        "lang": ("en", "Multilingual: defaultContentLanguage"),
    },
    "content/posts/next-regatta.md": {
        "title": ("Next regatta", "Front matter: title"),
        "published": (
            "2024-06-01T00:00:00-04:00",
            "Front matter: date, midnight in timeZone (EDT)",
        ),
        "updated": (None, "Front matter: no lastmod"),
        "slug": ("next-regatta", "URL management: the file's name"),
        "link": ("2024/06/next-regatta/", "URL management: the content base name"),
        "summary": ("Not written yet.", "Content summaries: automatic, the first paragraph"),
        "tags": ([], "Taxonomies: none"),
        "authors": (["Site Author"], NO_AUTHOR),
        "draft": (True, "Front matter: draft = true"),
        "expires": (None, "Front matter: no expiryDate"),
        "old_paths": ((), NO_ALIASES),
        "lang": ("en", "Multilingual: defaultContentLanguage"),
    },
    "content/posts/old-ferry.md": {
        "title": ("The old ferry timetable", "Front matter: title"),
        "published": (
            "2023-01-05T00:00:00-05:00",
            "Front matter: date, midnight in timeZone (EST)",
        ),
        "updated": (None, "Front matter: no lastmod"),
        "slug": ("old-ferry", "URL management: the file's name"),
        "link": ("2023/01/old-ferry/", "URL management: the content base name"),
        "summary": (
            "Valid until the summer.",
            "Content summaries: automatic, the first paragraph",
        ),
        "tags": ([], "Taxonomies: none"),
        "authors": (["Site Author"], NO_AUTHOR),
        "draft": (False, "Front matter: no draft"),
        "expires": (
            "2023-06-30T00:00:00-04:00",
            "Front matter: expiryDate, midnight in timeZone (EDT): out of the feed",
        ),
        "old_paths": ((), NO_ALIASES),
        "lang": ("en", "Multilingual: defaultContentLanguage"),
    },
}


def test_every_post_every_field(posts, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # dates as the feed shows them, in the site's zone: tests/test_engine_zones.py
    assert_table(posts, EXPECTED, feed_entries("hugo", tmp_path), ZoneInfo("America/New_York"))


def test_shortcodes_in_tide_tables(posts) -> None:  # type: ignore[no-untyped-def]
    html, _ = rendered(*posts["content/posts/tide-tables.md"])
    # Shortcodes: ref -> the target's URL; figure -> a figure; tweet -> a link to the post
    assert 'href="https://blog.example.org/2024/05/walk/"' in html
    assert "<figcaption>The tide chart</figcaption>" in html
    assert "https://x.com/harbourmaster/status/1453110110599868418" in html


def test_page_bundle_resources_and_shortcodes(posts) -> None:  # type: ignore[no-untyped-def]
    html, _ = rendered(*posts["content/posts/harbour-walk/index.md"])
    # Page resources are published beside the page
    assert 'src="https://blog.example.org/2024/05/walk/quay.png"' in html
    assert "https://www.youtube.com/watch?v=w7Ft2ymGmfc" in html
    assert "<p>Wear boots.</p>" in html and "{{" not in html


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


def _url_site(tmp_path: Path, config: str, name: str, url: str) -> str:
    (tmp_path / "hugo.toml").write_text(
        'baseURL = "https://blog.example.org/"\n'
        + config
        + '[permalinks]\nposts = "/:year/:slug/"\n'
    )
    posts = tmp_path / "content" / "posts"
    posts.mkdir(parents=True)
    (posts / name).write_text(
        f'+++\ntitle = "Knots"\nslug = "other"\ndate = 2024-05-06\nurl = "{url}"\n+++\nBody.\n'
    )
    return read_folder(tmp_path)[f"content/posts/{name}"][0].link


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # URL management > url: overrides the entire path (permalinks and slug too);
        # without a file extension the URL is the folder, with its trailing slash
        ("/articles/my-first-article", "articles/my-first-article/"),
        ("/articles/my-first-article/", "articles/my-first-article/"),
        # ... with a file extension it is that file
        ("/articles/my-first-article.html", "articles/my-first-article.html"),
        # in a monolingual site, with or without a leading slash, relative to baseURL
        ("about", "about/"),
    ],
)
def test_url_front_matter_overrides_the_whole_path(
    tmp_path: Path, url: str, expected: str
) -> None:
    assert _url_site(tmp_path, "", "knots.md", url) == expected


MULTILINGUAL = (
    'defaultContentLanguage = "en"\n[languages.en]\nweight = 1\n[languages.fr]\nweight = 2\n'
)


@pytest.mark.parametrize(
    ("name", "url", "expected"),
    [
        # URL management > url, in a multilingual site: a url with a leading slash is
        # relative to baseURL; without one, to baseURL plus the language prefix
        ("knots.fr.md", "/noeuds", "noeuds/"),
        ("knots.fr.md", "noeuds", "fr/noeuds/"),
        # the default language has no prefix (defaultContentLanguageInSubdir is false)
        ("knots.md", "knots", "knots/"),
        ("knots.md", "/knots", "knots/"),
    ],
)
def test_url_front_matter_in_a_multilingual_site(
    tmp_path: Path, name: str, url: str, expected: str
) -> None:
    assert _url_site(tmp_path, MULTILINGUAL, name, url) == expected


def test_recognised_from_hugo_yaml_with_its_settings(tmp_path: Path) -> None:
    # Configuration: the site's configuration file is hugo.toml, hugo.yaml or hugo.json;
    # its timeZone and [permalinks] apply to the posts as from hugo.toml
    (tmp_path / "hugo.yaml").write_text(
        "baseURL: https://blog.example.org/\ntimeZone: Europe/Paris\n"
        "params:\n  mainSections: [posts]\npermalinks:\n  posts: /:year/:month/:slug/\n"
    )
    posts = tmp_path / "content" / "posts"
    posts.mkdir(parents=True)
    (posts / "first.md").write_text("---\ntitle: First\ndate: 2024-05-06T09:30:00\n---\nBody.\n")
    blog = detect.detect(tmp_path)
    assert blog is not None and (blog.engine, blog.source) == ("hugo", "hugo.yaml")
    article, _ = read_folder(tmp_path)["content/posts/first.md"]
    assert article.link == "2024/05/first/"
    assert article.published is not None
    assert article.published.isoformat() == "2024-05-06T07:30:00+00:00"  # 09:30 in timeZone
    lines = check_folder(tmp_path, tmp_path / "state")
    assert "engine: hugo (recognised from hugo.yaml)" in lines


def _post(tmp_path: Path, config: str, name: str, front: str, body: str = "Body.") -> Article:
    """Return the article of content/posts/NAME in a site of CONFIG (TOML) and FRONT."""
    (tmp_path / "hugo.toml").write_text('baseURL = "https://blog.example.org/"\n' + config)
    posts = tmp_path / "content" / "posts"
    posts.mkdir(parents=True, exist_ok=True)
    (posts / name).write_text(f"+++\ntitle = 'The Title Words'\n{front}\n+++\n{body}\n")
    return read_folder(tmp_path)[f"content/posts/{name}"][0]


@pytest.mark.parametrize(
    ("config", "name", "front", "expected"),
    [
        ("", "My-Post.md", "", "posts/my-post/"),
        ("disablePathToLower = true\n", "My-Post.md", "", "posts/My-Post/"),
        # helpers/path.go MakePath: "Social Media -> Social-Media", then lower case
        ("", "spaced.md", "slug = 'My Spaced Slug'", "posts/my-spaced-slug/"),
        ("disablePathToLower = true\n", "spaced.md", "slug = 'My  Slug'", "posts/My-Slug/"),
        # common/paths/path.go Sanitize: letters, digits and ._-+~@# stay; the rest goes
        ("", "p.md", "slug = 'Hello, World! (2)'", "posts/hello-world-2/"),
        ("", "Café.md", "", "posts/caf%C3%A9/"),
        ("removePathAccents = true\n", "Café.md", "", "posts/cafe/"),
        ("[permalinks]\nposts = '/:year/:slug/'\n", "p.md", "slug = 'A B'", "2024/a-b/"),
    ],
)
def test_urls_are_lower_case_unless_disable_path_to_lower(
    tmp_path: Path, config: str, name: str, front: str, expected: str
) -> None:
    """Configuration: "disablePathToLower: Whether to disable transformation of page URLs to
    lower case. Default is false"; helpers/path.go MakePathSanitized: "a Unicode-sanitized
    string, with the spaces replaced", lower-cased unless disablePathToLower."""
    assert _post(tmp_path, config, name, front + "\ndate = 2024-03-05").link == expected


def test_a_dot_in_a_file_name_is_a_language_only_when_configured(tmp_path: Path) -> None:
    """Multilingual: post.fr.md is a translation when fr is a configured language;
    common/paths/pathparser.go looks the identifier up in the languages, so node.js.md
    is the page "node.js" in the default language."""
    article = _post(tmp_path, "", "node.js.md", "date = 2024-03-05")
    assert (article.link, article.lang) == ("posts/node.js/", "en")


def test_a_manual_summary_takes_precedence_over_front_matter(tmp_path: Path) -> None:
    """Content summaries: "A manual summary takes precedence over a front matter summary,
    and a front matter summary takes precedence over an automatic summary"."""
    front = "summary = 'Front matter summary.'\ndescription = 'A description.'"
    _post(tmp_path, "", "manual.md", front, "Manual paragraph.\n\n<!--more-->\n\nRest.")
    _post(tmp_path, "", "plain.md", front, "First paragraph.\n\nRest.")
    # "Content summaries": the <!--more--> divider counts outside code only
    _post(tmp_path, "", "howto.md", front, "Type `<!--more-->` to end it.\n\nRest.")
    posts = read_folder(tmp_path)
    assert rendered(*posts["content/posts/manual.md"])[1] == "Manual paragraph."
    assert rendered(*posts["content/posts/plain.md"])[1] == "Front matter summary."
    assert rendered(*posts["content/posts/howto.md"])[1] == "Front matter summary."


@pytest.mark.parametrize(
    ("pattern", "front", "expected"),
    [
        # 2024-03-03 is a Sunday, the year's 63rd day
        ("/:year/:month/:day/", "", "2024/03/03/"),
        ("/:weekday/:yearday/", "", "0/63/"),
        ("/:monthname/:weekdayname/", "", "march/sunday/"),
        ("/:slug/", "", "the-title-words/"),
        ("/:slug/", "slug = 'given'", "given/"),
        ("/:title/", "slug = 'given'", "the-title-words/"),
        ("/:slugorfilename/", "", "file-name/"),
        ("/:slugorcontentbasename/", "", "file-name/"),
        ("/:contentbasename/", "slug = 'given'", "file-name/"),
    ],
)
def test_permalink_tokens(tmp_path: Path, pattern: str, front: str, expected: str) -> None:
    """URL management, tokens: ":weekday: The 1-digit day of the week (Sunday = 0)";
    ":yearday: The 1- to 3-digit day of the year"; ":slug: The slug as defined in front
    matter, else the title as defined in front matter"; ":slugorcontentbasename: The slug
    as defined in front matter, else the content base name"."""
    config = f"[permalinks]\nposts = '{pattern}'\n"
    article = _post(tmp_path, config, "file-name.md", front + "\ndate = 2024-03-03")
    assert article.link == expected


@pytest.mark.parametrize(
    ("front", "draft"),
    [
        ("[build]\nlist = 'never'", True),
        ("[build]\nrender = 'never'", True),
        ("[build]\nlist = false", True),  # before 0.67.1 list was a bool
        ("[_build]\nlist = 'never'", True),  # its name before 0.145.0
        ("headless = true", True),
        ("[build]\nlist = 'always'\nrender = 'link'", False),
    ],
)
def test_build_options_never_listed_are_not_in_the_feeds(
    tmp_path: Path, front: str, draft: bool
) -> None:
    """Build options: list "never: Do not include the page in any page collection";
    render "never: Never render the page to disk, and exclude it from all page
    collections"; headless = true sets both (hugolib/page__meta.go)."""
    assert _post(tmp_path, "", "p.md", "date = 2024-03-05\n" + front).draft is draft
