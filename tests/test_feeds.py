"""Atom, RSS and JSON Feed as readers see them: a real server, feedparser and lxml.

One server per corpus (the bundled samples and tests/scenarios/awkward) serves
every subscription, tag and archive feed once; the tests then look at those
responses. Rendering rules that need another configuration use the app client.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path
from urllib.parse import urljoin

import feedparser
import pytest
from conftest import SAMPLES, SCENARIOS, Server, app_config, start_server, stop_server
from feed_checks import NS, check_atom, check_html, check_rss, rfc822, rfc3339, xml
from lxml import etree

from feedsvc import create_app
from feedsvc.reading.text import tag_slug

AWKWARD = SCENARIOS / "awkward"
CORPORA = {"samples": SAMPLES, "awkward": AWKWARD}
TYPES = {
    "atom": "application/atom+xml",
    "rss": "application/rss+xml",
    "json": "application/feed+json",
}


@dataclass
class Served:
    server_url: str
    responses: dict[str, tuple[int, Message, bytes]]

    def body(self, path: str) -> bytes:
        status, _, body = self.responses[path]
        assert status == 200, path
        return body

    def feeds(self, kind: str) -> list[str]:
        return [p for p in self.responses if p.endswith(f".{kind}")]


def _crawl(server: Server) -> Served:
    """Fetch the subscription feeds, every tag feed and every archive, each once."""
    responses = {}

    def fetch(path: str) -> bytes:
        status, headers, body = server.get(path)
        responses[path] = (status, headers, body)  # names in any case: granian sends lower
        return body

    items = json.loads(fetch("feed.json"))["items"]
    fetch("feed.atom")
    fetch("feed.rss")
    for slug in sorted({tag_slug(tag) for item in items for tag in item.get("tags", [])}):
        for kind in TYPES:
            fetch(f"tags/{slug}/feed.{kind}")
    older = xml(responses["feed.atom"][2]).find("a:link[@rel='prev-archive']", NS)
    for _ in range(1000):  # walk the whole history, bounded
        if older is None:
            break
        path = older.get("href").removeprefix(server.url)
        for kind in TYPES:
            fetch(path.rsplit(".", 1)[0] + f".{kind}")
        older = xml(responses[path][2]).find("a:link[@rel='prev-archive']", NS)
    fetch("static/feed.css")
    fetch("static/style.css")
    return Served(server.url, responses)


@pytest.fixture(scope="module")
def crawls(tmp_path_factory) -> Iterator[Callable[[str], Served]]:
    """Serve and crawl each corpus at most once per module."""
    done: dict[str, Served] = {}

    def crawl(name: str) -> Served:
        if name not in done:
            articles = tmp_path_factory.mktemp(name) / "articles"
            shutil.copytree(CORPORA[name], articles)
            server = start_server(articles, workers=1)
            try:
                done[name] = _crawl(server)
            finally:
                stop_server(server)
        return done[name]

    yield crawl


@pytest.fixture(params=sorted(CORPORA))
def served(request, crawls) -> Served:
    return crawls(request.param)


@pytest.fixture
def awkward(crawls) -> Served:
    return crawls("awkward")


def _home(served: Served, path: str) -> str:
    if path.startswith("tags/"):
        return served.server_url + path.rsplit("/", 1)[0] + "/"
    return served.server_url


def test_every_feed_is_served_with_its_media_type(served: Served) -> None:
    paths = [p for p in served.responses if p.rsplit(".", 1)[-1] in TYPES]
    assert len(paths) >= 6
    for path in paths:
        status, headers, _ = served.responses[path]
        assert status == 200, path
        assert headers["Content-Type"] == f"{TYPES[path.rsplit('.', 1)[1]]}; charset=utf-8"


@pytest.mark.parametrize("kind", ["atom", "rss"])
def test_feedparser_reads_every_feed_without_error(served: Served, kind: str) -> None:
    for path in served.feeds(kind):
        parsed = feedparser.parse(served.body(path))
        assert parsed.bozo == 0, (path, parsed.get("bozo_exception"))
        assert parsed.version == ("atom10" if kind == "atom" else "rss20")
        assert parsed.entries, path


def test_atom_documents_follow_the_rules(served: Served) -> None:
    for path in served.feeds("atom"):
        check_atom(xml(served.body(path)), served.server_url + path, _home(served, path))


def test_rss_documents_follow_the_rules(served: Served) -> None:
    for path in served.feeds("rss"):
        check_rss(xml(served.body(path)), served.server_url + path, _home(served, path))


def _entries(served: Served, stem: str) -> dict[str, list[tuple]]:
    """Return (id, title, published, updated-or-None) per entry, per format, in order."""
    atom = feedparser.parse(served.body(f"{stem}.atom"))
    rss = feedparser.parse(served.body(f"{stem}.rss"))
    document = json.loads(served.body(f"{stem}.json"))

    def moment(parsed) -> datetime:
        return datetime(*parsed[:6], tzinfo=UTC)

    def second(text: str) -> datetime:
        return rfc3339(text).astimezone(UTC).replace(microsecond=0)

    return {
        "atom": [(e.id, e.title, moment(e.published_parsed)) for e in atom.entries],
        "rss": [(e.id, e.title, moment(e.published_parsed)) for e in rss.entries],
        "json": [(i["id"], i["title"], second(i["date_published"])) for i in document["items"]],
        "atom_updated": [moment(e.updated_parsed) for e in atom.entries],
        "json_updated": [second(i["date_modified"]) for i in document["items"]],
    }


def test_formats_carry_the_same_entries_in_the_same_order(served: Served) -> None:
    stems = [p.removesuffix(".json") for p in served.feeds("json")]
    for stem in stems:
        entries = _entries(served, stem)
        assert entries["atom"], stem
        assert entries["atom"] == entries["rss"] == entries["json"], stem
        assert entries["atom_updated"] == entries["json_updated"], stem
        published = [e[2] for e in entries["atom"]]
        if not stem.startswith("archive/"):
            assert published == sorted(published, reverse=True), "newest first"


def test_feed_dates_are_the_newest_entry_update_in_every_format(served: Served) -> None:
    for stem in (p.removesuffix(".atom") for p in served.feeds("atom")):
        atom = xml(served.body(f"{stem}.atom"))
        updated = rfc3339(atom.findtext("a:updated", namespaces=NS))
        newest = max(rfc3339(u.text) for u in atom.iterfind("a:entry/a:updated", NS))
        assert updated == newest
        built = rfc822(xml(served.body(f"{stem}.rss")).findtext("channel/lastBuildDate"))
        assert built == updated.replace(microsecond=0)


def test_no_document_uses_cdata(served: Served) -> None:
    for path in served.feeds("atom") + served.feeds("rss"):
        assert b"<![CDATA[" not in served.body(path), path


def test_json_feed_content_is_safe_and_absolute(served: Served) -> None:
    for path in served.feeds("json"):
        for item in json.loads(served.body(path))["items"]:
            check_html(item["content_html"])


def test_feeds_point_browsers_at_our_css_on_their_own_origin_never_xslt(served: Served) -> None:
    """The browser view is CSS on the feed's XML (test_feed_browser.py renders it in Chromium)."""
    status, headers, css = served.responses["static/feed.css"]
    assert status == 200 and headers["Content-Type"] == "text/css; charset=utf-8"
    assert b"This is a web feed" in css and b"attr(href)" in css
    tag_feeds = [p for p in served.feeds("atom") + served.feeds("rss") if p.startswith("tags/")]
    for path in ["feed.atom", "feed.rss", *tag_feeds[:2]]:
        feed_url = served.server_url + path
        document = etree.ElementTree(xml(served.body(path)))
        instructions = [
            node
            for node in document.getroot().itersiblings(preceding=True)
            if isinstance(node, etree._ProcessingInstruction)
        ]
        kinds = [(i.target, i.get("type")) for i in instructions]
        assert kinds == [("xml-stylesheet", "text/css")]
        stylesheet = urljoin(feed_url, instructions[0].get("href"))
        assert stylesheet == served.server_url + "static/feed.css", "same origin, our CSS"
        assert b"text/xsl" not in served.body(path)


