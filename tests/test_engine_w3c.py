"""Every fixture site's feeds pass the W3C Feed Validation Service (issue 13).

Each of the five sites in tests/sites is served by `feedsvc serve` on
loopback, and every Atom and RSS feed it serves (subscription, tag and archive
feeds) is validated with the service's own code, as bench/validate_w3c.py
does: 0 errors, and none of the warnings issue 4 forbids. The validator is
found as tests/test_tombstones.py finds it: FEEDSVC_FEEDVALIDATOR names its src
folder, else it is extracted from the local mirror; when neither exists the
test skips, exactly as that test does (its code is never committed).

DuplicateUpdated is accepted only where every entry sharing the value has it
as its author wrote it (Pelican's translation ferry-fr.md is written with its
original's date): a written date is never changed.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest
from engine_sites import SITES
from w3c import bench, feedvalidator

ENGINES = ("jekyll", "hugo", "pelican", "zola", "eleventy")


@pytest.fixture(scope="module")
def validator() -> Iterator[ModuleType]:
    with feedvalidator() as module:
        yield module


@pytest.mark.server
def test_every_fixture_sites_feeds_have_no_w3c_error(validator: ModuleType) -> None:
    report = {}
    with tempfile.TemporaryDirectory() as temporary:
        for engine in ENGINES:
            workdir = Path(temporary) / engine
            workdir.mkdir()
            process, url = validator.serve(SITES / engine, workdir)
            try:
                dates = validator.written_dates(SITES / engine)
                paths = validator.feed_paths(url, False)
                assert "feed.atom" in paths and "feed.rss" in paths
                assert any(p.startswith("archive/") for p in paths), paths
                for path in paths:
                    errors, _, forbidden = validator.validate(url + path, dates)
                    report[f"{engine}/{path}"] = errors + forbidden
            finally:
                process.terminate()
                process.wait(timeout=15)
    print("W3C feedvalidator on", len(report), "feeds of the five fixture sites")
    assert len(report) >= 40, sorted(report)
    assert {k: v for k, v in report.items() if v} == {}


def test_duplicate_updated_is_accepted_only_between_written_dates() -> None:
    module = bench()
    url = "http://127.0.0.1:1/"
    body = (
        b'<feed xmlns="http://www.w3.org/2005/Atom">'
        b'<entry><updated>2024-05-02T07:00:00Z</updated><link href="http://127.0.0.1:1/a/"/>'
        b"</entry>"
        b'<entry><updated>2024-05-02T07:00:00Z</updated><link href="http://127.0.0.1:1/fr/a/"/>'
        b"</entry></feed>"
    )
    same = datetime(2024, 5, 2, 7, tzinfo=UTC)
    assert module.duplicates_written(url, body, {"a/": same, "fr/a/": same})
    # one of them not written by its author (first seen): the duplicate still fails
    assert not module.duplicates_written(url, body, {"a/": same})
    assert not module.duplicates_written(url, body, {"a/": same, "fr/a/": datetime.now(UTC)})


def test_pelican_translation_keeps_its_written_date() -> None:
    # Pelican, Writing content: a translation's Date is its own, as written
    dates = bench().written_dates(SITES / "pelican")
    written = datetime(2024, 5, 2, 7, tzinfo=UTC)  # 08:00 in TIMEZONE Europe/Lisbon (WEST)
    assert dates["posts/2024/05/the-island-ferry/"] == written
    assert dates["fr/posts/2024/the-island-ferry/"] == written
