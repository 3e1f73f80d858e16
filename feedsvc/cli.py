"""The ``feedsvc`` command: serve, check, build, snippet.

Options given here become FEEDSVC_* environment variables before the app is
created, so the app factory stays the one place configuration is read, and
every gunicorn worker sees the same settings.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from . import __version__, config
from .errors import ConfigError

_articles = click.option(
    "--articles",
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="Folder of article files (FEEDSVC_ARTICLES).",
)
_config = click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="TOML config file (FEEDSVC_CONFIG); default ./feedsvc.toml if present.",
)

_state = click.option(
    "--state",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="State store file (FEEDSVC_STATE).",
)


def _settings(
    articles: str | None, config_file: str | None, state: str | None = None
) -> dict[str, Any]:
    """Export the given options as FEEDSVC_* variables and return the full configuration."""
    if state:  # a file is made absolute; a postgresql:// URL is kept as it is
        os.environ[config.ENV_PREFIX + "STATE"] = (
            state if "://" in state else os.path.abspath(state)
        )
    if config_file:
        os.environ[config.ENV_PREFIX + "CONFIG"] = os.path.abspath(config_file)
    if articles:
        os.environ[config.ENV_PREFIX + "ARTICLES"] = os.path.abspath(articles)
    try:
        settings = config.load()
        config.validate(settings)
    except ConfigError as e:
        raise click.UsageError(str(e)) from None
    return settings


def _check_store(settings: dict[str, Any]) -> None:
    """Refuse, before anything starts, a state store that belongs to another folder."""
    from .store.db import StateStore
    from .web.processes import give_back

    store = StateStore.read_only(settings["STATE"])  # a copy in memory: nothing is written
    try:
        store.bind(settings["ARTICLES"])
    except ConfigError as e:
        raise click.ClickException(str(e)) from None
    finally:
        store.close()
        give_back()  # the copy's memory: the main process forks every worker (RSS)


def default_workers() -> int:
    """Return a worker count for this machine: one per core, plus one, at most 8."""
    return min(8, (os.cpu_count() or 1) + 1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="feedsvc")
def main() -> None:
    """Serve a folder of articles as Atom, RSS and JSON feeds with permalink pages."""


@main.command()
@_articles
@_config
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Worker processes [default: CPU cores + 1, at most 8].",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    help="Threads per worker that run the app (granian's blocking threads, gunicorn's gthread).",
)
@click.option(
    "--server",
    "server_name",
    type=click.Choice(["granian", "gunicorn"]),
    default="granian",
    show_default=True,
    help="HTTP server: granian (slow clients cost no thread; SIGHUP reloads) or gunicorn.",
)
def serve(
    articles: str | None,
    config_file: str | None,
    host: str,
    port: int,
    workers: int | None,
    threads: int,
    server_name: str,
) -> None:
    """Run the service, logging requests in the combined access-log format.

    When BASE_URL is not configured it is http://HOST:PORT/. SIGHUP replaces
    the workers without dropping a request; SIGTERM stops cleanly.
    """
    from . import create_app

    if server_name == "granian":
        from .web.granian_server import run
    else:
        from .web.server import run

    if config.ENV_PREFIX + "BASE_URL" not in os.environ:
        probe = _settings(articles, config_file)
        if probe["BASE_URL"] == config.DEFAULTS["BASE_URL"]:
            shown = f"[{host}]" if ":" in host else host
            os.environ[config.ENV_PREFIX + "BASE_URL"] = f"http://{shown}:{port}/"
    settings = _settings(articles, config_file)
    _check_store(settings)
    click.echo(
        f"feedsvc {__version__}: serving {settings['ARTICLES']} at {settings['BASE_URL']}",
        err=True,
    )
    run(host, port, workers or default_workers(), threads, create_app)


@main.command()
@_articles
@_config
def check(articles: str | None, config_file: str | None) -> None:
    """Report every problem in the articles as PATH[:LINE]: error|warning: message.

    Exits 1 when there is any error. The state store is read, never written.
    """
    from .check import run

    sys.exit(run(_settings(articles, config_file)))


@main.command()
@click.argument("outdir", type=click.Path(file_okay=False))
@_articles
@_config
@click.option("--quiet", "-q", is_flag=True, help="Do not show progress.")
def build(outdir: str, articles: str | None, config_file: str | None, quiet: bool) -> None:
    """Write every feed, page and asset under OUTDIR, as a static server serves them."""
    from .build import UnsafeOutput, run

    settings = _settings(articles, config_file)
    _check_store(settings)
    try:
        run(settings, outdir, progress=not quiet)
    except (UnsafeOutput, ConfigError) as e:  # ConfigError: the database does not answer
        raise click.ClickException(str(e)) from None


@main.command()
@_articles
@_config
def snippet(articles: str | None, config_file: str | None) -> None:
    """Print feed autodiscovery tags and a subscribe block for another site's template."""
    from .model import HeldBodies
    from .render.pages import Pages
    from .render.site import Site

    settings = _settings(articles, config_file)
    pages = Pages(Site.from_config(settings), HeldBodies(), settings["THEME"])
    click.echo(pages.snippet(), nl=False)