# The awkward corpus: what each scenario file is there to prove.


def _atom_entry(served: Served, slug: str) -> etree._Element:
    root = xml(served.body("feed.atom"))
    for entry in root.iterfind("a:entry", NS):
        if entry.find("a:link[@rel='alternate']", NS).get("href").endswith(f"/{slug}"):
            return entry
    raise AssertionError(f"no entry {slug}")


def _rss_item(served: Served, slug: str) -> etree._Element:
    for item in xml(served.body("feed.rss")).iterfind("channel/item"):
        if item.findtext("link").endswith(f"/{slug}"):
            return item
    raise AssertionError(f"no item {slug}")


def _json_item(served: Served, slug: str) -> dict:
    for item in json.loads(served.body("feed.json"))["items"]:
        if item["url"].endswith(f"/{slug}"):
            return item
    raise AssertionError(f"no item {slug}")


def test_hostile_html_never_reaches_a_reader(awkward: Served) -> None:
    atom = _atom_entry(awkward, "hostile-html").findtext("a:content", namespaces=NS)
    rss = _rss_item(awkward, "hostile-html").findtext("content:encoded", namespaces=NS)
    for fragment in (atom, rss, _json_item(awkward, "hostile-html")["content_html"]):
        check_html(fragment)
        tree = etree.HTML(fragment)
        text = " ".join(tree.itertext())
        assert "alert(" not in text and "display: none" not in text
        hrefs = tree.xpath("//@href | //@src")
        assert not [h for h in hrefs if "script" in h.lower() or h.startswith("data:text")]
        assert "Handlers and styles" in text


