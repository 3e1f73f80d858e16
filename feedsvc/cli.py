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


def _settings(articles: str | None, config_file: str | None) -> dict[str, Any]:
    """Export the given options as FEEDSVC_* variables and return the full configuration."""
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
    help="gunicorn worker processes [default: CPU cores + 1, at most 8].",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    help="Threads per worker (gthread): keep-alive pollers each hold one.",
)
def serve(
    articles: str | None,
    config_file: str | None,
    host: str,
    port: int,
    workers: int | None,
    threads: int,
) -> None:
    """Run the service under gunicorn, logging requests in its access-log format.

    When BASE_URL is not configured it is http://HOST:PORT/.
    """
    from . import create_app
    from .web.server import run

    if config.ENV_PREFIX + "BASE_URL" not in os.environ:
        probe = _settings(articles, config_file)
        if probe["BASE_URL"] == config.DEFAULTS["BASE_URL"]:
            shown = f"[{host}]" if ":" in host else host
            os.environ[config.ENV_PREFIX + "BASE_URL"] = f"http://{shown}:{port}/"
    settings = _settings(articles, config_file)
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

    try:
        run(_settings(articles, config_file), outdir, progress=not quiet)
    except UnsafeOutput as e:
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
