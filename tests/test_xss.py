"""Hostile HTML never reaches a feed reader or a browser.

Every vector is written into a Markdown and a plain-text article (body,
title, summary, author, bio and tags). The feeds are read raw with lxml,
not through feedparser, whose own sanitiser would hide a leak; every field a
reader renders as HTML (Atom html content and summary, RSS description and
content:encoded, JSON Feed content_html) and every page is then parsed the way
a browser parses it (html5lib) and searched for anything that runs script,
loads a frame, submits a form, rebases links or restyles the page.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import html5lib
import pytest
from conftest import app_config
from lxml import etree

from feedsvc import create_app

VECTORS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=http://evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<body onload=alert(1)>",
    '<div onmouseover="alert(1)">hover</div>',
    "<details open ontoggle=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="&#x6A;avascript&#x3A;alert(1)">x</a>',
    '<a href=" &#14; javascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](<javascript:alert(1)>)",
    "![x](javascript:alert(1))",
    "[ref]\n\n[ref]: javascript:alert(1)",
    '<iframe src="https://evil.example/"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<form action="https://evil.example/"><input name="password">'
    '<button formaction="javascript:alert(1)">go</button></form>',
    '<base href="https://evil.example/">',
    "<svg><script>alert(1)</script></svg>",
    "<svg onload=alert(1)>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<style>body{background:url("javascript:alert(1)")}</style>',
    '<p style="background-image:url(javascript:alert(1))">x</p>',
    '<div style="position:fixed;top:0;left:0;width:100%;height:100%">overlay</div>',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<object data="javascript:alert(1)"></object><embed src="javascript:alert(1)">',
    '<img src="x" onerror="alert(1)"',
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>script>alert(1)<</script>/script>",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    "[x](data:text/html,<script>alert(1)</script>)",
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<video poster=javascript:alert(1)></video><audio src=x onerror=alert(1)>",
    "<template><script>alert(1)</script></template>",
    '<img srcset="javascript:alert(1) 1x, x 2x">',
    '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
    "<textarea><script>alert(1)</script></textarea>",
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    "<a href='javascript&colon;alert(1)'>x</a>",
    "<div>unclosed <b>tags <i>everywhere",
]

FORBIDDEN_TAGS = {
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "form", "input",
    "button", "textarea", "select", "base", "style", "svg", "math", "template", "noscript",
    "meta", "link",
}  # fmt: skip
PAGE_HEAD_TAGS = {"meta", "link"}  # our own, checked by their attributes instead
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "poster",
    "data",
    "background",
    "cite",
    "lowsrc",
    "dynsrc",
    "xlink:href",
    "srcdoc",
}
SAFE_SCHEMES = {"http", "https", "mailto"}


def scheme(url: str) -> str:
    """Return URL's scheme as a browser reads it: controls and blanks dropped, lowercased."""
    cleaned = "".join(c for c in url if c > " " and c != "\x7f")
    return cleaned.split(":", 1)[0].lower() if ":" in cleaned.split("/", 1)[0] else ""


def dangers(root, allowed_tags: frozenset[str] = frozenset()) -> list[str]:
    """Return what in the html5lib tree ROOT could run script or take over the page."""
    found = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        tag = element.tag.rsplit("}", 1)[-1].lower()
        if tag in FORBIDDEN_TAGS and tag not in allowed_tags:
            found.append(f"<{tag}>")
        if tag == "meta" and element.get("http-equiv"):
            found.append("<meta http-equiv>")
        for name, value in element.attrib.items():
            name = name.rsplit("}", 1)[-1].lower() if name.startswith("{") else name.lower()
            if name.startswith("on"):
                found.append(f"<{tag} {name}>")
            elif name == "style":
                found.append(f"<{tag} style>")
            elif name in URL_ATTRIBUTES or name == "srcset":
                urls = (
                    [c.split()[0] for c in value.split(",") if c.split()]
                    if name == "srcset"
                    else [value]
                )
                for url in urls:
                    kind = scheme(url)
                    raster = url.lower().startswith(
                        ("data:image/png", "data:image/gif", "data:image/jpeg", "data:image/webp")
                    )
                    if kind == "data" and tag == "img" and name == "src" and raster:
                        continue
                    if kind and kind not in SAFE_SCHEMES:
                        found.append(f"<{tag} {name}={url[:40]!r}>")
    return found


def fragment_dangers(html: str) -> list[str]:
    tree = html5lib.parseFragment(html, treebuilder="etree", namespaceHTMLElements=False)
    return dangers(tree)


def page_dangers(html: bytes) -> list[str]:
    tree = html5lib.parse(html, treebuilder="etree", namespaceHTMLElements=False)
    head = tree.find("head")
    found = dangers(tree.find("body"))
    found += dangers(head, allowed_tags=frozenset(PAGE_HEAD_TAGS))
    for link in head.iter("link"):
        if link.get("rel") not in {"canonical", "alternate", "stylesheet", "icon"}:
            found.append(f"<link rel={link.get('rel')}>")
        elif link.get("rel") == "icon" and "/static/" not in link.get("href", ""):
            found.append(f"<link rel=icon href={link.get('href')}>")
    return found


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("javascript:alert(1)", "javascript"),
        (" JaVa\tScRiPt:x", "javascript"),
        ("\x0ejavascript:x", "javascript"),
        ("https://a/b:c", "https"),
        ("/path:x", ""),
    ],
)
def test_scheme_reads_urls_as_a_browser_does(url: str, expected: str) -> None:
    assert scheme(url) == expected


