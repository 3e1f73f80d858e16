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
