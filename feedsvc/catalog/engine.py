"""How a site is read: ENGINE=auto keeps the reading its feeds were published under.

A blog engine's reading (``reading/engines``) is not feedsvc's own: drafts, pages
and ``published: false`` posts are not articles, and a file name's date is in the
site's zone. Switching a published site from one reading to the other would make
articles go (410, tombstones) and dates move, which no upgrade may do. So the
state store records the reading its site is published under (``meta`` row
``engine``), and ENGINE=auto means that one; a store without the row but with
records was made by a release that read every folder as feedsvc's own layout
(``none``). A store that has published nothing yet takes what ``auto`` detects
at each start. An ENGINE set by name is
used as said, and recorded: switching is the operator's choice, which
``feedsvc check`` with the new setting shows article by article first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..reading.engines import detect
from ..store import meta
from ..store.db import StateStore


def settle(
    config: Mapping[str, Any], store: StateStore, record: bool = True
) -> tuple[dict[str, Any], str | None]:
    """Return CONFIG with its ENGINE as this site is read, and a note when auto would differ.

    RECORD: write the reading into STORE (serve and build; ``check`` only looks).
    """
    setting, row = str(config["ENGINE"]), meta.get(store, "engine")
    # Nothing published yet (an empty folder's first start): detect again. Published
    # without a row: by a release before blog engines, which read every folder as ours.
    before = (row or "none") if meta.published(store) else None
    note = None
    if setting == "auto":
        found = detect.resolve("auto", config["ARTICLES"], config["IGNORE"])
        detected = found.engine if found is not None else "none"
        engine = before or detected
        if engine != detected:
            note = (
                f"ENGINE=auto reads {config['ARTICLES']} as {_name(engine)}, as its feeds were "
                f"published, not as {_name(detected)}: no article goes and no date moves. To "
                f"switch, set ENGINE={detected} (FEEDSVC_ENGINE) once `feedsvc check` with that "
                "setting has listed what changes"
            )
    else:
        engine = setting
    if record and engine != row:
        meta.put(store, "engine", engine)
    return {**config, "ENGINE": engine}, note


def _name(engine: str) -> str:
    return "feedsvc's own layout" if engine == "none" else f"a {engine} site"
