"""ENGINE=none gives the same feed entries as before blog engines were read (issue 13).

Every file of today's corpora (tests/scenarios, with bad/ and awkward/, and the
bundled articles) is read and rendered as a feed entry shows it; the digests
must equal those recorded by ``engine_golden.py`` before the change.
"""

from __future__ import annotations

import json

from engine_golden import GOLDEN, digests, read_none


def test_engine_none_reads_todays_corpora_exactly_as_before() -> None:
    recorded = json.loads(GOLDEN.read_text())
    assert digests(read_none) == recorded


def test_engine_none_ignores_a_blogs_configuration_file() -> None:
    from engine_sites import SITES

    from feedsvc.reading.engines import detect

    assert detect.resolve("none", SITES / "jekyll") is None
    blog = detect.resolve("auto", SITES / "jekyll")
    assert blog is not None and blog.engine == "jekyll"


def test_papers_and_ignore_patterns_are_not_articles_in_feedsvcs_own_layout(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # issue 13, item 6: README, LICENSE and robots.txt are never articles; IGNORE adds more
    from engine_sites import check_folder

    folder = tmp_path / "articles"
    (folder / "notes").mkdir(parents=True)
    post = "---\ntitle: A\ndate: 2024-01-01\nid: tag:x.org,2024:a\n---\nB\n"
    (folder / "post.md").write_text(post)
    (folder / "notes" / "todo.md").write_text(post.replace(":a", ":b"))
    (folder / "README.md").write_text("# The articles\n\nOf our site.\n")
    (folder / "LICENSE.txt").write_text("All rights reserved.\n")
    (folder / "robots.txt").write_text("User-agent: *\n")
    lines = check_folder(folder, tmp_path, ("FEEDSVC_IGNORE", "notes/"))
    assert "skipped for their role: 4 (pages 3, ignored 1)" in lines
    assert lines[-1].startswith("1 articles read, 1 published")


def test_papers_an_earlier_release_published_stay_published(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A published article never vanishes (BRIEF): a README, LICENSE or robots.txt that a
    release before issue 13 published as an article stays one after the upgrade (no 410,
    no RFC 6721 tombstone); `check` says why; new papers are still not articles."""
    import re

    import feedparser
    from engine_sites import check_folder

    from feedsvc import create_app
    from feedsvc.reading.engines import reader

    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "post.md").write_text("---\ntitle: A post\ndate: 2024-01-01\n---\nBody.\n")
    (folder / "README.md").write_text("---\ntitle: Read me\ndate: 2024-01-02\n---\nHello.\n")
    (folder / "robots.txt").write_text("User-agent: *\n\nDisallow: /private/\n")
    config = {"ARTICLES": str(folder), "STATE": str(tmp_path / "s.sqlite3"), "ENGINE": "none"}
    with monkeypatch.context() as earlier:  # the release before: every file an article
        earlier.setattr(reader, "NOT_ARTICLES", re.compile(r"(?!)"))
        client = create_app(config).test_client()
        assert len(feedparser.parse(client.get("/feed.atom").data).entries) == 3
        assert client.get("/articles/readme").status_code == 200
    (folder / "LICENSE.md").write_text("All rights reserved.\n")  # new: not an article
    client = create_app(config).test_client()
    body = client.get("/feed.atom").data
    assert b"deleted-entry" not in body
    titles = sorted(entry.title for entry in feedparser.parse(body).entries)
    assert titles == ["A post", "Read me", "User-agent: *"]
    assert client.get("/articles/readme").status_code == 200
    assert client.get("/articles/license").status_code == 404
    lines = check_folder(folder, tmp_path, ("FEEDSVC_STATE", config["STATE"]))
    assert any(
        line.startswith("README.md: warning: published before README, LICENSE") for line in lines
    ), lines
    assert "skipped for their role: 1 (pages 1)" in lines  # LICENSE.md
    assert lines[-1].startswith("3 articles read, 3 published")
