"""What every feed entry of today's corpora is made of, as digests (ENGINE=none).

Run `PYTHONPATH=tests python tests/engine_golden.py` to rewrite
``engine_golden_none.json``; do so only when a change to reading or rendering
is meant to change these entries.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

from scenario import MAX_BYTES, SCENARIOS, defaults

from feedsvc.errors import ArticleError
from feedsvc.model import Article, HeldBodies, Text
from feedsvc.reading import files
from feedsvc.render import markup

ROOT = Path(__file__).resolve().parent.parent
CORPORA = {"scenarios": SCENARIOS, "samples": ROOT / "articles"}
GOLDEN = Path(__file__).with_name("engine_golden_none.json")
# The fields an Article had before blog engines; fields added since default to empty.
FIELDS = (
    "path", "format", "slug", "title", "subtitle", "text_key", "summary", "authors", "tags",
    "lang", "draft", "aliases", "enclosure", "content_hash", "id", "published", "updated",
    "id_pinned", "date_pinned",
)  # fmt: skip
Reader = Callable[[files.Found], tuple[Article, Text, list[object]]]


def _shown(value: object) -> object:
    """The content hash as text, as articles held it when the golden digests were made."""
    return value.hex() if isinstance(value, bytes) and len(value) == 32 else value


def entry(article: Article, text: Text) -> str:
    """Return the digest of what a feed entry shows of ARTICLE."""
    bodies = HeldBodies({article.text_key: text})
    base = "http://feeds.example.org/articles/" + article.slug
    shown = (
        repr([_shown(getattr(article, name)) for name in FIELDS]),
        markup.body_html(article, bodies, base),
        markup.bio_html(article, bodies, base),
        markup.summary(article, bodies, base),
    )
    return hashlib.sha256(json.dumps(shown).encode()).hexdigest()


def digests(read: Reader) -> dict[str, str]:
    """Return the digest of every file of every corpus, or its error."""
    result: dict[str, str] = {}
    for name, root in CORPORA.items():
        found, _ = files.discover(root)
        for item in found:
            key = f"{name}/{item.path}"
            try:
                article, text, _ = read(item)
            except ArticleError as e:
                result[key] = "error: " + e.problem.message
                continue
            result[key] = entry(article, text)
    return result


def read_none(item: files.Found) -> tuple[Article, Text, list[object]]:
    from feedsvc.reading.article import read_article

    article, text, problems = read_article(item, defaults(), MAX_BYTES)
    return article, text, list(problems)


if __name__ == "__main__":
    os.environ.pop("FEEDSVC_ENGINE", None)
    GOLDEN.write_text(json.dumps(digests(read_none), indent=1, sort_keys=True) + "\n")
