"""Helpers for the format tests: read a scenario file the way the catalog does."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from feedsvc.catalog.catalog import Catalog
from feedsvc.errors import Problem
from feedsvc.model import Article, HeldBodies, Text
from feedsvc.reading import files
from feedsvc.reading.article import read_article
from feedsvc.reading.formats import READERS, RawArticle
from feedsvc.reading.normalise import Defaults
from feedsvc.render import markup
from feedsvc.store.db import StateStore

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
MAX_BYTES = 2 * 1024 * 1024
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def defaults(zone: str = "UTC", author: str = "Site Author", language: str = "en") -> Defaults:
    return Defaults(author, language, ZoneInfo(zone))


def found(path: Path, rel: str | None = None) -> files.Found:
    return files.Found(rel or path.name, str(path), files.signature(os.stat(path)))


def raw(name: str) -> RawArticle:
    """Return the raw article of scenario NAME, decoded as the catalog decodes it."""
    path = SCENARIOS / name
    text, _ = files.read(found(path), MAX_BYTES)
    return READERS[files.FORMATS[path.suffix]](name, text)


def article(name: str, zone: str = "UTC") -> Article:
    """Return the normalised article of scenario NAME."""
    result, _, _ = read_article(found(SCENARIOS / name), defaults(zone), MAX_BYTES)
    return result


def text(name: str, zone: str = "UTC") -> Text:
    """Return the body and bio of scenario NAME."""
    _, result, _ = read_article(found(SCENARIOS / name), defaults(zone), MAX_BYTES)
    return result


def summary(name: str, base: str = "http://x/") -> str:
    """Return the summary of scenario NAME as the renderers make it."""
    result, body, _ = read_article(found(SCENARIOS / name), defaults(), MAX_BYTES)
    return markup.summary(result, HeldBodies({result.text_key: body}), base)


def problems(name: str, zone: str = "UTC") -> list[Problem]:
    """Return the warnings of reading scenario NAME."""
    _, _, result = read_article(found(SCENARIOS / name), defaults(zone), MAX_BYTES)
    return result


def copy(names: list[str], folder: Path) -> Path:
    """Copy scenarios NAMES into FOLDER, with mtimes well in the past."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        target = folder / name
        shutil.copyfile(SCENARIOS / name, target)
        settle(target)
    return folder


def settle(path: Path, when: float = 1_000_000_000.0) -> None:
    """Give PATH an old mtime, so a scan does not wait for it to settle."""
    os.utime(path, (when, when))


def catalog(
    folder: Path,
    state: Path | str,
    now: datetime = NOW,
    zone: str = "UTC",
    authority: str = "feeds.example.org",
    pinned: bool = False,
) -> Catalog:
    """Return a catalog of FOLDER with its state store at STATE."""
    store = StateStore(str(state), now)
    return Catalog(
        str(folder),
        defaults(zone),
        store,
        authority,
        MAX_BYTES,
        settle=0.0,
        authority_pinned=pinned,
    )
