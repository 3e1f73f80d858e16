"""Reading files: discovery, decoding, the txt layout and header block, front matter safety."""

from __future__ import annotations

import time
from datetime import UTC
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from scenario import MAX_BYTES, SCENARIOS, defaults, found, problems, raw

from feedsvc.errors import ArticleError
from feedsvc.reading import files
from feedsvc.reading.dates import parse_date
from feedsvc.reading.formats import read_markdown, read_txt
from feedsvc.reading.matter import FRONT_MATTER_MAX, read_json
from feedsvc.reading.normalise import normalise
from feedsvc.reading.yamlmatter import KNOWN_KEYS, _simple_front_matter


@pytest.mark.parametrize(
    ("name", "ignored"),
    [
        ("article.txt", False),
        ("article.md", False),
        ("article.markdown", False),
        ("ARTICLE.MD", False),
        (".hidden.md", True),
        ("article.md~", True),
        (".#article.md", True),
        ("#article.md#", True),
        ("article.md.swp", True),
        (".article.md.swp", True),
        ("article.rst", True),
        ("image.png", True),
        ("notes", True),
    ],
)
def test_is_ignored_skips_hidden_backup_lock_and_other_files(name: str, ignored: bool) -> None:
    assert files.is_ignored(name) is ignored


def test_discover_reads_subfolders_and_ignores_silently(tmp_path: Path) -> None:
    for name in [
        "a.txt",
        "sub/b.md",
        "sub/deeper/c.markdown",
        ".git/d.md",
        "sub/e.md~",
        ".#f.md",
        "#g.md#",
        "h.md.swp",
        "i.rst",
        ".hidden.txt",
    ]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("Title\n\nBody.\n")
    result, reported = files.discover(tmp_path)
    assert [f.path for f in result] == ["a.txt", "sub/b.md", "sub/deeper/c.markdown"]
    assert reported == []


@pytest.mark.parametrize(
    ("data", "text", "warned"),
    [
        (b"\xef\xbb\xbfTitle\r\n\r\nBody\r\n", "Title\n\nBody\n", False),
        (b"Title\r\rBody\r", "Title\n\nBody\n", False),
        ("Caf\u00e9".encode("cp1252"), "Caf\u00e9", True),
        (b"\x93quoted\x94", "\u201cquoted\u201d", True),
        # a UTF-8 mark before cp1252 text is a mark, not the letters \u00ef\u00bb\u00bf
        (b"\xef\xbb\xbf" + "Caf\u00e9".encode("cp1252"), "Caf\u00e9", True),
        (b"hole \x81 in cp1252", "hole \x81 in cp1252", True),
        ("e\u0301".encode(), "\u00e9", False),
        (b"a\x01b\x0bc\x1fd\tE\n", "abcd\tE\n", False),
        ("x\ufffey\uffffz".encode(), "xyz", False),
    ],
)
def test_decode_utf8_bom_line_ends_cp1252_nfc_and_xml_illegal(
    data: bytes, text: str, warned: bool
) -> None:
    decoded, reported = files.decode(data, "a.txt")
    assert decoded == text
    assert bool(reported) is warned
    if warned:
        assert reported[0].severity == "warning"
        assert "UTF-8" in reported[0].message


def test_cp1252_scenario_reads_with_one_warning() -> None:
    assert raw("txt_cp1252.txt").meta["title"] == "Café Reopens on the “Old” Square"
    [warning] = problems("txt_cp1252.txt")
    assert str(warning).startswith("txt_cp1252.txt: warning: not valid UTF-8")


def test_seed_layout_title_subtitle_paragraphs_author_and_bio() -> None:
    article = raw("txt_seed_layout.txt")
    assert article.meta == {
        "title": "Ferry Timetable Changes From Monday",
        "subtitle": "Two Early Sailings Move by Ten Minutes",
        "author": "Karl Moss",
    }
    assert article.body.split("\n\n") == [
        "The first two ferries of the day will leave ten minutes later from Monday, the "
        "operator said, to match the new tram timetable.",
        "Passengers with season tickets need not do anything.",
    ]
    assert article.bio == "Karl Moss covers transport.\n\nHe has used the ferry for twenty years."
    assert "Karl Moss covers" not in article.body


