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


def _site(root: Path, config: str, posts: dict[str, str]) -> Path:
    """Write a Jekyll site in ROOT: its _config.yml and each post's front matter by path."""
    root.mkdir()
    (root / "_config.yml").write_text(f"title: Blog\n{config}")
    for path, front_matter in posts.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(f"---\ntitle: A post\n{front_matter}---\nBody.\n")
    return root


def test_only_files_named_with_their_date_in_posts_are_posts(tmp_path: Path) -> None:
    """Posts: "add a file to your `_posts` directory with the following format:
    YEAR-MONTH-DAY-title.MARKUP". post_reader.rb reads only the names that match
    Document::DATE_FILENAME_MATCHER, `(\\d{2,4}-\\d{1,2}-\\d{1,2})-([^/]*)(\\.[^.]+)$`,
    and entry_filter.rb skips names starting with `_`: check counts both by role."""
    site = _site(
        tmp_path / "blog",
        "",
        {"_posts/notes-on-tides.md": "", "_posts/2024-3-5-neap.md": "", "_posts/_draft.md": ""},
    )
    posts = read_folder(site)
    assert sorted(posts) == ["_posts/2024-3-5-neap.md"]
    # Permalinks: `date` is /:categories/:year/:month/:day/:title:output_ext
    assert posts["_posts/2024-3-5-neap.md"][0].link == "2024/03/05/neap.html"
    lines = check_folder(site, tmp_path)
    assert "skipped for their role: 2 (not content 1, not named YEAR-MONTH-DAY-title 1)" in lines


@pytest.mark.parametrize(
    ("front_matter", "link", "tags"),
    [
        # Posts (Categories): `category: classic hollywood` gives .../classic%20hollywood/...
        ("category: classic hollywood", "classic%20hollywood", ["classic hollywood"]),
        # ... and `categories: classic hollywood` gives .../classic/hollywood/...
        ("categories: classic hollywood", "classic/hollywood", ["classic", "hollywood"]),
        ("categories: [classic hollywood]", "classic%20hollywood", ["classic hollywood"]),
        # document.rb populate_categories: `categories`, then `category`, each once
        ("category: b c\ncategories: a Horror", "a/b%20c", ["a", "b c"]),
    ],
)
def test_category_is_one_category_and_categories_are_split_on_spaces(
    tmp_path: Path, front_matter: str, link: str, tags: list[str]
) -> None:
    """Posts (Categories): `movies/horror/_posts/2019-05-21-bride-of-chucky.markdown` is in
    `movies` and `horror`; "depending on whether front matter has `category: classic
    hollywood`, or `categories: classic hollywood`", the URL is
    `movies/horror/classic%20hollywood/2019/05/21/bride-of-chucky.html` or
    `movies/horror/classic/hollywood/2019/05/21/bride-of-chucky.html`."""
    path = "movies/horror/_posts/2019-05-21-bride-of-chucky.markdown"
    site = _site(tmp_path / "blog", "", {path: front_matter + "\n"})
    article, _ = read_folder(site)[path]
    assert article.link == f"movies/horror/{link}/2019/05/21/bride-of-chucky.html"
    assert [t.name for t in article.tags] == ["movies", "horror", *tags]


def test_a_style_name_in_front_matter_is_a_path_not_a_style(tmp_path: Path) -> None:
    """Permalinks: "Built-in permalink styles are not recognized in front matter. As a
    result, `permalink: pretty` will not work": url.rb takes it as the path /pretty."""
    site = _site(
        tmp_path / "blog",
        "permalink: pretty\n",
        {"_posts/2024-03-05-own.md": "permalink: pretty\n", "_posts/2024-03-06-site.md": ""},
    )
    posts = read_folder(site)
    assert posts["_posts/2024-03-05-own.md"][0].link == "pretty"
    assert posts["_posts/2024-03-06-site.md"][0].link == "2024/03/06/site/"  # _config.yml's


def test_the_posts_collection_permalink_overrides_the_site_permalink(tmp_path: Path) -> None:
    """Permalinks (Collections): "For collections (including `posts` and `drafts`), you have
    the option to override the global permalink in the collection configuration"."""
    config = "permalink: /blog/:year/:title/\ncollections:\n  posts:\n    permalink: /a/:title/\n"
    site = _site(tmp_path / "blog", config, {"_posts/2024-03-05-harbour.md": ""})
    assert read_folder(site)["_posts/2024-03-05-harbour.md"][0].link == "a/harbour/"


