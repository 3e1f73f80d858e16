"""Normalisation: every scenario file read to the fields the issue's rules require."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from scenario import article, defaults, raw, summary, text

from feedsvc.errors import ArticleError
from feedsvc.model import Author
from feedsvc.reading.formats import RawArticle
from feedsvc.reading.normalise import normalise
from feedsvc.reading.text import shorten, slugify

SITE = "Site Author"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# scenario -> the normalised fields it must produce (zone: the TIMEZONE to read it in)
CASES: list[tuple[str, dict[str, Any]]] = [
    (
        "txt_without_date.txt",
        {
            "slug": "txt-without-date",
            "published": None,
            "date_pinned": False,
            "id": None,
            "authors": (Author("Ines Varga"),),
        },
    ),
    (
        "txt_seed_layout.txt",
        {"subtitle": "Two Early Sailings Move by Ten Minutes", "authors": (Author("Karl Moss"),)},
    ),
    (
        "txt_header_block.txt",
        {
            "title": "Header Block Title",
            "subtitle": "A subtitle from the header",
            "slug": "custom-slug-here",
            "published": utc(2024, 3, 1, 9),
            "date_pinned": True,
            "updated": utc(2024, 3, 5, 8),
            "summary": "A summary written by hand.",
            "lang": "pt-BR",
            "authors": (Author("Ana Lima", "ana@example.org"), Author("Bo Chen")),
            "tags": ("Harbour", "Weather"),
            "id": "tag:example.org,2024:header-block",
            "id_pinned": True,
            "aliases": ("old-name", "older-name"),
        },
    ),
    (
        "txt_date_line_then_title.txt",
        {"title": "Title Right Below the Date Line", "published": utc(2024, 5, 6, 7, 8)},
    ),
    (
        "txt_header_keys_any_case.txt",
        {"title": "Upper Case Keys", "tags": ("one", "two"), "draft": False},
    ),
    ("txt_draft.txt", {"draft": True}),
    ("txt_status_draft.txt", {"draft": True}),
    ("txt_human_date_est.txt", {"published": utc(2015, 4, 1, 15)}),
    ("txt_partial_date_month_year.txt", {"published": utc(2024, 3, 1)}),
    (
        "txt_authors_semicolon.txt",
        {"authors": (Author("Doe, Jane"), Author("Roe, Richard", "richard@example.org"))},
    ),
    (
        "txt_authors_comma.txt",
        {"authors": (Author("Jane Doe"), Author("Richard Roe", "richard@example.org"))},
    ),
    ("txt_tags_duplicates.txt", {"tags": ("Python", "Web Dev", "Café")}),
    ("txt_slug_transliterated.txt", {"slug": "creme-brulee-strasse-edition"}),
    ("txt_future_date.txt", {"published": utc(2099, 1, 1)}),
    ("txt_lang_fallback.txt", {"lang": "en"}),
    ("txt_cp1252.txt", {"title": "Café Reopens on the “Old” Square"}),
    (
        "txt_bom_crlf.txt",
        {
            "title": "A Title After a BOM",
            "body": "Windows line ends become LF.\n\nOld Mac line ends too.",
        },
    ),
    (
        "txt_control_characters.txt",
        {
            "title": "Control Characters in the Title",
            "body": "Body with a bell, form feed, escape and U+FFFF removed.",
        },
    ),
    (
        "txt_nfd_title.txt",
        {
            "title": "Caf\u00e9 Cr\u00e8me",
            "body": "Decomposed letters are composed (NFC): caf\u00e9.",
        },
    ),
    (
        "md_yaml_front_matter.md",
        {
            "title": "Front Matter: Every Key",
            "subtitle": "With a subtitle",
            "slug": "every-key",
            "published": utc(2024, 3, 1, 8),
            "updated": utc(2024, 4, 1, 19),
            "authors": (Author("Ana Lima", "ana@example.org"), Author("Bo Chen")),
            "tags": ("Harbour", "weather"),
            "summary": "Hand-written summary.",
            "lang": "fr",
            "id": "urn:uuid:6f1c2e4a-0000-4000-8000-000000000001",
            "aliases": ("old-every-key",),
            "draft": False,
            "format": "md",
        },
    ),
    ("md_yaml_list_tags.md", {"tags": ("Food", "Street Food")}),
    ("md_comma_tags.md", {"tags": ("food", "city", "night life")}),
    ("md_naive_date_paris.md", {"published": utc(2024, 3, 1, 9)}),
    ("md_naive_date_summer_paris.md", {"published": utc(2024, 7, 1, 8)}),
    ("md_yaml_date_object.md", {"published": utc(2024, 3, 1)}),
    ("md_rfc2822_date.md", {"published": utc(2024, 3, 1, 15)}),
    (
        "md_header_block.md",
        {
            "title": "Markdown With a Header Block",
            "published": utc(2024, 1, 15, 9),
            "tags": ("one", "two"),
        },
    ),
    ("md_title_from_heading.md", {"title": "The Title Is the First Heading"}),
    ("md_status_draft.md", {"draft": True}),
    ("md_draft_true.md", {"draft": True}),
    (
        "md_authors_mapping_list.md",
        {"authors": (Author("Ana Lima", "ana@example.org"), Author("Bo Chen"))},
    ),
    ("md_no_author.md", {"authors": (Author(SITE),)}),
    (
        "md_control_characters_in_front_matter.md",
        {"title": "Bell and tab removed", "tags": ("ok", "fine")},
    ),
    ("md_markdown_extension.markdown", {"format": "md", "slug": "md-markdown-extension"}),
]


@pytest.mark.parametrize(("name", "expected"), CASES, ids=[c[0] for c in CASES])
def test_scenario_normalises_to_expected_fields(name: str, expected: dict[str, Any]) -> None:
    zone = "Europe/Paris" if "paris" in name else "UTC"
    result, body = article(name, zone), text(name, zone)
    actual = {key: getattr(body if key in ("body", "bio") else result, key) for key in expected}
    if "tags" in actual:
        actual["tags"] = tuple(tag.name for tag in result.tags)
    assert actual == expected


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "txt_unparseable_date.txt",
            "txt_unparseable_date.txt:1: error: date: cannot read date 'the day after the storm'",
        ),
        (
            "md_unknown_timezone_abbreviation.md",
            "md_unknown_timezone_abbreviation.md:3: error: date: unknown time zone 'CET'",
        ),
    ],
)
def test_bad_date_is_an_error_naming_file_line_and_value(name: str, message: str) -> None:
    with pytest.raises(ArticleError) as caught:
        article(name)
    assert str(caught.value).startswith(message)


def test_every_text_field_is_free_of_xml_illegal_characters() -> None:
    bad = "a\x00b\x08c\x0bd\x1fe\ufffef\uffffg\ud800h"
    meta = {key: bad for key in ("title", "subtitle", "summary", "author", "slug", "lang")}
    meta |= {"tags": [bad, "x" + bad], "aliases": bad, "lang": "en"}
    result, text = normalise(RawArticle("a.md", "md", meta, bad, bad), defaults())
    values = [
        result.title,
        result.subtitle,
        result.summary,
        text.body,
        text.bio,
        result.slug,
        *[a.name for a in result.authors],
        *[t.name for t in result.tags],
    ]
    for value in values:
        assert "abcdefgh" in value.replace("-", "")
    assert result.title == "abcdefgh"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Hello World", "hello-world"),
        ("  Ünïcödé  Straße ", "unicode-strasse"),
        ("Crème — Brûlée!!", "creme-brulee"),
        ("already-a-slug", "already-a-slug"),
        ("C++ & Python 3.11", "c-python-3-11"),
        ("Ελληνικά", "ellinika"),  # modern Greek reading
        ("!!!", ""),
    ],
)
def test_slugify_lowercase_ascii_hyphens(value: str, expected: str) -> None:
    assert slugify(value) == expected


def test_slug_is_file_name_without_extension_when_not_given() -> None:
    result = normalise(RawArticle("sub/My Post.md", "md", {"title": "t"}, "b"), defaults())[0]
    assert result.slug == "my-post"


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        ({"author": "Ana"}, (Author("Ana"),)),
        ({"authors": "Ana, Bo"}, (Author("Ana"), Author("Bo"))),
        ({"authors": "Lima, Ana; Chen, Bo"}, (Author("Lima, Ana"), Author("Chen, Bo"))),
        ({"authors": "Ana <ana@x.org>"}, (Author("Ana", "ana@x.org"),)),
        ({"authors": "<ana@x.org>"}, (Author("ana@x.org", "ana@x.org"),)),
        ({"authors": ["Ana", "Ana", "Bo"]}, (Author("Ana"), Author("Bo"))),
        ({"authors": {"name": "Ana", "email": "a@x.org"}}, (Author("Ana", "a@x.org"),)),
        ({"authors": ""}, (Author(SITE),)),
        ({}, (Author(SITE),)),
    ],
)
def test_authors(meta: dict[str, Any], expected: tuple[Author, ...]) -> None:
    result = normalise(RawArticle("a.md", "md", {"title": "t", **meta}, "b"), defaults())[0]
    assert result.authors == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a, b", ("a", "b")),
        (["  Big   Data ", "big data", "BIG DATA"], ("Big Data",)),
        ("Café, cafe", ("Café",)),
        ([1, 2.5, True], ("1", "2.5", "True")),
        ("", ()),
        (None, ()),
    ],
)
def test_tags(value: Any, expected: tuple[str, ...]) -> None:
    result = normalise(RawArticle("a.md", "md", {"title": "t", "tags": value}, "b"), defaults())[0]
    assert tuple(t.name for t in result.tags) == expected
    assert all(t.slug == slugify(t.name) for t in result.tags)


def test_categories_is_a_synonym_of_tags() -> None:
    meta = {"title": "t", "categories": "x, y"}
    assert [
        t.name for t in normalise(RawArticle("a.md", "md", meta, "b"), defaults())[0].tags
    ] == [
        "x",
        "y",
    ]


@pytest.mark.parametrize(
    ("meta", "draft"),
    [
        ({"draft": True}, True),
        ({"draft": "yes"}, True),
        ({"draft": "false"}, False),
        ({"status": "Draft"}, True),
        ({"status": "published"}, False),
        ({}, False),
    ],
)
def test_drafts(meta: dict[str, Any], draft: bool) -> None:
    result = normalise(RawArticle("a.md", "md", {"title": "t", **meta}, "b"), defaults())[0]
    assert result.draft is draft


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ({"status": "maybe"}, "status must be draft or published"),
        ({"draft": "ture"}, "draft must be true or false, got 'ture'"),  # never published
        ({"draft": "y"}, "draft must be true or false"),
        ({"id": "not a uri"}, "not an absolute URI"),
        ({"lang": "english!"}, "not a language tag"),
        ({"title": ["a", "list"]}, "title must be text"),
        ({"tags": {"a": 1}}, "tags must be a list"),
        ({"title": "   "}, "title is empty"),
        ({"slug": "!!!"}, "no slug"),
    ],
)
def test_bad_values_are_article_errors(meta: dict[str, Any], message: str) -> None:
    with pytest.raises(ArticleError, match=message):
        normalise(RawArticle("a.md", "md", {"title": "t", **meta}, "b"), defaults())[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("short", "short"),
        ("word " * 59 + "word", "word " * 59 + "word"),  # exactly 299 characters
        ("x" * 400, "x" * 299 + "…"),
        ("word " * 100, ("word " * 60).strip() + "…"),
        ("abcdefghi " * 29 + "abcdefghijklmno", ("abcdefghi " * 29).strip() + "…"),
    ],
)
def test_shorten_cuts_at_word_boundary_to_300_with_ellipsis(text: str, expected: str) -> None:
    result = shorten(text)
    assert result == expected
    assert len(result) <= 300


def test_summary_from_first_paragraph_as_plain_text() -> None:
    result = article("md_first_paragraph_summary.md")
    assert result.summary == ""
    assert summary("md_first_paragraph_summary.md", "http://x.org/articles/a") == (
        "The first paragraph, with a link, becomes the summary."
    )


def test_summary_of_long_first_paragraph_is_cut() -> None:
    cut = summary("txt_long_first_paragraph.txt", "http://x.org/")
    assert cut.endswith("…") and len(cut) <= 300
    assert cut[:-1].split() == [f"word{i:03d}" for i in range(37)]


def test_summary_from_front_matter_is_kept_and_cut_when_long() -> None:
    assert summary("md_yaml_front_matter.md") == "Hand-written summary."
    long = summary("md_summary_long.md")
    assert len(long) <= 300 and long.endswith("lorem…")


def test_content_hash_ignores_layout_but_not_content() -> None:
    def digest(body: str, **meta: Any) -> str:
        return normalise(RawArticle("a.txt", "txt", {"title": "t", **meta}, body), defaults())[
            0
        ].content_hash

    assert digest("body") == digest("body", date="2024-01-01", slug="other", draft="no")
    assert digest("body") != digest("body!")
    assert digest("body") != digest("body", tags="x")
    assert digest("body") != digest("body", author="Someone")
    assert digest("body") != digest("body", subtitle="s")


def test_raw_meta_is_read_as_written() -> None:
    assert raw("md_yaml_list_tags.md").meta["tags"] == ["Food", "food", "  Street   Food "]