def test_summary_with_markup_characters_is_text_in_every_format(awkward: Served) -> None:
    expected = "Why <script> tags & onerror= attributes never reach a reader."
    atom = _atom_entry(awkward, "hostile-html")
    assert atom.findtext("a:summary", namespaces=NS) == expected
    description = _rss_item(awkward, "hostile-html").findtext("description")
    assert html.unescape(description) == expected, "RSS description is HTML: escaped text"
    check_html(description)
    assert _json_item(awkward, "hostile-html")["summary"] == expected


def test_relative_urls_become_absolute_against_the_permalink(awkward: Served) -> None:
    content = _atom_entry(awkward, "raw-html-in-markdown").findtext("a:content", namespaces=NS)
    tree = etree.HTML(content)
    base = awkward.server_url
    assert tree.xpath("//a/@href")[0] == base + "articles/notes/1"
    assert tree.xpath("//img/@srcset")[0].split(", ") == [
        f"{base}articles/figures/chart.png 1x",
        f"{base}articles/figures/chart@2x.png 2x",
        f"{base}static/chart-wide.png 1200w",
    ]
    assert tree.xpath("//source/@srcset") == [f"{base}articles/images/photo.avif"]
    assert tree.xpath("//video/@poster") == [f"{base}articles/media/poster.jpg"]
    assert tree.xpath("//blockquote/@cite") == [f"{base}sources/quote.html"]
    links = etree.HTML(_json_item(awkward, "relative-links-and-images")["content_html"])
    assert f"{base}articles/files/annual%20report.pdf" in links.xpath("//a/@href")
    assert f"{base}articles/relative-links-and-images#section-two" in links.xpath("//a/@href")


def test_every_author_is_listed(awkward: Served) -> None:
    names = ["Ana Souza", "Bo Lindqvist", "Chidi Okeke", "李小龍"]
    atom = _atom_entry(awkward, "several-authors")
    assert [a.findtext("a:name", namespaces=NS) for a in atom.iterfind("a:author", NS)] == names
    assert [e.text for e in atom.iterfind("a:author/a:email", NS)] == [
        "ana@example.org",
        "chidi@example.org",
    ]
    rss = _rss_item(awkward, "several-authors")
    assert [c.text for c in rss.iterfind("dc:creator", NS)] == names
    assert [a["name"] for a in _json_item(awkward, "several-authors")["authors"]] == names
    single = _rss_item(awkward, "enclosure-podcast")
    assert [a.text for a in single.iterfind("author")] == ["pod@example.org (Pod Caster)"]


def test_every_tag_is_a_category(awkward: Served) -> None:
    atom = _atom_entry(awkward, "many-tags")
    terms = [c.get("term") for c in atom.iterfind("a:category", NS)]
    # C++ and C# have slugs of their own (c-plus-plus, c-sharp): thirty categories
    assert len(terms) == 30 and {"C++", "<angle>", "R&D", "Ünïcode"} <= set(terms)
    assert [c.text for c in _rss_item(awkward, "many-tags").iterfind("category")] == terms
    assert _json_item(awkward, "many-tags")["tags"] == terms