@pytest.mark.parametrize(
    "html",
    [
        "<script>x</script>",
        "<a href=' jAvAscript:x'>",
        "<img src=x onerror=y>",
        "<p style='x'>",
        "<base href=x>",
        "<svg></svg>",
        "<img srcset='javascript:x 1x'>",
    ],
)
def test_the_checker_catches_a_leak(html: str) -> None:
    assert fragment_dangers(html)


def write_articles(folder: Path) -> dict[str, str]:
    """Write one .md and one .txt article per vector; return slug -> title."""
    titles = {}
    for index, vector in enumerate(VECTORS):
        one_line = " ".join(vector.split())
        md_title = f"Markdown vector {index}"
        (folder / f"xss-md-{index}.md").write_text(
            f"---\ntitle: {json.dumps(md_title + ' ' + one_line)}\n"
            f"summary: {json.dumps(one_line)}\nauthors: {json.dumps(one_line)}\n"
            f"tags: [{json.dumps(one_line)}, xss]\nbio: {json.dumps(vector)}\n"
            f"date: 2026-01-01 00:{index:02d}:00 UTC\n---\n\n"
            f"First paragraph {vector} end.\n\n{vector}\n\nLast paragraph.\n"
        )
        titles[f"xss-md-{index}"] = md_title
        txt_title = f"Text vector {index}"
        (folder / f"xss-txt-{index}.txt").write_text(
            f"Date: 2026-01-02 00:{index:02d}:00 UTC\nTags: xss\n\n"
            f"{txt_title} {one_line}\n\nFirst paragraph {vector} end.\n\n{vector}\n\n"
            f"Author: {one_line}\n\n{vector}\n"
        )
        titles[f"xss-txt-{index}"] = txt_title
    hour_ago = time.time() - 3600
    for path in folder.iterdir():
        os.utime(path, (hour_ago, hour_ago))
    return titles


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("xss") / "articles"
    folder.mkdir()
    titles = write_articles(folder)
    app = create_app(app_config(folder, FEED_SIZE=500, PAGE_SIZE=500))
    return app.test_client(), titles


ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"


def atom_html(body: bytes) -> list[tuple[str, str]]:
    """Return (where, HTML) for every Atom field a reader renders as HTML."""
    out = []
    for entry in etree.fromstring(body).iter(f"{ATOM}entry"):
        entry_id = entry.findtext(f"{ATOM}id")
        for name in ("title", "summary", "content", "subtitle", "rights"):
            for element in entry.iter(f"{ATOM}{name}"):
                kind = element.get("type", "text")
                if kind == "html":
                    out.append((f"{entry_id} {name}", element.text or ""))
                elif kind == "xhtml":
                    out.append((f"{entry_id} {name}", etree.tostring(element).decode()))
                else:
                    assert kind == "text", kind
    return out


def rss_html(body: bytes) -> list[tuple[str, str]]:
    """Return (where, HTML) for every RSS field readers render as HTML."""
    out = []
    for item in etree.fromstring(body).iter("item"):
        guid = item.findtext("guid")
        out.append((f"{guid} description", item.findtext("description") or ""))
        out.append((f"{guid} content:encoded", item.findtext(CONTENT) or ""))
    return out


def json_html(body: bytes) -> list[tuple[str, str]]:
    return [
        (f"{item['id']} content_html", item.get("content_html", ""))
        for item in json.loads(body)["items"]
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/feed.atom",
        "/feed.rss",
        "/feed.json",
        "/tags/xss/feed.atom",
        "/tags/xss/feed.rss",
        "/tags/xss/feed.json",
    ],
)
def test_no_vector_reaches_a_feed(site, path: str) -> None:
    client, titles = site
    response = client.get(path)
    assert response.status_code == 200
    extract = {"atom": atom_html, "rss": rss_html, "json": json_html}[path.rsplit(".", 1)[1]]
    fields = extract(response.data)
    assert len(fields) >= len(titles)
    leaks = {where: found for where, html in fields if (found := fragment_dangers(html))}
    assert not leaks
    for title in titles.values():  # every article is there: none passed by going missing
        assert title.encode() in response.data


def test_every_vector_article_is_published(site) -> None:
    client, titles = site
    for slug in titles:
        assert client.get(f"/articles/{slug}").status_code == 200, slug


@pytest.mark.parametrize("index", range(len(VECTORS)))
def test_no_vector_reaches_a_page(site, index: int) -> None:
    client, _ = site
    for slug in (f"xss-md-{index}", f"xss-txt-{index}"):
        response = client.get(f"/articles/{slug}")
        assert response.status_code == 200
        assert not page_dangers(response.data), slug
        assert "script-src" not in response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/", "/tags/xss/"])
def test_no_vector_reaches_a_listing_page(site, path: str) -> None:
    client, _ = site
    response = client.get(path)
    assert response.status_code == 200
    assert not page_dangers(response.data)


def test_plain_text_stays_text_in_every_format(site) -> None:
    """A .txt article's markup is shown as the characters the author typed."""
    client, _ = site
    page = client.get("/articles/xss-txt-0").data
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in page
    for element in etree.fromstring(client.get("/feed.rss").data).iter("item"):
        if element.findtext("guid").endswith(":xss-txt-0"):
            description = element.findtext("description")
            assert "&lt;script&gt;" in description  # HTML that shows the text, not runs it