def test_txt_header_block_keys_and_lines() -> None:
    article = raw("txt_header_block.txt")
    assert article.meta["title"] == "Header Block Title"
    assert article.meta["authors"] == "Ana Lima <ana@example.org>; Bo Chen"
    assert article.meta["id"] == "tag:example.org,2024:header-block"
    assert article.line("date") == 3
    assert article.line("aliases") == 11
    assert article.body.startswith("The first paragraph of the body")


def test_txt_header_block_ends_at_a_title_line_without_blank_line() -> None:
    article = raw("txt_date_line_then_title.txt")
    assert article.meta == {"date": "2024-05-06 07:08", "title": "Title Right Below the Date Line"}


def test_txt_header_keys_are_case_insensitive() -> None:
    assert raw("txt_header_keys_any_case.txt").meta == {
        "title": "Upper Case Keys",
        "tags": "one, two",
        "draft": "no",
    }


def test_txt_unknown_header_key_is_a_warning_with_its_line() -> None:
    [warning] = problems("txt_unknown_header_key.txt")
    assert str(warning) == (
        "txt_unknown_header_key.txt:2: warning: header key 'location' is unknown; line ignored"
    )


@pytest.mark.parametrize(
    "source",
    [
        "{Title: a, title: b}\n",
        "{title: a, title: b}\n",
        "  title: a\n  Title: b\n",
        "  title: a\n  title: b\n",
        "? title\n: a\n? title\n: b\n",
    ],
)
def test_yaml_keys_twice_are_refused_in_flow_indented_and_explicit_mappings(
    source: str,
) -> None:
    with pytest.raises(ArticleError, match="gives `title` twice .*: keep the one you mean"):
        read_markdown("p.md", f"---\n{source}---\n\nBody.\n")


def test_json_front_matter_keys_differing_in_case_in_a_nested_object_are_kept() -> None:
    # Keys are lower-cased at the top only: nested ones are data, as TOML and YAML keep them.
    meta, body = read_json("p.md", '{"title": "x", "params": {"URL": "a", "url": "b"}}\n\nText\n')
    assert meta["params"] == {"URL": "a", "url": "b"} and body == "\nText\n"
    with pytest.raises(ArticleError, match="gives `url` twice"):
        read_json("p.md", '{"title": "x", "params": {"url": "a", "url": "b"}}\n\nText\n')


def test_txt_second_author_line_stays_in_the_bio_with_a_warning() -> None:
    # The seed layout has one Author line, then the bio: a second one is the bio's words,
    # said with its line, so no author is added or dropped without a word.
    text = (
        "Harbour Lights\n\nThe lights came on at dusk.\n\n"
        "Author: Ana Lima\nAna writes about the harbour.\n\nAuthor: Ben Okafor\nBen too.\n"
    )
    read = read_txt("two.txt", text)
    assert read.meta["author"] == "Ana Lima"
    assert read.bio == "Ana writes about the harbour.\n\nAuthor: Ben Okafor Ben too."
    [warning] = read.warnings
    assert str(warning).startswith("two.txt:8: warning: a second Author line is read as part")
    assert "`Authors: Ana Lima, Ben Okafor`" in str(warning)
    assert read_txt("one.txt", text.split("\n\nAuthor: Ben")[0] + "\n").warnings == ()
    both = text.replace("Author: Ana Lima", "Authors: Ana Lima, Ben Okafor")
    assert read_txt("both.txt", both).warnings == ()  # a bio paragraph per named author
    header = "Authors: Ana Lima, Ben Okafor\n\n" + both
    assert read_txt("header.txt", header).warnings == ()