def test_enclosure_is_a_link_not_a_second_alternate(awkward: Served) -> None:
    url = awkward.server_url + "articles/media/episode-1.mp3"
    entry = _atom_entry(awkward, "enclosure-podcast")
    assert len(entry.findall("a:link[@rel='alternate']", NS)) == 1
    (enclosure,) = entry.findall("a:link[@rel='enclosure']", NS)
    assert (enclosure.get("href"), enclosure.get("type"), enclosure.get("length")) == (
        url,
        "audio/mpeg",
        "12345678",
    )
    (item,) = _rss_item(awkward, "enclosure-podcast").findall("enclosure")
    assert (item.get("url"), item.get("type"), item.get("length")) == (
        url,
        "audio/mpeg",
        "12345678",
    )
    assert _json_item(awkward, "enclosure-podcast")["attachments"] == [
        {"url": url, "mime_type": "audio/mpeg", "size_in_bytes": 12345678}
    ]


def test_unicode_and_language_survive_every_format(awkward: Served) -> None:
    title = "Ünïcödé überall — 日本語のタイトル ✓ 𝄞 🎉"
    entry = _atom_entry(awkward, "unicode-everywhere")
    assert entry.findtext("a:title", namespaces=NS) == title
    assert entry.get("{http://www.w3.org/XML/1998/namespace}lang") == "de"
    assert _rss_item(awkward, "unicode-everywhere").findtext("title") == title
    item = _json_item(awkward, "unicode-everywhere")
    assert (item["title"], item["language"]) == (title, "de")


def test_control_characters_and_cdata_ends_are_harmless(awkward: Served) -> None:
    entry = _atom_entry(awkward, "control-character")
    assert entry.findtext("a:title", namespaces=NS) == "Control characters and ]]> in a title"
    content = entry.findtext("a:content", namespaces=NS)
    assert "]]&gt;" in content and "\x0b" not in content and "\x1b" not in content


# Configuration: FEED_CONTENT, ICON, LOGO, ttl, empty feeds (the app, no server).


def _get(client, path: str) -> bytes:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.data


def test_summary_mode_carries_no_full_content(articles: Path) -> None:
    client = create_app(app_config(articles, FEED_CONTENT="summary")).test_client()
    atom = xml(_get(client, "/feed.atom"))
    assert atom.findall("a:entry", NS) and not atom.findall("a:entry/a:content", NS)
    assert all(e.findtext("a:summary", namespaces=NS) for e in atom.iterfind("a:entry", NS))
    rss = xml(_get(client, "/feed.rss"))
    assert not rss.findall("channel/item/content:encoded", NS)
    for item in json.loads(_get(client, "/feed.json"))["items"]:
        assert item["content_html"] == f"<p>{html.escape(item['summary'])}</p>"


def test_icon_and_logo_are_absolute_in_every_format(articles: Path) -> None:
    logo = "https://cdn.example.org/logo.png"
    config = app_config(articles, ICON="static/icon.png", LOGO=logo)
    client = create_app(config).test_client()
    icon = "http://feeds.example.org/static/icon.png"
    atom = xml(_get(client, "/feed.atom"))
    assert (atom.findtext("a:icon", namespaces=NS), atom.findtext("a:logo", namespaces=NS)) == (
        icon,
        logo,
    )
    channel = xml(_get(client, "/feed.rss")).find("channel")
    image = channel.find("image")
    assert image.findtext("url") == logo
    assert image.findtext("title") == channel.findtext("title")
    assert image.findtext("link") == channel.findtext("link")
    document = json.loads(_get(client, "/feed.json"))
    assert (document["icon"], document["favicon"]) == (logo, icon)


@pytest.mark.parametrize(("max_age", "ttl"), [(1800, "30"), (3600, "60"), (59, "1"), (0, "1")])
def test_rss_ttl_follows_the_cache_lifetime(articles: Path, max_age: int, ttl: str) -> None:
    client = create_app(app_config(articles, CACHE_MAX_AGE=max_age)).test_client()
    assert xml(_get(client, "/feed.rss")).findtext("channel/ttl") == ttl


