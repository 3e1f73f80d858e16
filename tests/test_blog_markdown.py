"""Front matter and Markdown as blog engines write them (issue 13, build item 1).

The oracle for each rule is named beside it: Hugo's "Front matter" page
(gohugo.io/content-management/front-matter/: YAML between ---, TOML between
+++, JSON as one object), Zola's "Page" page (TOML between +++), and Jekyll's
"Posts" page (`<!--more-->` as the excerpt separator, `excerpt_separator`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from scenario import MAX_BYTES, defaults, found

from feedsvc.cli import main
from feedsvc.errors import ArticleError
from feedsvc.model import HeldBodies
from feedsvc.reading.article import read_article
from feedsvc.render import markup

TOML_POST = """+++
title = "Harbour lights"
date = 2024-03-05T09:30:00+01:00
tags = ["harbour", "night"]
draft = false
+++
The lights came on at dusk.
"""
JSON_POST = """{
  "title": "Tide tables",
  "date": "2024-04-01",
  "tags": ["sea"]
}
High water at noon.
"""


def _read(tmp_path: Path, name: str, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_text(text)
    return read_article(found(path), defaults(), MAX_BYTES)


def test_hugo_and_zola_toml_front_matter_between_plus_lines_is_read(tmp_path: Path) -> None:
    # Hugo "Front matter" (TOML, +++), Zola "Page" (front matter is TOML between +++)
    article, text, problems = _read(tmp_path, "harbour.md", TOML_POST)
    assert article.title == "Harbour lights"
    assert article.published == datetime(2024, 3, 5, 8, 30, tzinfo=UTC)  # TOML offset kept
    assert [t.name for t in article.tags] == ["harbour", "night"]
    assert text.body == "The lights came on at dusk.\n"
    assert not problems


def test_hugo_json_front_matter_is_one_object_at_the_top(tmp_path: Path) -> None:
    # Hugo "Front matter" (JSON: the object itself, no delimiter lines)
    article, text, _ = _read(tmp_path, "tides.md", JSON_POST)
    assert article.title == "Tide tables"
    assert article.published == datetime(2024, 4, 1, tzinfo=UTC)
    assert text.body.strip() == "High water at noon."


def test_bad_toml_front_matter_names_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(ArticleError) as e:
        _read(tmp_path, "bad.md", '+++\ntitle = "x"\ndate = = 3\n+++\nbody\n')
    assert e.value.problem.path == "bad.md"
    assert e.value.problem.line == 3
    assert "TOML" in e.value.problem.message


def test_unclosed_toml_front_matter_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ArticleError, match=r"\+\+\+ is never closed"):
        _read(tmp_path, "open.md", '+++\ntitle = "x"\nbody\n')


def test_a_body_opening_with_a_brace_is_not_json_front_matter(tmp_path: Path) -> None:
    article, text, _ = _read(tmp_path, "brace.md", "# Sets\n\n{a, b} is a set.\n")
    assert article.title == "Sets" and "{a, b}" in text.body


@pytest.mark.parametrize("extension", [".markdown", ".mdown", ".mkd"])
def test_markdown_extensions_jekyll_reads_are_read(tmp_path: Path, extension: str) -> None:
    # Jekyll's markdown_ext default: markdown,mkdown,mkdn,mkd,md (Configuration page)
    article, _, _ = _read(tmp_path, "post" + extension, "---\ntitle: Ext\n---\nBody.\n")
    assert article.title == "Ext" and article.format == "md"


def _html(tmp_path: Path, body: str, fmt: str = "md") -> tuple[str, str]:
    article, text, _ = _read(tmp_path, "p.md", "---\ntitle: T\n---\n" + body)
    if fmt != "md":
        from dataclasses import replace

        article = replace(article, format=fmt)
    bodies = HeldBodies({article.text_key: text})
    base = "http://feeds.example.org/articles/p"
    return markup.body_html(article, bodies, base), markup.summary(article, bodies, base)


def test_footnotes_render_as_notes_never_raw_brackets(tmp_path: Path) -> None:
    html, _ = _html(tmp_path, "Said so[^1].\n\n[^1]: In the minutes.\n")
    assert "[^1]" not in html and "In the minutes." in html and "<sup" in html


def test_tables_strikethrough_tasks_and_definition_lists(tmp_path: Path) -> None:
    html, _ = _html(
        tmp_path,
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~\n\n"
        "- [x] done\n- [ ] todo\n\nTerm\n: Meaning\n",
    )
    assert "<table>" in html and "<s>old</s>" in html
    assert "\u2611 done" in html and "\u2610 todo" in html and "<input" not in html
    assert "<dt>Term</dt>" in html and "<dd>Meaning</dd>" in html


def test_heading_anchors_for_a_blog_engines_markdown_only(tmp_path: Path) -> None:
    # Engines give headings ids (Hugo's and Jekyll's kramdown auto_ids); ENGINE=none does not
    blog, _ = _html(tmp_path, "## Start here\n\nText.\n", fmt="md-blog")
    own, _ = _html(tmp_path, "## Start here\n\nText.\n")
    assert '<h2 id="start-here">' in blog and "<h2>Start here</h2>" in own


def test_more_separator_ends_the_summary_and_is_never_a_heading(tmp_path: Path) -> None:
    # Jekyll "Posts" (excerpt_separator), Hugo "Content summaries" (<!--more-->)
    html, summary = _html(tmp_path, "First *part*.\n\nSecond part.\n<!--more-->\n\nThe rest.\n")
    assert summary == "First part. Second part."
    assert "<h" not in html and "more" not in html


@pytest.mark.parametrize("fmt", ["md", "md-blog"])
def test_a_more_marker_in_code_is_the_posts_text_not_the_separator(
    tmp_path: Path, fmt: str
) -> None:
    # Hugo "Content summaries": the <!--more--> divider counts outside code only; a post
    # that explains it shows it in a code span, a fenced block or an indented one.
    body = (
        "Write `<!--more-->` where the summary ends.\n\n```html\n<!--more-->\n```\n\n"
        "    <!--more-->\n\nLike this.\n\n<!--more-->\n\nThe rest.\n"
    )
    html, summary = _html(tmp_path, body, fmt=fmt)
    assert (
        summary == "Write <!--more--> where the summary ends. <!--more--> <!--more--> Like this."
    )
    assert html.count("&lt;!--more--&gt;") == 3 and "The rest." in html
    _, none = _html(tmp_path, "Only `<!--more-->` in code.\n\nAnd more text.\n", fmt=fmt)
    assert none == "Only <!--more--> in code."  # no separator: the first paragraph, whole


def test_the_summary_above_more_is_read_as_the_body_is(tmp_path: Path) -> None:
    """A post in HTML (Pelican's .html, reStructuredText) has its summary above <!--more-->
    read as HTML, as its body is: read as Markdown, an indented tag became a code block
    and its markup showed in the plain-text summary (JSON Feed: "plain text")."""
    body = (
        "<p>Intro with a*b*c.</p>\n\n    <p>Indented paragraph.</p>\n<!--more-->\n<p>Rest.</p>\n"
    )
    _, summary = _html(tmp_path, body, fmt="html")
    assert summary == "Intro with a*b*c. Indented paragraph."


def test_check_counts_files_skipped_for_their_extension(tmp_path: Path) -> None:
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "post.md").write_text(
        "---\ntitle: A\ndate: 2024-01-01\nid: tag:x.org,2024:a\n---\nB\n"
    )
    (folder / "notes.rtf").write_text("x")
    (folder / "logo.png").write_bytes(b"\x89PNG")
    (folder / "other.png").write_bytes(b"\x89PNG")
    result = CliRunner().invoke(
        main,
        ["check", "--articles", str(folder)],
        env={"FEEDSVC_STATE": str(tmp_path / "s.db"), "FEEDSVC_ENGINE": "none"},
    )
    lines = result.output.splitlines()
    assert "skipped for their extension: 3 (.png 2, .rtf 1)" in lines
    assert lines[-1].startswith("1 articles read, 1 published")