@pytest.mark.parametrize(
    "text",
    [
        "Update: Fire Downtown\n\nBody.\n",  # not a known key: a title
        "Title without colon\n\nBody.\n",
    ],
)
def test_txt_first_line_is_a_title_unless_it_is_a_known_key(text: str) -> None:
    article = read_txt("a.txt", text)
    assert article.meta["title"] == text.split("\n")[0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("\n\n   \n", "no title"),
        ("Only a title\n", "no body"),
        ("Date: 2024-01-01\n\n", "no title"),
    ],
)
def test_txt_without_title_or_body_is_an_article_error(text: str, message: str) -> None:
    with pytest.raises(ArticleError, match=message) as caught:
        read_txt("a.txt", text)
    assert caught.value.path == "a.txt"


def test_markdown_front_matter_and_body() -> None:
    article = raw("md_yaml_front_matter.md")
    assert article.format == "md"
    assert article.meta["authors"] == ["Ana Lima <ana@example.org>", "Bo Chen"]
    assert article.meta["tags"] == ["Harbour", "weather"]
    assert article.meta["draft"] is False
    assert article.line("tags") == 9
    assert article.body.startswith("First paragraph with a [link](/articles/other)")


def test_markdown_header_block_instead_of_yaml() -> None:
    article = raw("md_header_block.md")
    assert article.meta["title"] == "Markdown With a Header Block"
    assert article.body.strip() == "Markdown *body* after a plain header block."


def test_markdown_title_from_first_heading() -> None:
    article = raw("md_title_from_heading.md")
    assert article.meta["title"] == "The Title Is the First Heading"
    assert article.body.strip() == "Body below the heading."


def test_markdown_thematic_break_is_not_front_matter() -> None:
    article = read_markdown("a.md", "# Heading\n\n-----\n\ntext\n")
    assert article.meta == {"title": "Heading"}
    with pytest.raises(ArticleError, match="no title"):
        read_markdown("b.md", "-----\n\n# Heading\n")


@pytest.mark.parametrize(
    ("name", "message", "line"),
    [
        ("md_yaml_alias_bomb.md", "anchors and aliases are not allowed", 3),
        ("md_yaml_python_tag.md", "could not determine a constructor", 2),
        ("md_yaml_not_mapping.md", "must be a mapping", 2),
        ("md_front_matter_unclosed.md", "never closed", 1),
    ],
)
def test_unsafe_or_broken_front_matter_is_an_article_error(
    name: str, message: str, line: int
) -> None:
    with pytest.raises(ArticleError, match=message) as caught:
        raw(name)
    assert (caught.value.path, caught.value.line) == (name, line)


def test_front_matter_size_is_bounded() -> None:
    text = "---\ntitle: big\nx: '" + "a" * FRONT_MATTER_MAX + "'\n---\nbody\n"
    with pytest.raises(ArticleError, match="over"):
        read_markdown("a.md", text)


def test_deeply_nested_front_matter_is_refused_quickly() -> None:
    text = "---\ntitle: deep\nx: " + "[" * 20000 + "]" * 20000 + "\n---\nbody\n"
    start = time.monotonic()
    with pytest.raises(ArticleError):
        read_markdown("a.md", text)
    assert time.monotonic() - start < 5


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"  \n\n", "empty file"),
        (b"Title\x00\n\nbinary", "binary file"),
    ],
)
def test_unusable_bytes_are_article_errors(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(data)
    with pytest.raises(ArticleError, match=message):
        files.read(found(path), MAX_BYTES)


def test_file_over_max_bytes_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"T\n\n" + b"x" * 100)
    with pytest.raises(ArticleError, match="MAX_ARTICLE_BYTES"):
        files.read(found(path), 50)