def test_an_empty_feed_is_dated_by_no_clock(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    bodies = []
    for run in range(2):
        config = app_config(
            empty, STATE=str(tmp_path / f"state{run}.sqlite3"), ID_AUTHORITY="example.org"
        )
        client = create_app(config).test_client()
        bodies.append({kind: _get(client, f"/feed.{kind}") for kind in TYPES})
    atom = xml(bodies[0]["atom"])
    assert rfc3339(atom.findtext("a:updated", namespaces=NS)) == datetime(1970, 1, 1, tzinfo=UTC)
    assert not atom.findall("a:entry", NS)
    assert feedparser.parse(bodies[0]["rss"]).bozo == 0
    assert json.loads(bodies[0]["json"])["items"] == []
    assert bodies[0]["rss"] == bodies[1]["rss"] and bodies[0]["json"] == bodies[1]["json"]


# Deterministic bytes across processes.


def _build(articles: Path, state: Path, out: Path, seed: str) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FEEDSVC_")}
    environment.update(
        FEEDSVC_STATE=str(state),
        FEEDSVC_BASE_URL="http://feeds.example.org/",
        PYTHONHASHSEED=seed,
        TZ="Pacific/Chatham" if seed == "1" else "UTC",
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "feedsvc",
            "build",
            str(out),
            "--articles",
            str(articles),
            "--quiet",
        ],
        check=True,
        env=environment,
        timeout=60,
        cwd=articles.parent,
        capture_output=True,
    )


def test_two_processes_render_identical_bytes(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    shutil.copytree(AWKWARD, articles)
    for name in os.listdir(SAMPLES):
        shutil.copy2(SAMPLES / name, articles / name)  # old mtimes: nothing still being written
    state = tmp_path / "state.sqlite3"
    _build(articles, state, tmp_path / "one", "1")
    _build(articles, state, tmp_path / "two", "2")
    feeds = sorted(
        p.relative_to(tmp_path / "one")
        for p in (tmp_path / "one").rglob("*")
        if p.suffix in {".atom", ".rss", ".json"}
    )
    assert len(feeds) > 20
    for path in feeds:
        assert (tmp_path / "one" / path).read_bytes() == (tmp_path / "two" / path).read_bytes()


@pytest.mark.parametrize(
    ("pinned", "permalink"),
    [
        ("http://feeds.example.org/articles/day-one", True),
        ("tag:example.org,2026:day-one", False),
    ],
)
def test_guid_is_a_permalink_only_when_the_id_is_the_permalink(
    tmp_path: Path, pinned: str, permalink: bool
) -> None:
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "day-one.md").write_text(
        f"---\ntitle: Day one\nid: {pinned}\ndate: 2026-05-01T08:00:00Z\n---\n\nText.\n"
    )
    client = create_app(app_config(articles)).test_client()
    rss = xml(_get(client, "/feed.rss"))
    check_rss(rss, "http://feeds.example.org/feed.rss", "http://feeds.example.org/")
    (guid,) = rss.findall("channel/item/guid")
    assert guid.text == pinned
    assert guid.get("isPermaLink", "true") == ("true" if permalink else "false")
    atom = xml(_get(client, "/feed.atom"))
    assert atom.findtext("a:entry/a:id", namespaces=NS) == pinned


def test_a_character_reference_xml_forbids_costs_no_feed(tmp_path: Path) -> None:
    """Characters XML 1.0 forbids never reach a document (docs/feeds.md), even made by a
    character reference in Markdown or HTML (&#12;, &#1;, &#xFFFE;): lxml refused the
    form feed in every Atom and RSS feed that held the article, which answered 500."""
    articles = tmp_path / "articles"
    articles.mkdir()
    body = "Page one &#12; page two &#1; and <b>three &#xFFFE;</b> end."
    (articles / "refs.md").write_text(f"---\ntitle: Refs\ndate: 2024-01-02\n---\n\n{body}\n")
    (articles / "fine.md").write_text("---\ntitle: Fine\ndate: 2024-01-01\n---\n\nFine.\n")
    client = create_app(app_config(articles)).test_client()
    for path in ("/feed.atom", "/feed.rss", "/feed.json", "/archive/2024-01.atom", "/"):
        reply = client.get(path)
        assert reply.status_code == 200, path
        assert not any(c in reply.get_data(as_text=True) for c in "\x0c\x01\ufffe"), path
    parsed = feedparser.parse(client.get("/feed.atom").data)
    assert parsed.bozo == 0 and len(parsed.entries) == 2
    assert "page two" in parsed.entries[0].content[0].value
