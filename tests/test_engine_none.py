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
