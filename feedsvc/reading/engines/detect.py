"""Recognise a blog engine's site from its configuration file, read as data only.

With ``ENGINE=auto`` the articles folder may be a site's root, and the first of
these files found names the engine: ``_config.yml`` (Jekyll); ``hugo.toml``,
``hugo.yaml`` or ``hugo.json`` (Hugo); ``config.toml``, which is Zola's when it
has ``base_url`` and Hugo's otherwise (Hugo writes ``baseURL``);
Hugo's configuration folder ``config/_default/`` (its other files are the
tables named after them); ``pelicanconf.py`` (Pelican); ``eleventy.config.js``
or ``.eleventy.js``
(Eleventy). ``pelicanconf.py`` is never executed: only its top-level
assignments of literals are read, with ``ast.literal_eval``. A folder with none
of these is ``none``: feedsvc's own layout.
"""

from __future__ import annotations

import ast
import json
import os
import tomllib
from collections.abc import Mapping
from datetime import UTC, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from ...errors import ConfigError
from ..normalise import Defaults
from . import ENGINES, Blog

CONFIG_MAX = 1024 * 1024
CANDIDATES = (
    ("_config.yml", "jekyll"),
    ("_config.yaml", "jekyll"),
    ("_config.toml", "jekyll"),
    ("hugo.toml", "hugo"),
    ("hugo.yaml", "hugo"),
    ("hugo.yml", "hugo"),
    ("hugo.json", "hugo"),
    ("config.toml", "hugo-or-zola"),
    ("config.yaml", "hugo"),
    ("config.json", "hugo"),
    # Hugo's configuration directory (Configuration: "Configuration directory").
    ("config/_default/hugo.toml", "hugo"),
    ("config/_default/hugo.yaml", "hugo"),
    ("config/_default/hugo.json", "hugo"),
    ("config/_default/config.toml", "hugo"),
    ("config/_default/config.yaml", "hugo"),
    ("pelicanconf.py", "pelican"),
    ("eleventy.config.js", "eleventy"),
    ("eleventy.config.mjs", "eleventy"),
    ("eleventy.config.cjs", "eleventy"),
    (".eleventy.js", "eleventy"),
)
_ZONE_KEYS = {"jekyll": "timezone", "hugo": "timezone", "pelican": "TIMEZONE"}


def pelican_settings(source: str) -> dict[str, Any]:
    """Return the literal top-level assignments of a pelicanconf.py, never running it."""
    settings: dict[str, Any] = {}
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return settings
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                try:
                    settings[target.id] = ast.literal_eval(node.value)
                except (ValueError, TypeError, SyntaxError, RecursionError):
                    continue  # computed: os.path.join(...), a variable; left unknown
    return settings


def _load(path: str, name: str) -> dict[str, Any]:
    """Return the settings in the configuration file PATH (named NAME), as data."""
    if name.endswith((".js", ".mjs", ".cjs")):
        return {}  # JavaScript is never run: Eleventy's defaults apply
    with open(path, "rb") as f:
        data = f.read(CONFIG_MAX)
    text = data.decode("utf-8", "replace")
    try:
        if name.endswith(".py"):
            return pelican_settings(text)
        if name.endswith(".toml"):
            loaded: Any = tomllib.loads(text)
        elif name.endswith(".json"):
            loaded = json.loads(text)
        else:
            loaded = yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, yaml.YAMLError) as e:
        raise ConfigError(f"{name}: cannot read the blog's configuration: {e}"[:300]) from None
    return loaded if isinstance(loaded, dict) else {}


def _with_sections(folder: str, main: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Return SETTINGS with each other file of Hugo's configuration folder as its key.

    Hugo: a file of the folder is the table named after it (``permalinks.toml`` holds
    ``[permalinks]``, ``params.toml`` holds ``[params]``).
    """
    merged = dict(settings)
    for name in sorted(os.listdir(folder)):
        stem, ext = os.path.splitext(name)
        if name == main or ext not in (".toml", ".yaml", ".yml", ".json"):
            continue
        if stem not in merged and os.path.isfile(os.path.join(folder, name)):
            merged[stem] = _load(os.path.join(folder, name), name)
    return merged


def _zone(engine: str, settings: dict[str, Any]) -> tzinfo | None:
    if engine in ("zola", "eleventy", "hugo"):
        default: tzinfo | None = UTC  # each reads a date without an offset as UTC by default
    else:
        default = None
    key = _ZONE_KEYS.get(engine)
    if key is None:
        return default
    value = next((v for k, v in settings.items() if str(k).lower() == key.lower()), None)
    if not isinstance(value, str) or not value:
        return default
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return default


def detect(root: str | os.PathLike[str]) -> Blog | None:
    """Return the blog whose configuration file is in ROOT, or None."""
    for name, engine in CANDIDATES:
        path = os.path.join(root, name)
        if not os.path.isfile(path):
            continue
        settings = _load(path, name)
        if name.startswith("config/_default/"):
            settings = _with_sections(os.path.dirname(path), os.path.basename(name), settings)
        if engine == "hugo-or-zola":
            engine = "zola" if "base_url" in settings else "hugo"
        return Blog(engine, name, settings, _zone(engine, settings))
    return None


def resolve(setting: str, root: str | os.PathLike[str], ignore: str = "") -> Blog | None:
    """Return the blog ENGINE=SETTING means for ROOT: None for feedsvc's own layout."""
    patterns = ignore_patterns(ignore)
    if setting == "none":
        return None
    found = detect(root) if os.path.isdir(root) else None
    where = os.fspath(root)
    if setting == "auto":
        if found is None:
            return None
        return Blog(found.engine, found.source, found.settings, found.zone, patterns, where)
    if setting not in ENGINES:
        raise ConfigError(f"ENGINE must be auto, none or one of {', '.join(ENGINES)}")
    if found is not None and found.engine == setting:
        return Blog(setting, found.source, found.settings, found.zone, patterns, where)
    zone = UTC if setting in ("zola", "eleventy", "hugo") else None
    return Blog(setting, "", {}, zone, patterns, where)


def ignore_patterns(ignore: str) -> tuple[str, ...]:
    """Return the patterns of IGNORE: comma- or line-separated."""
    return tuple(p.strip() for p in ignore.replace("\n", ",").split(",") if p.strip())


def from_config(config: Mapping[str, Any]) -> Blog | None:
    """Return the blog CONFIG's ENGINE, ARTICLES and IGNORE settings describe."""
    return resolve(config["ENGINE"], config["ARTICLES"], config["IGNORE"])


def defaults(config: Mapping[str, Any], zone: tzinfo) -> Defaults:
    """Return what normalising needs from CONFIG: the site's defaults, blog and PERMALINK."""
    return Defaults(
        config["AUTHOR"],
        config["LANGUAGE"],
        zone,
        from_config(config),
        config["PERMALINK"],
        ignore_patterns(config["IGNORE"]),
    )
