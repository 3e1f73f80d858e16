"""First come keeps, on a real server: a newcomer claiming an established slug or id
with an earlier date stays out of every feed (Atom and RSS parsed by feedparser,
JSON Feed by json, which feedparser 6 does not read), and `feedsvc check` names both files.

Rule (docs/writing-articles.md, "Duplicates"): an article already published keeps
its slug, id and URL, whatever date a newer file claims.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner
from conftest import start_server, stop_server

from feedsvc.cli import main

pytestmark = pytest.mark.server
FEEDS = ("feed.atom", "feed.rss", "feed.json")


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")


def entries(server, feed: str) -> dict[str, tuple[str, str]]:
    """Return FEED's entries as link -> (id, title), on a new connection."""
    status, _, body = server.get(feed, headers={"Connection": "close"})
    assert status == 200
    if feed.endswith(".json"):  # feedparser 6 does not read JSON Feed
        items = json.loads(body)["items"]
        return {item["url"]: (item["id"], item["title"]) for item in items}
    parsed = feedparser.parse(body)
    assert parsed.bozo == 0, (feed, parsed.get("bozo_exception"))
    return {e.link: (e.id, e.title) for e in parsed.entries}


def wait_for(server, title: str, timeout: float = 20.0) -> None:
    """Wait until 8 requests in a row (over every worker) show an entry titled TITLE."""
    deadline, in_a_row = time.monotonic() + timeout, 0
    while in_a_row < 8:
        assert time.monotonic() < deadline, f"{title!r} never showed on every worker"
        shown = any(t == title for _, t in entries(server, "feed.atom").values())
        in_a_row = in_a_row + 1 if shown else 0
        if not shown:
            time.sleep(0.2)


def test_rule_first_come_keeps_slug_and_id_in_every_feed_on_a_real_server(tmp_path: Path):
    folder = tmp_path / "articles"
    write(folder / "post.md", "---\ntitle: The Established Post\n---\n\nFirst here.\n")
    write(folder / "kept.md", "---\ntitle: Kept Its Id\n---\n\nAlso first here.\n")
    server = start_server(folder, workers=2)
    try:
        before = entries(server, "feed.atom")
        by_title = {title: (link, id_) for link, (id_, title) in before.items()}
        post_link, post_id = by_title["The Established Post"]
        kept_link, kept_id = by_title["Kept Its Id"]
        # Newcomers with earlier written dates: one claims the slug, one the id.
        write(
            folder / "zzz" / "post.md",
            "---\ntitle: Slug Impostor\ndate: 2001-01-01T00:00:00Z\n---\n\nNot mine.\n",
        )
        write(
            folder / "claim.md",
            f"---\ntitle: Id Impostor\ndate: 2001-01-01T00:00:00Z\nid: {kept_id}\n---\n\n"
            "Not mine either.\n",
        )
        write(folder / "sentinel.md", "---\ntitle: Sentinel\n---\n\nSeen last.\n")
        wait_for(server, "Sentinel")
        for feed in FEEDS:
            shown = entries(server, feed)
            titles = {title for _, title in shown.values()}
            assert "Slug Impostor" not in titles and "Id Impostor" not in titles, feed
            assert shown[post_link] == (post_id, "The Established Post"), feed
            assert shown[kept_link] == (kept_id, "Kept Its Id"), feed
        status, _, page = server.get(post_link.split("/", 3)[3])
        assert status == 200 and b"The Established Post" in page
    finally:
        stop_server(server)
    env = {"FEEDSVC_STATE": str(tmp_path / "state.sqlite3")}
    result = CliRunner().invoke(main, ["check", "--articles", str(folder)], env=env)
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if ": error: " in line]
    assert len(errors) == 2, result.output
    assert any(
        e.startswith("zzz/post.md: error: duplicate slug 'post', also in post.md ") for e in errors
    )
    assert any(
        e.startswith(f"claim.md: error: duplicate id '{kept_id}', also in kept.md ")
        for e in errors
    )
