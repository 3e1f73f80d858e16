"""Helpers for the format tests: read a scenario file the way the catalog does."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from feedsvc import files
from feedsvc.catalog import Catalog
from feedsvc.errors import Problem
from feedsvc.folder import read_article
from feedsvc.normalise import Article, Defaults
from feedsvc.readers import READERS, RawArticle
from feedsvc.state import StateStore

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
    result, _ = read_article(found(SCENARIOS / name), defaults(zone), MAX_BYTES)
    return result


def problems(name: str, zone: str = "UTC") -> list[Problem]:
    """Return the warnings of reading scenario NAME."""
    _, result = read_article(found(SCENARIOS / name), defaults(zone), MAX_BYTES)
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
        wall=lambda: float("inf"),
        authority_pinned=pinned,
    )
