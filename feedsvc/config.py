"""Every configuration key, its default, and how a value is found.

Precedence, lowest first: the defaults below; a TOML file (``--config FILE``,
else ``FEEDSVC_CONFIG``, else ``feedsvc.toml`` in the working directory when
present); ``FEEDSVC_<KEY>`` environment variables; a test's mapping. Keys in
the TOML file may be written in any case. A value of the wrong type is a
``ConfigError`` naming the key and where the value came from. The README's
configuration table is checked against ``SETTINGS`` by a test.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError

ENV_PREFIX = "FEEDSVC_"
DEFAULT_CONFIG_FILE = "feedsvc.toml"


@dataclass(frozen=True)
class Setting:
    key: str
    default: Any
    doc: str

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.key


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "ARTICLES",
        "articles",
        "Folder of article files, read recursively; or a blog engine's site root (see ENGINE).",
    ),
    Setting(
        "ENGINE",
        "auto",
        "How ARTICLES is laid out: `auto` (the reading the state store records its site "
        "was published under; for a new store, a blog engine recognised from its "
        "configuration file, else feedsvc's own layout), `none` (feedsvc's own layout), "
        "`jekyll`, `hugo`, `pelican`, `zola` or `eleventy`, which the store then records.",
    ),
    Setting(
        "PAGES",
        "auto",
        "`on`, `off` or `auto`: whether feedsvc serves a page per article. `auto` is on with "
        "feedsvc's own layout and off when a blog engine's site serves its own pages; then "
        "entries link to the blog's page and /articles/SLUG answers 301 to it. With `on` on "
        "a blog engine's site, feedsvc answers each post's URL on the blog with its page.",
    ),
    Setting(
        "PERMALINK",
        "",
        "A pattern of each post's path on the blog, relative to BASE_URL, such as "
        "`{year}/{month}/{day}/{slug}/`; empty means the blog engine's own rule.",
    ),
    Setting(
        "IGNORE",
        "",
        "Comma-separated gitignore-style patterns (`name`, `folder/`, `/anchored/path`, "
        "`*`) of files under ARTICLES that are not articles, counted by `feedsvc check`.",
    ),
    Setting(
        "BASE_URL",
        "http://127.0.0.1:8000/",
        "Absolute URL the site is served at (may carry a path such as /news/). "
        "Every absolute link comes from it, never from the request's Host header. "
        "`feedsvc serve` defaults it to http://HOST:PORT/.",
    ),
    Setting("TITLE", "feedsvc", "Site and feed title."),
    Setting("SUBTITLE", "", "Site and feed subtitle."),
    Setting("AUTHOR", "Anonymous", "Author of articles that name none."),
    Setting("LANGUAGE", "en", "Language of the site and of articles without `lang`."),
    Setting("TIMEZONE", "UTC", "IANA time zone for dates written without one, and for pages."),
    Setting("FEED_SIZE", 50, "Entries per subscription feed."),
    Setting(
        "STATE",
        "feedsvc-state.sqlite3",
        "SQLite file keeping first-seen dates, minted ids and deleted slugs; or a "
        "`postgresql://` URL, one database shared by several nodes.",
    ),
    Setting(
        "ID_AUTHORITY",
        "",
        "Authority of minted tag: ids; empty means BASE_URL's host at the first minting. "
        "Never localhost or a loopback address: while BASE_URL is local and this is empty, "
        "ids are provisional, and are made final at the first run with a public BASE_URL.",
    ),
    Setting(
        "FEED_ID",
        "",
        "Id of the site's feed (a URI: tag:, urn:, http: or https:); empty means the one "
        "recorded in the state store, else BASE_URL itself.",
    ),
    Setting("FEED_CONTENT", "full", "`full` or `summary`: what feed entries carry."),
    Setting("FEED_MAX_BYTES", 1048576, "Byte budget of one feed document."),
    Setting("CACHE_MAX_AGE", 1800, "Seconds in Cache-Control max-age."),
    Setting(
        "DOCUMENT_CACHE_BYTES",
        16777216,
        "Bytes of rendered pages and feeds each worker keeps; past it, the least "
        "recently served are dropped and rendered again when asked.",
    ),
    Setting(
        "RESCAN_INTERVAL",
        1.0,
        "Seconds between stat scans of the articles folder "
        "(when WATCH is `poll`, or notifications are unavailable).",
    ),
    Setting(
        "WATCH",
        "auto",
        "How changes are noticed: `notify` (inotify via watchdog, only "
        "changed files are stat'ed), `poll` (stat scan every RESCAN_INTERVAL), `auto` "
        "(notify when available, else poll).",
    ),
    Setting("MAX_ARTICLE_BYTES", 2097152, "Larger article files are reported and skipped."),
    Setting("PAGE_SIZE", 20, "Articles per index page."),
    Setting("THEME", "", "Folder whose templates/ and static/ override the built-in ones."),
    Setting("TRUSTED_PROXIES", 0, "How many reverse proxies' X-Forwarded-* headers to trust."),
    Setting("ICON", "", "URL of the feed icon (relative to BASE_URL or absolute)."),
    Setting("LOGO", "", "URL of the feed logo (relative to BASE_URL or absolute)."),
    Setting(
        "WEBSUB_HUBS",
        "",
        "WebSub hub URLs (a TOML list, or separated by spaces or commas). When set, every "
        'feed but the archives names them (`rel="hub"`, in the document and a `Link` '
        "header), and each change of a feed's bytes is announced to each hub once.",
    ),
    Setting(
        "TOMBSTONE_DAYS",
        30,
        "Days a deleted article stays announced in the Atom feed as an RFC 6721 "
        "`at:deleted-entry` (0: never).",
    ),
)

DEFAULTS: dict[str, Any] = {s.key: s.default for s in SETTINGS}
LIST_KEYS = frozenset({"WEBSUB_HUBS"})  # text, or a list in TOML


def _coerce(key: str, value: Any, source: str) -> Any:
    """Return VALUE converted to the type of KEY's default."""
    default = DEFAULTS[key]
    if key in LIST_KEYS and isinstance(value, list | tuple):
        value = " ".join(str(item) for item in value)
    try:
        if isinstance(default, bool):
            if isinstance(value, str):
                lowered = value.strip().lower()
                if lowered not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                    raise ValueError(value)
                return lowered in {"1", "true", "yes", "on"}
            return bool(value)
        if isinstance(default, int):
            if isinstance(value, bool):
                raise ValueError(value)
            return int(value)
        if isinstance(default, float):
            return float(value)
        if not isinstance(value, str):
            raise ValueError(value)
        return value
    except ValueError:
        kind = type(default).__name__
        raise ConfigError(f"{source}: {key} must be {kind}, got {value!r}") from None


