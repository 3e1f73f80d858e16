"""``feedsvc check``: every problem, compiler style, and a summary line.

Besides what the catalog reports, it warns about every published article
whose date or id exists only in the state store (a date its file name gives
exactly is not), and says how to pin it; a provisional id (minted while the
site has no public name) is never offered for pinning, as it is not final.
The store is read into memory, so checking never creates, writes or moves it;
problems come back with the snapshot and go to standard output only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import click

from .catalog import engine
from .catalog.catalog import Catalog
from .errors import warning
from .reading import files, matter, survey
from .reading.dates import name_date
from .reading.engines import PAGE
from .reading.engines.reader import own_role
from .render import inspection
from .render.site import Site
from .store.db import StateStore, StoreBound
from .store.minting import is_provisional

PAPER = (
    "published before README, LICENSE and robots.txt were told apart from articles: it "
    "stays an article, as every published article does; to retire it, delete it (it then "
    "answers 410) or name it in IGNORE"
)

GOES = (
    "is published, but no file gives it now (deleted, or not an article when read so): "
    "serving would answer 410 for it (its id is kept if the file comes back)"
)


def run(config: Mapping[str, Any], now: datetime | None = None) -> int:
    """Print the problems of the configured articles; return the exit status."""
    now = now or datetime.now(UTC)
    store = StateStore.read_only(config["STATE"])
    bound = []
    try:
        store.bind(config["ARTICLES"])
    except StoreBound as e:
        bound.append(warning(config["STATE"], f"{e}; checked as if it were empty"))
        store.close()
        store = StateStore.read_only(":memory:")
    config, note = engine.settle(config, store, record=False)  # as `serve` would read it
    bound += [warning(config["STATE"], note)] if note else []
    site = Site.from_config(config)
    catalog = Catalog.from_config(
        config, site.zone, site.host, store, settle=0.0, inspect=inspection.inspect
    )
    live = {slug for slug, record in catalog.records.items() if record.gone is None}
    snapshot = catalog.scan(now)
    problems = bound + list(snapshot.problems)
    for slug in sorted(live & snapshot.gone):  # a published article this reading drops
        problems.append(warning(config["STATE"], f"/articles/{slug} {GOES}"))
    kinds: dict[str, str | None] = {}  # each article's front matter, looked at once

    def syntax(path: str) -> str | None:
        if path not in kinds:
            kinds[path] = _syntax(config["ARTICLES"], path)
        return kinds[path]

    for article in snapshot.articles + snapshot.unpublished:
        if article.draft:
            continue
        if catalog.folder.defaults.blog is None and own_role(article.path, ()) == PAGE:
            problems.append(warning(article.path, PAPER))
        if not article.date_pinned and article.published != name_date(article.path, site.zone):
            when = f"{article.published:%Y-%m-%dT%H:%M:%SZ}"
            pin = _pin(syntax(article.path), "date", when)
            problems.append(
                warning(article.path, f"date {when} is only in the state store: pin it with {pin}")
            )
        if not article.id_pinned and is_provisional(article.id or ""):
            problems.append(
                warning(
                    article.path,
                    f"id {article.id} is provisional: BASE_URL is local and ID_AUTHORITY "
                    "is unset, so the first run with a public BASE_URL (or ID_AUTHORITY) "
                    "replaces it; do not pin it, run `feedsvc check` again after that",
                )
            )
        elif not article.id_pinned:
            problems.append(
                warning(
                    article.path,
                    f"id {article.id} is only in the state store: pin it with "
                    + _pin(syntax(article.path), "id", str(article.id)),
                )
            )
    problems.sort()
    root = config["ARTICLES"]
    for problem in problems:
        click.echo(str(problem))
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    read = len(catalog.folder.files)
    kept = len(snapshot.articles) + len(snapshot.unpublished)
    # The migration summary: never silent about what was skipped; the summary line stays last.
    blog = catalog.folder.defaults.blog
    if blog is not None:  # a clean folder in feedsvc's own layout prints only the summary
        click.echo(survey.engine_line(blog, config["ENGINE"]))
    skipped = survey.skipped_by_extension(config["ARTICLES"], blog)
    if skipped:
        click.echo(f"skipped for their extension: {survey.describe(skipped)}")
    not_articles = survey.roles(root, blog, catalog.folder.defaults.ignore, catalog.folder.files)
    if blog is not None or not_articles:
        click.echo(f"skipped for their role: {survey.describe(not_articles)}")
    if blog is not None:
        keys = survey.keys_not_understood(root, blog, config["MAX_ARTICLE_BYTES"])
        click.echo(f"keys not understood: {survey.describe(keys)}")
        removed = sum(p.message.startswith("template tag ") for p in problems)
        click.echo(f"template tags removed: {removed}")
    click.echo(
        f"{read} articles read, {len(snapshot.articles)} published, "
        f"{len(snapshot.unpublished)} unpublished, {read - kept} skipped, "
        f"{errors} errors, {warnings} warnings"
    )
    return 1 if errors else 0


def _syntax(root: str, path: str) -> str | None:
    """Return the kind of front matter ROOT/PATH opens with: "toml", "json", or None."""
    try:
        with open(os.path.join(root, path), "rb") as f:
            data = f.read(1024)  # 256 characters at least, in UTF-32 too
    except OSError:
        return None
    return matter.kind(data.decode(files.marked(data) or "utf-8-sig", errors="replace")[:256])


def _pin(kind: str | None, key: str, value: str) -> str:
    """Return the line that pins KEY to VALUE in front matter of KIND (``_syntax``): TOML
    and JSON front matter take neither the header block's nor YAML's `Key: value`."""
    if kind == "toml":  # a TOML date is a value of its own; an id is a string
        return f"`{key} = {value}`" if key == "date" else f"`{key} = {json.dumps(value)}`"
    if kind == "json":
        return f"`{json.dumps(key)}: {json.dumps(value)},`"
    if key == "date":
        value = value.replace("T", " ").replace("Z", " UTC")
    return f"`{key.capitalize()}: {value}`"
