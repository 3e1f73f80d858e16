"""Blog engines: read a Jekyll, Hugo, Pelican, Zola or Eleventy site as its engine does.

A ``Blog`` is what was learnt of the site: which engine, from which
configuration file, and that file's settings, read as data and never executed.
Each engine module gives the ``role`` of a path (a post, a draft, a page, or
ignored) and ``adapt``s a raw article: it maps the engine's front matter keys to
feedsvc's, and works out the post's path on the blog (its ``link``) and its old
paths. Only posts and drafts are read; the rest is counted by ``check``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

ENGINES = ("jekyll", "hugo", "pelican", "zola", "eleventy")
POST, DRAFT, PAGE, IGNORED = "post", "draft", "page", "ignored"


@dataclass(frozen=True)
class Blog:
    """A blog engine's site: its engine, the file it was recognised from, its settings."""

    engine: str
    source: str  # the configuration file, relative to the site's root; "" when set by ENGINE
    settings: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    zone: tzinfo | None = None  # the site's time zone, when its configuration names one
    ignore: tuple[str, ...] = ()  # IGNORE patterns, gitignore style
    root: str = ""  # the site's folder, where links to other posts are looked up


@dataclass(frozen=True)
class Adapted:
    """What an engine adds to an article: its path on the blog, its old paths."""

    link: str = ""  # the post's path on the blog, relative to BASE_URL: 2024/03/05/post/
    old_paths: tuple[str, ...] = ()  # aliases and redirect_from, as paths
    expires: datetime | None = None  # Hugo's expiryDate: out of the feeds from then
