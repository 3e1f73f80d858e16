"""JSON Feed 1.1 (https://jsonfeed.org/version/1.1) on the awkward corpus."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import BASE_URL, SCENARIOS, app_config
from feed_checks import check_html, rfc3339

from feedsvc import create_app

ITEM_KEYS = {
    "id",
    "url",
    "title",
    "summary",
    "content_html",
    "date_published",
    "date_modified",
    "authors",
    "tags",
    "language",
    "attachments",
}
TOP_KEYS = {
    "version",
    "title",
    "home_page_url",
    "feed_url",
    "description",
    "authors",
    "language",
    "icon",
    "favicon",
    "next_url",
    "items",
}


@pytest.fixture
def client(tmp_path: Path):
    articles = tmp_path / "articles"
    shutil.copytree(SCENARIOS / "awkward", articles)
    return create_app(app_config(articles)).test_client()


@pytest.mark.parametrize(
    ("path", "home"),
    [
        ("feed.json", ""),
        ("tags/security/feed.json", "tags/security/"),
        ("archive/2026-01.json", ""),
    ],
)
def test_json_feed_follows_version_1_1(client, path: str, home: str) -> None:
    response = client.get(f"/{path}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/feed+json; charset=utf-8"
    document = json.loads(response.data.decode("utf-8"))
    assert set(document) <= TOP_KEYS
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert document["feed_url"] == BASE_URL + path, "feed_url is the URL it is served at"
    assert document["home_page_url"] == BASE_URL + home
    assert document["title"] and document["authors"][0]["name"] and document["language"]
    assert document["items"]
    for item in document["items"]:
        assert set(item) <= ITEM_KEYS
        assert isinstance(item["id"], str) and item["id"]
        assert item["url"].startswith(BASE_URL + "articles/")
        assert item["title"] and item["content_html"]
        check_html(item["content_html"])
        assert rfc3339(item["date_modified"]) >= rfc3339(item["date_published"])
        assert item["authors"] and all(set(a) == {"name"} for a in item["authors"])
        assert item.get("summary", "x") and item.get("tags", ["x"]), "no empty fields"


def test_next_url_walks_to_older_archives_only(client) -> None:
    document = json.loads(client.get("/feed.json").data)
    assert document["next_url"] == f"{BASE_URL}archive/2026-03.json"
    oldest = json.loads(client.get("/archive/2025-11.json").data)
    assert "next_url" not in oldest
    tag = json.loads(client.get("/tags/security/feed.json").data)
    assert "next_url" not in tag


def test_non_ascii_is_written_as_utf_8_not_escapes(client) -> None:
    body = client.get("/feed.json").data
    assert "日本語のタイトル".encode() in body
    assert b"\\u" not in body