def read_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Return the known keys of the TOML file at PATH, upper-cased and typed."""
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as e:
        raise ConfigError(f"{path}: cannot read config file: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: invalid TOML: {e}") from None
    result = {}
    for name, value in data.items():
        key = name.upper()
        if key not in DEFAULTS:
            raise ConfigError(f"{path}: unknown key {name!r}")
        result[key] = _coerce(key, value, str(path))
    return result


def load(config_file: str | None = None, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the full configuration from defaults, a TOML file and ENV."""
    env = os.environ if env is None else env
    config = dict(DEFAULTS)
    path = config_file or env.get(ENV_PREFIX + "CONFIG")
    if path:
        config.update(read_toml(path))
    elif Path(DEFAULT_CONFIG_FILE).is_file():
        config.update(read_toml(DEFAULT_CONFIG_FILE))
    for setting in SETTINGS:
        if setting.env in env:
            config[setting.key] = _coerce(setting.key, env[setting.env], setting.env)
    return config


def validate(config: Mapping[str, Any]) -> None:
    """Raise ConfigError when a value is out of its range."""
    base = urlsplit(config["BASE_URL"])
    if base.scheme not in {"http", "https"} or not base.netloc:
        raise ConfigError(f"BASE_URL must be an absolute http(s) URL, got {config['BASE_URL']!r}")
    if base.query or base.fragment:
        raise ConfigError("BASE_URL must not carry a query or fragment")
    try:
        ZoneInfo(config["TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"TIMEZONE {config['TIMEZONE']!r} is not a known IANA zone") from None
    if not str(config["TITLE"]).strip():  # Atom and RSS require one (feedgen refuses "")
        raise ConfigError("TITLE must not be empty: the feeds need a title")
    if config["FEED_CONTENT"] not in {"full", "summary"}:
        raise ConfigError("FEED_CONTENT must be 'full' or 'summary'")
    for key in ("FEED_SIZE", "PAGE_SIZE", "FEED_MAX_BYTES", "MAX_ARTICLE_BYTES"):
        if config[key] < 1:
            raise ConfigError(f"{key} must be at least 1")
    for key in ("CACHE_MAX_AGE", "TRUSTED_PROXIES", "DOCUMENT_CACHE_BYTES", "TOMBSTONE_DAYS"):
        if config[key] < 0:
            raise ConfigError(f"{key} must not be negative")
    authority = config["ID_AUTHORITY"]
    if authority and (is_local(authority) or "/" in authority or "," in authority):
        raise ConfigError(
            f"ID_AUTHORITY must be a domain name or an email address you own, not {authority!r}"
        )
    feed_id = config["FEED_ID"]
    if feed_id and urlsplit(feed_id).scheme.lower() not in {"tag", "urn", "http", "https"}:
        raise ConfigError(f"FEED_ID must be a tag:, urn:, http: or https: URI, got {feed_id!r}")
    if config["ENGINE"] not in {"auto", "none", "jekyll", "hugo", "pelican", "zola", "eleventy"}:
        raise ConfigError("ENGINE must be auto, none, jekyll, hugo, pelican, zola or eleventy")
    if str(config.get("PAGES", "auto")).lower() not in {"auto", "on", "off"}:
        raise ConfigError("PAGES must be 'auto', 'on' or 'off'")
    if config["WATCH"] not in {"auto", "notify", "poll"}:
        raise ConfigError("WATCH must be 'auto', 'notify' or 'poll'")
    if config["RESCAN_INTERVAL"] <= 0:
        raise ConfigError("RESCAN_INTERVAL must be positive")
    for hub in hub_list(config.get("WEBSUB_HUBS", "")):
        parts = urlsplit(hub)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ConfigError(f"WEBSUB_HUBS: {hub!r} is not an absolute http(s) URL")


def hub_list(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Return the hub URLs VALUE names: a list, or text separated by spaces or commas."""
    items = value.replace(",", " ").split() if isinstance(value, str) else value
    return tuple(dict.fromkeys(str(item).strip() for item in items if str(item).strip()))


def is_local(authority: str) -> bool:
    """Return whether AUTHORITY names this machine only: localhost or a loopback address.

    Ids minted under it would collide with every other site tried out locally,
    so they are provisional until the site has a public name.
    """
    host = authority.rsplit("@", 1)[-1].strip("[]").lower().rstrip(".")
    if host in ("", "localhost") or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def normalise_base_url(url: str) -> str:
    """Return URL with exactly one trailing slash on its path."""
    return url.rstrip("/") + "/"
