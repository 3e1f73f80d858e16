"""Configuration: defaults, then the TOML file, then FEEDSVC_* variables, then a test's mapping."""

from __future__ import annotations

from pathlib import Path

import pytest

from feedsvc import config, create_app
from feedsvc.errors import ConfigError


def test_defaults_are_used_without_file_or_env():
    assert config.load(env={}) == config.DEFAULTS


def test_toml_file_then_env_override(tmp_path: Path):
    path = tmp_path / "site.toml"
    path.write_text('title = "From file"\nfeed_size = 7\nsubtitle = "kept"\n')
    env = {"FEEDSVC_CONFIG": str(path), "FEEDSVC_TITLE": "From env"}
    loaded = config.load(env=env)
    assert loaded["TITLE"] == "From env"
    assert loaded["FEED_SIZE"] == 7
    assert loaded["SUBTITLE"] == "kept"


def test_config_option_wins_over_env_file(tmp_path: Path):
    (tmp_path / "a.toml").write_text('title = "A"\n')
    (tmp_path / "b.toml").write_text('title = "B"\n')
    loaded = config.load(
        str(tmp_path / "b.toml"), env={"FEEDSVC_CONFIG": str(tmp_path / "a.toml")}
    )
    assert loaded["TITLE"] == "B"


def test_feedsvc_toml_in_working_directory_is_read(tmp_path: Path):
    (tmp_path / "feedsvc.toml").write_text('language = "nl"\n')
    assert config.load(env={})["LANGUAGE"] == "nl"


@pytest.mark.parametrize(
    "env,message",
    [
        ({"FEEDSVC_FEED_SIZE": "many"}, "FEEDSVC_FEED_SIZE: FEED_SIZE must be int"),
        ({"FEEDSVC_RESCAN_INTERVAL": "soon"}, "RESCAN_INTERVAL must be float"),
    ],
)
def test_bad_env_value_names_key(env, message):
    with pytest.raises(ConfigError, match=message):
        config.load(env=env)


def test_unknown_toml_key_is_refused(tmp_path: Path):
    path = tmp_path / "x.toml"
    path.write_text('titel = "typo"\n')
    with pytest.raises(ConfigError, match="unknown key 'titel'"):
        config.load(str(path), env={})


@pytest.mark.parametrize(
    "key,value",
    [
        ("BASE_URL", "example.org"),
        ("TIMEZONE", "Mars/Olympus"),
        ("FEED_CONTENT", "most"),
        ("FEED_SIZE", 0),
        ("RESCAN_INTERVAL", 0.0),
        ("DOCUMENT_CACHE_BYTES", -1),
    ],
)
def test_out_of_range_values_stop_the_app(articles, key, value):
    with pytest.raises(ConfigError, match=key):
        create_app({"ARTICLES": str(articles), "STATE": str(articles.parent / "s.db"), key: value})


def test_env_reaches_the_app(articles, monkeypatch):
    monkeypatch.setenv("FEEDSVC_ARTICLES", str(articles))
    monkeypatch.setenv("FEEDSVC_TITLE", "Env Title")
    monkeypatch.setenv("FEEDSVC_STATE", str(articles.parent / "s.db"))
    client = create_app().test_client()
    assert b"<title>Env Title</title>" in client.get("/feed.atom").data


@pytest.mark.parametrize("title", ["", "   "])
def test_an_empty_title_is_refused_naming_the_setting(title: str) -> None:
    """Atom and RSS require a feed title: an empty TITLE made both answer 500."""
    settings = config.load(env={"FEEDSVC_TITLE": title})
    with pytest.raises(ConfigError, match="TITLE must not be empty"):
        config.validate(settings)