@main.group()
def state() -> None:
    """Back up, move or adopt the state store (STATE): its ids, dates and deletions."""


@state.command("export")
@click.argument("file", required=False, type=click.Path(dir_okay=False, allow_dash=True))
@_articles
@_config
@_state
def state_export(
    file: str | None, articles: str | None, config_file: str | None, state: str | None
) -> None:
    """Write every record of the store to FILE (default: standard output) as JSON lines.

    The order is stable, so the file can be committed beside the articles and diffed.
    The store is read, never written.
    """
    from .store import pg, portable
    from .store.db import StateStore
    from .store.opening import newer_layout

    settings = _settings(articles, config_file, state)
    path = settings["STATE"]
    if not pg.is_url(path) and not os.path.exists(path):  # else an empty store is exported
        raise click.ClickException(
            f"state store {os.path.abspath(path)} does not exist: nothing exported "
            "(give the store with --state or FEEDSVC_STATE)"
        )
    store = StateStore.read_only(path)
    if store.problems:
        raise click.ClickException("; ".join(store.problems))
    if (why := newer_layout(store.db, settings["STATE"])) is not None:
        raise click.ClickException(why)
    with click.open_file(
        file or "-", "w", encoding="utf-8", atomic=bool(file) and file != "-"
    ) as f:
        f.writelines(portable.lines(portable.dump(store.db)))


@state.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@_articles
@_config
@_state
def state_import(
    file: str, articles: str | None, config_file: str | None, state: str | None
) -> None:
    """Load the records FILE holds (from `feedsvc state export`) into the store.

    Meant for an empty store: a record that differs from one the store holds is a
    conflict, and then nothing is written. Running servers read the records again.
    """
    from .store import portable
    from .store.db import StateStore
    from .web.watch import utcnow

    settings = _settings(articles, config_file, state)
    try:
        with click.open_file(file, encoding="utf-8") as f:
            items = portable.parse(f, file)
    except ValueError as e:
        raise click.ClickException(str(e)) from None
    try:
        store = StateStore(settings["STATE"], utcnow())
    except ConfigError as e:  # the database does not answer
        raise click.ClickException(f"{file}: nothing imported: {e}") from None
    try:
        if store.problems:
            raise click.ClickException("; ".join(store.problems))
        store.bind(settings["ARTICLES"])
        written = store.load(items)
    except (ConfigError, portable.ImportConflict) as e:
        raise click.ClickException(f"{file}: nothing imported: {e}") from None
    finally:
        store.close()
    click.echo(f"{written} records imported into {settings['STATE']}", err=True)


@state.command("adopt")
@_articles
@_config
@_state
def state_adopt(articles: str | None, config_file: str | None, state: str | None) -> None:
    """Make the store belong to the articles folder: after the folder moved for good."""
    from .store.db import StateStore
    from .web.watch import utcnow

    settings = _settings(articles, config_file, state)
    try:
        store = StateStore(settings["STATE"], utcnow())
    except ConfigError as e:  # the database does not answer
        raise click.ClickException(str(e)) from None
    try:
        before = store.bound_to()
        store.bind(settings["ARTICLES"], adopt=True)
    except ConfigError as e:  # a later release's store: adopting it would not make it ours
        raise click.ClickException(str(e)) from None
    finally:
        store.close()
    folder = os.path.abspath(settings["ARTICLES"])
    click.echo(f"state store {settings['STATE']} belongs to {folder} (was {before})", err=True)