def test_every_scenario_is_named_after_its_format() -> None:
    for path in SCENARIOS.iterdir():
        if path.is_dir():
            continue  # a corpus of whole sites, such as awkward/ for the feed tests
        assert (
            path.name.split("_")[0] == {".txt": "txt", ".md": "md", ".markdown": "md"}[path.suffix]
        )


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(sorted(KNOWN_KEYS)),
        st.text(
            st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=30
        ),
        min_size=1,
        max_size=6,
    )
)
def test_simple_front_matter_fast_path_agrees_with_yaml(meta: dict[str, str]) -> None:
    source = "".join(f"{key}: {value}\n" for key, value in meta.items())
    fast = _simple_front_matter(source)
    if fast is None:
        return  # YAML reads it
    slow = yaml.safe_load(source)
    assert set(fast) == set(slow)
    for key, value in fast.items():
        if key in ("date", "updated") and not isinstance(slow[key], str):
            assert parse_date(value, UTC) == parse_date(slow[key], UTC)
        else:
            assert value == slow[key]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("title: Fish & Chips\n", {"title": "Fish & Chips"}),
        ("title: C# rocks\n", None),
        ("title: yes\n", None),
        ("title: 12:30\n", None),
        ("title: a: b\n", None),
        ("title: 'quoted'\n", None),
        ("date: 2024-03-01\n", {"date": "2024-03-01"}),
        ("slug: 2024-03-01\n", None),
        ("location: Lisbon\n", None),
        ("title: x\n  continued\n", None),
    ],
)
def test_simple_front_matter_takes_only_plain_strings(
    source: str, expected: dict[str, str] | None
) -> None:
    assert _simple_front_matter(source) == expected


@pytest.mark.parametrize(
    ("line", "key", "written"),
    [
        ("title: 3.10", "title", "3.10"),
        ("title: yes", "title", "yes"),
        ("subtitle: 0123", "subtitle", "0123"),
        ("lang: no", "lang", "no"),
        ("tags: [3.10, on, plain]", "tags", ["3.10", "on", "plain"]),
        ("slug: 2024-01-02", "slug", "2024-01-02"),
    ],
)
def test_words_are_kept_as_written_where_yaml_would_type_them(
    line: str, key: str, written: object
) -> None:
    """Nothing a user wrote is silently changed: YAML types `3.10` as 3.1 and `yes` as
    True; a key whose value is words keeps them. Keys that are typed stay typed."""
    title = "" if key == "title" else "title: T\n"
    raw = read_markdown("a.md", f"---\n{title}{line}\ndraft: no\nx: [1]\n---\n\nBody.\n")
    assert raw.meta[key] == written
    assert raw.meta["draft"] is False


@pytest.mark.parametrize(
    "text",
    [
        '{"title": "T", "x": ' + "[" * 5000 + "]" * 5000 + "}\n\nBody.\n",
        '+++\ntitle = "T"\nx = ' + "[" * 5000 + "]" * 5000 + "\n+++\n\nBody.\n",
    ],
    ids=["json", "toml"],
)
def test_front_matter_nested_too_deep_is_an_error_saying_what_to_do(text: str) -> None:
    """A bad file gets a clear error naming it (and a line) and what to do: JSON and TOML
    nested thousands deep ended in "unexpected error, please report it"."""
    with pytest.raises(ArticleError, match=r"nested too deep to read: flatten them"):
        read_markdown("deep.md", text)


def test_a_value_yaml_cannot_make_is_reported_at_its_key_and_line() -> None:
    """Bad input names the file and line: `date: 2024-02-30` among front matter YAML
    must build as a tree failed as "YAML front matter: ValueError" at line 1; read as
    written, the date's own rule names the key and its line."""
    read = read_markdown("a.md", "---\ntitle: T\ntags: [a]\ndate: 2024-02-30\n---\n\nBody.\n")
    assert read.meta["date"] == "2024-02-30" and read.meta["tags"] == ["a"]
    with pytest.raises(ArticleError, match=r"^a\.md:4: error: date: cannot read date"):
        normalise(read, defaults())
