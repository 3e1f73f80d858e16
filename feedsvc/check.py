"""``feedsvc check``: every problem, compiler style, and a summary line.

Besides what the catalog reports, it warns about every published article
whose date or id exists only in the state store, and says how to pin it.
The store is read into memory, so checking never creates, writes or moves it;
problems come back with the snapshot and go to standard output only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import click

from .catalog.catalog import Catalog
from .errors import warning
from .reading import survey
from .render.site import Site
from .store.db import StateStore, StoreBound


def run(config: Mapping[str, Any], now: datetime | None = None) -> int:
    """Print the problems of the configured articles; return the exit status."""
    now = now or datetime.now(UTC)
    site = Site.from_config(config)
    store = StateStore.read_only(config["STATE"])
    bound = []
    try:
        store.bind(config["ARTICLES"])
    except StoreBound as e:
        bound.append(warning(config["STATE"], f"{e}; checked as if it were empty"))
        store.close()
        store = StateStore.read_only(":memory:")
    catalog = Catalog.from_config(config, site.zone, site.host, store, settle=0.0)
    snapshot = catalog.scan(now)
    problems = bound + list(snapshot.problems)
    for article in snapshot.articles + snapshot.unpublished:
        if article.draft:
            continue
        if not article.date_pinned:
            problems.append(
                warning(
                    article.path,
                    f"date {article.published:%Y-%m-%dT%H:%M:%SZ} is only in the state "
                    f"store: pin it with `Date: {article.published:%Y-%m-%d %H:%M:%S} UTC`",
                )
            )
        if not article.id_pinned:
            problems.append(
                warning(
                    article.path,
                    f"id {article.id} is only in the state store: pin it with `Id: {article.id}`",
                )
            )
    problems.sort()
    for problem in problems:
        click.echo(str(problem))
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    read = len(catalog.folder.files)
    kept = len(snapshot.articles) + len(snapshot.unpublished)
    skipped = survey.skipped_by_extension(config["ARTICLES"])
    if skipped:  # never silent; the summary line stays the last line
        click.echo(f"skipped for their extension: {survey.describe(skipped)}")
    click.echo(
        f"{read} articles read, {len(snapshot.articles)} published, "
        f"{len(snapshot.unpublished)} unpublished, {read - kept} skipped, "
        f"{errors} errors, {warnings} warnings"
    )
    return 1 if errors else 0
