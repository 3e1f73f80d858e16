"""A Jekyll site read as Jekyll reads it: tests/sites/jekyll (issue 13).

Each assertion names the rule of Jekyll's documentation (jekyllrb.com/docs/)
it checks: Posts, Front Matter, Permalinks, Configuration (timezone), and the
plugins jekyll-redirect-from, jekyll-last-modified-at and jekyll-feed.
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

from feedsvc.reading.engines import detect


@pytest.fixture(scope="module")
def posts():  # type: ignore[no-untyped-def]
    return read_site("jekyll")


def test_recognised_from_config_yml() -> None:
    blog = detect.detect(SITES / "jekyll")
    assert blog is not None and (blog.engine, blog.source) == ("jekyll", "_config.yml")


def test_only_posts_and_drafts_are_articles(posts) -> None:  # type: ignore[no-untyped-def]
    # Posts: posts live in _posts (in any folder); drafts in _drafts; the rest are pages
    assert sorted(posts) == [
        "_drafts/new-pier.md",
        "_posts/2024-03-05-harbour-lights.md",
        "_posts/2024-04-01-tide-tables.markdown",
        "_posts/2024-06-01-not-yet.md",
        "travel/_posts/2024-05-02-island-ferry.md",
    ]


FEED = "jekyll-feed: the post's author, else site.author (_config.yml `author`)"
EXPECTED: Table = {
    "_posts/2024-03-05-harbour-lights.md": {
        "title": ("Harbour lights", "Front Matter: title"),
        # Posts: the file name's date; Configuration: `timezone` Europe/Paris, 00:00+01:00
        "published": ("2024-03-05T00:00:00+01:00", "Posts: file name date in `timezone`"),
        "updated": ("2024-03-07T10:00:00+01:00", "jekyll-last-modified-at: 10:00 +0100"),
        "slug": ("harbour-lights", "Permalinks: :title is the file name's title"),
        "link": (
            "news/2024/03/05/harbour-lights/",
            "Permalinks: `pretty` is /:categories/:year/:month/:day/:title/, lower-cased",
        ),
        "summary": (
            "The new lights on the east pier, switched on at dusk.",
            "jekyll-feed: description is the summary",
        ),
        "tags": (["News", "lights", "night"], "Posts: singular `category`, then `tags`"),
        "authors": (["Ines Marr"], FEED),
        "draft": (False, "Posts: a post in _posts"),
        "expires": (None, "Jekyll has no expiry"),
        "old_paths": (
            ("2024/harbour-lights.html", "lights/"),
            "jekyll-redirect-from: redirect_from lists old paths, never slugs",
        ),
        "lang": ("en", "Jekyll: no `lang`, the site's language"),
    },
    "_posts/2024-04-01-tide-tables.markdown": {
        "title": ("Tide tables for April", "Front Matter: title"),
        "published": (
            "2024-04-01T06:30:00+02:00",
            "Front Matter: `date` (06:30 +0200) overrides the file name's",
        ),
        "updated": (None, "jekyll-last-modified-at: no last_modified_at, no modified"),
        "slug": ("tide-tables", "Permalinks: :title is the file name's title"),
        "link": ("tides/2024/tide-tables/", "Permalinks: the front matter's permalink wins"),
        "summary": ("High water at noon, all month.", "Posts (excerpts): `excerpt`"),
        "tags": (
            ["sea", "news", "tides"],
            "Posts: `categories` and `tags` as space-separated words",
        ),
        "authors": (["Tomas Berg"], FEED),
        "draft": (False, "Posts: a post in _posts"),
        "expires": (None, "Jekyll has no expiry"),
        "old_paths": ((), "jekyll-redirect-from: no redirect_from"),
        "lang": ("en", "Jekyll: no `lang`, the site's language"),
    },
    "_posts/2024-06-01-not-yet.md": {
        "title": ("Not yet", "Front Matter: title"),
        # 2024-06-01 00:00 in Europe/Paris is +02:00 (CEST)
        "published": ("2024-06-01T00:00:00+02:00", "Posts: file name date in `timezone`"),
        "updated": (None, "jekyll-last-modified-at: none"),
        "slug": ("not-yet", "Permalinks: :title is the file name's title"),
        "link": ("2024/06/01/not-yet/", "Permalinks: `pretty`, no categories"),
        "summary": ("This post is not built.", "Posts (excerpts): the first paragraph"),
        "tags": ([], "Posts: no categories or tags"),
        "authors": (["Ines Marr"], FEED),
        "draft": (True, "Front Matter: `published: false` is not built"),
        "expires": (None, "Jekyll has no expiry"),
        "old_paths": ((), "jekyll-redirect-from: no redirect_from"),
        "lang": ("en", "Jekyll: no `lang`, the site's language"),
    },
    "_drafts/new-pier.md": {
        "title": ("A new pier", "Front Matter: title"),
        "published": (None, "Posts (drafts): a draft has no date in its name"),
        "updated": (None, "jekyll-last-modified-at: none"),
        "slug": ("new-pier", "Posts (drafts): the file name is the title"),
        "link": ("new-pier/", "Permalinks: `pretty` without a date"),
        "summary": ("Plans for a new pier.", "Posts (excerpts): the first paragraph"),
        "tags": ([], "Posts: no categories or tags"),
        "authors": (["Ines Marr"], FEED),
        "draft": (True, "Posts (drafts): files in _drafts are drafts"),
        "expires": (None, "Jekyll has no expiry"),
        "old_paths": ((), "jekyll-redirect-from: no redirect_from"),
        "lang": ("en", "Jekyll: no `lang`, the site's language"),
    },
    "travel/_posts/2024-05-02-island-ferry.md": {
        "title": ("The island ferry", "Front Matter: title"),
        # 2024-05-02 00:00 in Europe/Paris is +02:00 (CEST)
        "published": ("2024-05-02T00:00:00+02:00", "Posts: file name date in `timezone`"),
        "updated": (None, "jekyll-last-modified-at: none"),
        "slug": ("island-ferry", "Permalinks: :title is the file name's title"),
        "link": (
            "travel/2024/05/02/island-ferry/",
            "Permalinks: `pretty`, the folder above _posts is a category",
        ),
        "summary": (
            "Le bac part à huit heures.",
            "Posts (excerpts): feedsvc's <!--more--> ends the excerpt (docs/blog-engines.md)",
        ),
        "tags": (["travel"], "Posts: a folder above _posts is a category"),
        "authors": (["Ines Marr"], FEED),
        "draft": (False, "Posts: a post in a _posts folder"),
        "expires": (None, "Jekyll has no expiry"),
        "old_paths": ((), "jekyll-redirect-from: no redirect_from"),
        "lang": ("fr", "jekyll-feed: the post's `lang`"),
    },
}


def test_every_post_every_field(posts, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # dates as the feed shows them, in the site's zone: tests/test_engine_zones.py
    assert_table(posts, EXPECTED, feed_entries("jekyll", tmp_path), ZoneInfo("Europe/Paris"))


def test_check_names_the_engine_and_counts_pages(tmp_path: Path) -> None:
    lines = check("jekyll", tmp_path)
    assert "engine: jekyll (recognised from _config.yml)" in lines
    assert "skipped for their role: 3 (pages 3)" in lines  # about, README, robots.txt
    assert "template tags removed: 1" in lines  # the include
    assert "keys not understood: 0" in lines
    assert "skipped for their extension: 4 (.html 2, .png 1, .yml 1)" in lines
    assert lines[-1].startswith("5 articles read, 3 published, 2 unpublished, 0 skipped")


def test_ignore_patterns_take_posts_out(tmp_path: Path) -> None:
    # IGNORE (feedsvc's own setting): gitignore-style patterns
    lines = check("jekyll", tmp_path, ("FEEDSVC_IGNORE", "travel/, *not-yet*"))
    assert "skipped for their role: 5 (pages 3, ignored 2)" in lines
    assert lines[-1].startswith("3 articles read, 2 published, 1 unpublished")


def test_liquid_links_embeds_and_other_tags(posts) -> None:  # type: ignore[no-untyped-def]
    article, text = posts["_posts/2024-03-05-harbour-lights.md"]
    assert article.format == "md-blog"  # Markdown as Jekyll renders it (kramdown's extensions)
    html, _ = rendered(article, text)
    # Liquid tags (Posts: "Linking to posts" with post_url; Liquid filters relative_url)
    assert 'href="https://blog.example.org/tides/2024/tide-tables/"' in html
    assert 'href="https://blog.example.org/assets/pier.png"' in html
    # Liquid `highlight` block: a code block in its language
    assert '<code class="language-python">print("lamp")' in html
    assert "{%" not in html and "{{" not in html and "gallery" not in html
    tide, tide_text = posts["_posts/2024-04-01-tide-tables.markdown"]
    assert 'href="https://www.youtube.com/watch?v=dQw4w9WgXcQ"' in rendered(tide, tide_text)[0]


def test_a_removed_tag_is_warned_with_file_and_line() -> None:
    from scenario import MAX_BYTES, defaults, found

    from feedsvc.reading.article import read_article

    blog = detect.resolve("auto", SITES / "jekyll")
    site = type(defaults())("A", "en", defaults().zone, blog)
    path = SITES / "jekyll" / "_posts" / "2024-03-05-harbour-lights.md"
    _, _, problems = read_article(
        found(path, "_posts/2024-03-05-harbour-lights.md"), site, MAX_BYTES
    )
    removed = [p for p in problems if p.message.startswith("template tag")]
    assert [(p.path, p.line) for p in removed] == [("_posts/2024-03-05-harbour-lights.md", 16)]
    assert "include" in removed[0].message


def test_excerpt_separator_from_config_or_front_matter_ends_the_summary(tmp_path: Path) -> None:
    # Posts (Post excerpts): `excerpt_separator` in _config.yml, or in a post's front
    # matter, ends the excerpt that jekyll-feed uses as the summary.
    (tmp_path / "_config.yml").write_text("title: Cuts\nexcerpt_separator: <!-- cut -->\n")
    posts = tmp_path / "_posts"
    posts.mkdir()
    (posts / "2024-01-02-site-wide.md").write_text(
        "---\ntitle: Site wide\n---\n\nThe opening lines.\n\n<!-- cut -->\n\nThe rest.\n"
    )
    (posts / "2024-01-03-own.md").write_text(
        "---\ntitle: Own\nexcerpt_separator: ~~more~~\n---\n\nFirst part.\n~~more~~\nSecond.\n"
    )
    read = read_folder(tmp_path)
    for path, opening, rest in (
        ("_posts/2024-01-02-site-wide.md", "The opening lines.", "The rest."),
        ("_posts/2024-01-03-own.md", "First part.", "Second."),
    ):
        html, summary = rendered(*read[path])
        assert opening in summary and rest not in summary, summary
        assert "cut" not in html and "~~more~~" not in html and rest in html


def test_template_syntax_in_front_matter_is_never_shown_raw(tmp_path: Path) -> None:
    # Front Matter: Liquid in front matter values is not rendered by Jekyll's feed either;
    # feedsvc removes it (with a warning naming the line) rather than show it raw.
    (tmp_path / "_config.yml").write_text("title: Liquid\n")
    posts = tmp_path / "_posts"
    posts.mkdir()
    (posts / "2024-02-02-weekly.md").write_text(
        '---\ntitle: "{{ site.title }} weekly {% if x %}news{% endif %}"\n'
        'description: "About {{ page.topic }} boats"\n---\n\nBody.\n'
    )
    article, _ = read_folder(tmp_path)["_posts/2024-02-02-weekly.md"]
    assert article.title == "weekly news"
    assert article.summary == "About boats"
    lines = check_folder(tmp_path, tmp_path / "check")
    assert any("2024-02-02-weekly.md:2: warning: template tag" in line for line in lines), lines


def test_check_counts_the_keys_not_understood_by_key(tmp_path: Path) -> None:
    # Issue 13, `check`'s migration summary: keys not understood, counted by key, in the
    # posts only. layout is presentation (Front Matter: predefined global variables),
    # last_modified_at is jekyll-last-modified-at's, categories is Jekyll's: understood.
    site = tmp_path / "blog"
    (site / "_posts").mkdir(parents=True)
    (site / "_config.yml").write_text("title: Blog\n")
    (site / "_posts" / "2024-01-02-one.md").write_text(
        "---\ntitle: One\nlayout: post\nmood: calm\nsoundtrack: Sea\n---\nBody.\n"
    )
    (site / "_posts" / "2024-01-03-two.md").write_text(
        "---\ntitle: Two\nmood: calm\ncategories: [sea]\nlast_modified_at: 2024-01-04\n---\nB.\n"
    )
    (site / "about.md").write_text("---\ntitle: About\nmood: page\n---\nA page.\n")
    lines = check_folder(site, tmp_path)
    assert "keys not understood: 3 (mood 2, soundtrack 1)" in lines
