"""A rendered response body with its validators, and what a path answers.

A ``Document`` is computed once per regeneration: the strong ETag hashes the
body; the gzip variant is compressed at most once, when first asked for
(mtime 0, so the bytes are the same in every worker and in ``feedsvc
build``), and has its own ETag.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any


@dataclass(frozen=True)
class Document:
    body: bytes
    mimetype: str
    last_modified: datetime | None
    link: str = ""  # a Link header: WebSub's rel="hub" and rel="self" on feeds
    compress: bool = True  # False: already compressed (images, audio, video): no gzip copy
    etag: str = field(init=False)
    # The web layer's per-representation headers, computed on first use.
    http: dict[tuple[bool, bool], Any] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "etag", hashlib.sha256(self.body).hexdigest()[:32])

    @cached_property
    def gzip_body(self) -> bytes:
        """Return the body gzipped, compressed once (level 6: level 9 saves ~1% for 2x the CPU)."""
        return gzip.compress(self.body, compresslevel=6, mtime=0)

    @cached_property
    def gzip_etag(self) -> str:
        return hashlib.sha256(self.gzip_body).hexdigest()[:32] + "-gz"

    @property
    def content_type(self) -> str:
        if self.mimetype.startswith(("text/", "application/")) and not self.mimetype.endswith(
            ("gzip", "octet-stream", "woff2", "png", "pdf")
        ):
            return f"{self.mimetype}; charset=utf-8"
        return self.mimetype


@dataclass(frozen=True)
class Result:
    """What a path answers: a status, and a document or a redirect's location."""

    status: int
    document: Document | None = None
    location: str | None = None
    keep: bool = True  # False: a file that may change under the same snapshot (a bundle's)