@pytest.mark.parametrize(
    ("pattern", "link"),
    [
        # placeholders of Permalinks (docs/_data/permalinks.yml), values of url_drop.rb;
        # title: the slug "by piping through the slugify filter method with pretty
        # option ... the case of the alphabets are preserved" (utils.rb slugify)
        ("/:title", "My-Slug"),
        ("/:slug", "my-slug"),  # slug: "Slugified title" (slugify's default mode)
        ("/:name", "2027-01-01-long-day"),  # name: "The document's base filename but slugified"
        ("/:collection/:path", "posts/2027-01-01-long-day"),  # path: "relative to ... directory"
        ("/:categories", "work%202%20progress"),
        # slugified_categories: `"Work 2 Progress"` will be converted into `"work-2-progress"`
        ("/:slugified_categories", "work-2-progress"),
        ("/:year/:short_year/:month/:i_month", "2027/27/01/1"),
        ("/:short_month/:long_month/:day/:i_day/:y_day", "Jan/January/01/1/001"),
        # w_year: "Week year which may differ from the month year"; week: ISO (%V)
        ("/:w_year/W:week/:w_day/:short_day/:long_day", "2026/W53/5/Fri/Friday"),
        ("/:hour/:minute/:second:output_ext", "07/08/09.html"),
        ("/:month_:day", "01_01"),  # url.rb: `:month_` is `:month` when no key ends in `_`
    ],
)
def test_permalink_placeholders_as_jekyll_expands_them(
    tmp_path: Path, pattern: str, link: str
) -> None:
    """Permalinks (Placeholders): each placeholder of the documented table, for a post of
    Friday 1 January 2027, 07:08:09, in ISO week 53 of 2026."""
    front_matter = "date: 2027-01-01 07:08:09 +0000\nslug: My Slug\ncategory: Work 2 Progress\n"
    path = "_posts/2027-01-01-long-day.md"
    site = _site(tmp_path / "blog", f"timezone: UTC\npermalink: {pattern}\n", {path: front_matter})
    assert read_folder(site)[path][0].link == link


def test_exclude_and_folders_starting_with_underscore_keep_posts_out(tmp_path: Path) -> None:
    """Configuration options (Exclude): "Exclude directories and/or files from the
    conversion ... In Jekyll 4, user-provided entries get added to the default exclusion
    list" (node_modules, vendor/bundle/, ...); reader.rb walks no folder starting with `_`."""
    posts = ("_posts", "old/_posts", "_archive/_posts", "node_modules/x/_posts", "keep/_posts")
    site = _site(
        tmp_path / "blog",
        "exclude:\n  - old/\n",
        {f"{folder}/2024-03-05-post.md": "" for folder in posts},
    )
    assert sorted(read_folder(site)) == [
        "_posts/2024-03-05-post.md",
        "keep/_posts/2024-03-05-post.md",
    ]


def test_posts_live_in_collections_dir_which_is_not_a_category(tmp_path: Path) -> None:
    """Collections: "If you specify a directory to store all your collections in the same
    place with `collections_dir: my_collections`, then you will need to move your `_drafts`
    and `_posts` directory to `my_collections/_drafts` and `my_collections/_posts`";
    document.rb: a post's relative_path, whose folders are its categories, is "relative
    to the collections_dir"."""
    site = _site(
        tmp_path / "blog",
        "collections_dir: my_collections\npermalink: pretty\n",
        {
            "my_collections/_posts/2024-03-05-post.md": "",
            "my_collections/travel/_posts/2024-03-06-ferry.md": "",
            "_posts/2024-03-07-at-root.md": "",  # features/collections_dir.feature: not built
        },
    )
    links = {path: article.link for path, (article, _) in read_folder(site).items()}
    assert links == {
        "my_collections/_posts/2024-03-05-post.md": "2024/03/05/post/",
        "my_collections/travel/_posts/2024-03-06-ferry.md": "travel/2024/03/06/ferry/",
    }
