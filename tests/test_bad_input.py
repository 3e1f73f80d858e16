"""Bad article files: each is reported by `feedsvc check` and in the log, and skipped
(or published with a warning) while the rest of the feed stays valid and complete.

Committed cases live in tests/scenarios/bad/; cases that cannot be committed
(huge sparse files, symlinks, FIFOs, odd names, faults while reading) are made
at test time.
"""

from __future__ import annotations

import codecs
import logging
import os
import resource
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SAMPLES, SCENARIOS, app_config, start_server, stop_server
from feed_view import client_get, read_feeds, server_get

from feedsvc import create_app
from feedsvc.cli import main
from feedsvc.reading import files

BAD = SCENARIOS / "bad"
SAMPLE_TITLES = {
    "Harbour Bridge Reopens After Eighteen Months of Repairs",
    "Central Library Tries Late-Night Opening Hours",
    "A Guide to the Night Market: What to Eat First",
    "Volunteers Pull Two Tonnes of Rubbish From the River",
}
HOUR_AGO = time.time() - 3600

# (scenario files, the file reported, severity, words of the message, title published or None)
CASES = [
    (["binary_png_named_txt.txt"], None, "error", "binary file", None),
    (
        ["invalid_utf8_latin1.txt"],
        None,
        "warning",
        "not valid UTF-8",
        "Café Owners Protest the New Terrace Rules",
    ),
    (
        ["invalid_utf8_truncated_sequence.md"],
        None,
        "warning",
        "not valid UTF-8",
        "Broken â‚ sequence",
    ),
    (["empty_file.txt"], None, "error", "empty file", None),
    (["whitespace_only.md"], None, "error", "empty file", None),
    (["bom_only.txt"], None, "error", "empty file", None),
    (["yaml_syntax_error.md"], None, "error", "YAML front matter", None),
    (["yaml_bad_indentation.md"], None, "error", "YAML front matter", None),
    (["yaml_alias_bomb.md"], None, "error", "anchors and aliases are not allowed", None),
    (["yaml_merge_key_alias.md"], None, "error", "anchors and aliases are not allowed", None),
    (["yaml_custom_tag_python_object.md"], None, "error", "python/object/apply", None),
    (["yaml_custom_local_tag.md"], None, "error", "YAML tag !secret is not allowed", None),
    (["yaml_not_a_mapping.md"], None, "error", "must be a mapping", None),
    (["yaml_deep_nesting.md"], None, "error", "YAML front matter", None),
    (["front_matter_never_closed.md"], None, "error", "never closed", None),
    (["date_year_0.md"], None, "error", "year 0 is out of range", None),
    (["date_year_0_txt.txt"], None, "error", "year 0 is out of range", None),
    (["date_year_99999.md"], None, "error", "year 99999 is out of range", None),
    (["date_year_99999_txt.txt"], None, "error", "year 99999 is out of range", None),
    (["date_huge_digit_string.md"], None, "error", "cannot read date", None),
    (["date_huge_digit_string_txt.txt"], None, "error", "date is over 80 characters", None),
    (["date_huge_yaml_integer.md"], None, "error", "date is over 80 characters", None),
    (["date_huge_exponent.md"], None, "error", "cannot read date '1e400'", None),
    (["title_very_long.md"], None, "error", "keep it under 1000", None),
    (["title_very_long_txt.txt"], None, "error", "keep it under 1000", None),
    (["tags_thousands.md"], None, "error", "5000 tags; at most 100", None),
    (["tags_thousands_txt.txt"], None, "error", "5000 tags; at most 100", None),
    (
        ["duplicate_slug_of_sample.md"],
        None,
        "error",
        "duplicate slug 'harbour-bridge-reopens', also in harbour-bridge-reopens.txt",
        None,
    ),
    (
        ["duplicate_id_first.md", "duplicate_id_second.md"],
        "duplicate_id_second.md",
        "error",
        "duplicate id 'tag:example.org,2026:shared-id', also in duplicate_id_first.md",
        "The First Holder of an Id",
    ),
    (["id_not_a_uri.md"], None, "error", "not an absolute URI", None),
    (["title_is_a_mapping.md"], None, "error", "title must be text", None),
    (["txt_title_without_body.txt"], None, "error", "no body", None),
    (["md_front_matter_without_body.md"], None, "error", "no body", None),
    (["md_without_title.md"], None, "error", "no title", None),
    (["enclosure_not_a_mapping.md"], None, "error", "enclosure must have url", None),
    # YAML, TOML and JSON loaders would keep the last; nothing a user wrote is dropped.
    (["yaml_key_twice.md"], None, "error", "gives `title` twice (lines 2 and 5)", None),
    (["toml_key_twice_in_two_cases.md"], None, "error", "gives `title` twice", None),
    (["json_key_twice.md"], None, "error", "gives `title` twice", None),
]


def settle(folder: Path) -> None:
    """Date every file an hour back, so no scan waits for it to settle."""
    for path in folder.rglob("*"):
        os.utime(path, (HOUR_AGO, HOUR_AGO), follow_symlinks=False)


def check(articles: Path) -> tuple[int, list[str]]:
    """Run `feedsvc check` on ARTICLES; return its exit code and printed lines."""
    result = CliRunner().invoke(main, ["check", "--articles", str(articles)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout.splitlines()


def reported(lines: list[str], name: str, severity: str, words: str) -> bool:
    return any(
        line.startswith(f"{name}") and f" {severity}: " in line and words in line for line in lines
    )


def assert_feed_complete(client, extra_title: str | None = None) -> None:
    """Assert the three feeds parse and carry every sample article (and EXTRA_TITLE)."""
    feeds = read_feeds(client_get(client))
    for kind, entries in feeds.items():
        titles = {entry.title for entry in entries}
        assert titles >= SAMPLE_TITLES, f"{kind} feed lost an article: {titles}"
        expected = len(SAMPLE_TITLES) + (extra_title is not None)
        assert len(entries) == expected, f"{kind}: {titles}"
        if extra_title:
            assert extra_title in titles


@pytest.mark.parametrize(
    ("names", "culprit", "severity", "words", "published"),
    CASES,
    ids=[case[0][0] for case in CASES],
)
def test_bad_file_is_reported_and_the_rest_is_served(
    articles: Path,
    caplog: pytest.LogCaptureFixture,
    names: list[str],
    culprit: str | None,
    severity: str,
    words: str,
    published: str | None,
) -> None:
    for name in names:
        shutil.copyfile(BAD / name, articles / name)
    settle(articles)
    culprit = culprit or names[0]

    status, lines = check(articles)
    assert reported(lines, culprit, severity, words), lines
    assert status == (1 if severity == "error" else 0)

    caplog.set_level(logging.WARNING, logger="feedsvc")
    app = create_app(app_config(articles))
    logged = [r.getMessage() for r in caplog.records]
    assert any(m.startswith(culprit) and words in m for m in logged), logged
    assert_feed_complete(app.test_client(), published)


def test_every_committed_scenario_is_in_the_table() -> None:
    listed = {name for case in CASES for name in case[0]}
    assert listed == {path.name for path in BAD.iterdir()}


def test_alias_bomb_is_refused_fast(articles: Path) -> None:
    shutil.copyfile(BAD / "yaml_alias_bomb.md", articles / "bomb.md")
    settle(articles)
    started = time.perf_counter()
    create_app(app_config(articles))
    assert time.perf_counter() - started < 2.0


def make_odd_files(articles: Path) -> dict[str, tuple[str, str]]:
    """Create the cases that cannot be committed; return name -> (severity, words)."""
    outside = articles.parent / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("Secret Title\n\nSecret body.\n")
    (articles / "leak.txt").symlink_to(outside / "secret.txt")
    (articles / "leaked-folder").symlink_to(outside)
    (articles / "passwd.txt").symlink_to("/etc/passwd")
    (articles / "loop").symlink_to(".")
    (articles / "self.md").symlink_to("self.md")
    (articles / "dangling.md").symlink_to("missing.md")
    os.mkfifo(articles / "pipe.md")
    with open(articles / "huge.md", "wb") as f:
        f.truncate(2**40)  # sparse: 1 TiB that takes no disk, and no memory unless read
    (articles / "caf\udce9 latin1 name.txt").write_bytes(b"Latin-1 Name\n\nBody.\n")
    return {
        "leak.txt": ("error", "symlink points outside the articles folder"),
        "leaked-folder": ("error", "symlink points outside the articles folder"),
        "passwd.txt": ("error", "symlink points outside the articles folder"),
        "loop": ("warning", "symlink loop"),
        "self.md": ("error", "Too many levels of symbolic links"),
        "dangling.md": ("error", "No such file or directory"),
        "pipe.md": ("error", "not a regular file"),
        "huge.md": ("error", f"file is {2**40} bytes, over MAX_ARTICLE_BYTES (2097152)"),
        "caf\\udce9 latin1 name.txt": ("error", "name is not valid UTF-8"),
    }


def feed_items(client) -> list[dict]:
    return client.get("/feed.json").get_json()["items"]


def test_links_loops_fifos_and_huge_files_are_reported_not_followed(
    articles: Path, caplog: pytest.LogCaptureFixture
) -> None:
    expected = make_odd_files(articles)
    settle(articles)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    status, lines = check(articles)
    for name, (severity, words) in expected.items():
        assert reported(lines, name, severity, words), (name, lines)
    assert status == 1
    caplog.set_level(logging.WARNING, logger="feedsvc")
    app = create_app(app_config(articles))
    # Reading the sparse file, even only up to the limit, would show here (KiB).
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 64 * 1024
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for name, (_, words) in expected.items():
        assert f"{name}: " in logged and words in logged, name
    assert_feed_complete(app.test_client())
    assert b"Secret" not in app.test_client().get("/feed.atom").data


def test_file_over_the_limit_is_never_read(
    articles: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (articles / "big.md").write_bytes(b"# Big\n\n" + b"x" * 5000)
    settle(articles)
    shim = _OsShim("big.md")
    monkeypatch.setattr(files, "os", shim)
    app = create_app(app_config(articles, MAX_ARTICLE_BYTES=4096))
    assert any(p.endswith("big.md") for p in shim.opened)  # opened to fstat it
    assert shim.sizes == []  # and never read
    monkeypatch.undo()
    assert_feed_complete(app.test_client())
    status, lines = check_with_limit(articles, 4096)
    assert reported(lines, "big.md", "error", "5007 bytes, over MAX_ARTICLE_BYTES (4096)")


def check_with_limit(articles: Path, limit: int) -> tuple[int, list[str]]:
    result = CliRunner().invoke(
        main, ["check", "--articles", str(articles)], env={"FEEDSVC_MAX_ARTICLE_BYTES": str(limit)}
    )
    return result.exit_code, result.stdout.splitlines()


class _OsShim:
    """The os module as files.py sees it, with a fault injected for one file name.

    NAME's open is refused when DENY; otherwise FAULT runs before each read of it, as if
    another process acted between the fstat and the read. Opened paths and read sizes
    are recorded.
    """

    def __init__(self, name: str, fault=None, deny: bool = False):
        self.name, self.fault, self.deny = name, fault, deny
        self.opened: list[str] = []
        self.sizes: list[int] = []
        self._fds: set[int] = set()

    def __getattr__(self, attribute: str):
        return getattr(os, attribute)

    def open(self, path, flags, *args):
        self.opened.append(os.fspath(path))
        mine = os.path.basename(path) == self.name
        if mine and self.deny:
            raise PermissionError(13, "Permission denied")
        fd = os.open(path, flags, *args)
        if mine:
            self._fds.add(fd)
        return fd

    def close(self, fd: int) -> None:
        self._fds.discard(fd)  # the number is free for the next file
        os.close(fd)

    def read(self, fd: int, size: int) -> bytes:
        if fd in self._fds:
            self.sizes.append(size)
            if self.fault:
                self.fault()
        return os.read(fd, size)


def _inject(monkeypatch: pytest.MonkeyPatch, name: str, fault) -> _OsShim:
    """Make reading the file called NAME run FAULT between its fstat and its read."""
    shim = _OsShim(name, fault)
    monkeypatch.setattr(files, "os", shim)
    return shim


def _append(path: Path, data: bytes):
    def fault() -> None:
        with open(path, "ab") as f:
            f.write(data)

    return fault


def test_file_growing_past_the_limit_while_read_is_refused_and_read_bounded(
    articles: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = articles / "growing.md"
    path.write_bytes(b"# Growing\n\nBody.\n")
    settle(articles)
    size = path.stat().st_size
    shim = _inject(monkeypatch, "growing.md", _append(path, b"y" * 10_000))
    caplog.set_level(logging.WARNING, logger="feedsvc")
    app = create_app(app_config(articles, MAX_ARTICLE_BYTES=4096))
    assert shim.sizes == [size + 1]  # what fstat said and one byte: never past the limit
    assert any(
        "growing.md: error: file changed while being read" in r.getMessage()
        for r in caplog.records
    )
    monkeypatch.undo()
    assert_feed_complete(app.test_client())


def test_file_changing_while_read_is_reported_then_read_again(
    articles: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = articles / "changing.md"
    path.write_bytes(b"# Changing Under Our Feet\n\nBody.\n")
    settle(articles)
    _inject(monkeypatch, "changing.md", _append(path, b"More.\n"))
    caplog.set_level(logging.WARNING, logger="feedsvc")
    app = create_app(app_config(articles))
    assert any(
        "changing.md: error: file changed while being read" in r.getMessage()
        for r in caplog.records
    )
    client = app.test_client()
    assert_feed_complete(client)
    monkeypatch.undo()
    settle(articles)
    time.sleep(0.02)  # past RESCAN_INTERVAL, so the next request rescans
    assert_feed_complete(client, "Changing Under Our Feet")


def test_file_vanishing_while_read_is_reported(
    articles: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = articles / "vanishing.md"
    path.write_bytes(b"# Vanishing\n\nBody.\n")
    settle(articles)
    real_walk = files.walk

    def walk_then_delete(root, problems, *extra, **changed):
        found = list(real_walk(root, problems, *extra, **changed))
        if path.exists():
            path.unlink()  # gone between the folder listing and the read
        yield from found

    monkeypatch.setattr(files, "walk", walk_then_delete)
    caplog.set_level(logging.WARNING, logger="feedsvc")
    app = create_app(app_config(articles))
    assert any(
        "vanishing.md: error: file vanished while being read" in r.getMessage()
        for r in caplog.records
    )
    assert_feed_complete(app.test_client())


def test_a_published_article_the_listing_cannot_see_stays_published(
    articles: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A published article never vanishes because a scan could not look at it: a
    subfolder that cannot be listed (permissions), a file replaced by a FIFO or by a
    symlink out of the folder keep their last good articles, each reported; before, the
    walk's error was logged and every article under it answered 410."""
    (articles / "inner").mkdir()
    (articles / "inner" / "kept.md").write_text("---\ntitle: Kept inside\n---\n\nBody.\n")
    (articles / "piped.md").write_text("---\ntitle: Piped later\n---\n\nBody.\n")
    settle(articles)
    app = create_app(app_config(articles))
    client = app.test_client()
    assert {"kept", "piped"} <= {a["id"].rsplit(":", 1)[1] for a in feed_items(client)}
    real = os.scandir
    blocked = os.path.realpath(articles / "inner")

    def scandir(path: str = ".") -> object:  # as chmod 000 does to a user who is not root
        if os.path.realpath(path) == blocked:
            raise PermissionError(13, "Permission denied", path)
        return real(path)

    monkeypatch.setattr(files.os, "scandir", scandir)
    (articles / "piped.md").unlink()
    os.mkfifo(articles / "piped.md")
    for _ in range(3):  # a scan, and the look SETTLE later
        client.get("/feed.atom")
        time.sleep(0.3)
    assert {"kept", "piped"} <= {a["id"].rsplit(":", 1)[1] for a in feed_items(client)}
    assert client.get("/articles/kept").status_code == 200
    problems = {(p.path, p.message) for p in app.extensions["feedsvc"].documents.snapshot.problems}
    assert ("inner", "cannot list folder: Permission denied") in problems
    assert ("piped.md", "not a regular file (a FIFO, socket or device), skipped") in problems


def test_unreadable_file_is_reported(
    articles: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Tests run as root, whom chmod 000 does not stop; so the refusal is injected at open().
    (articles / "unreadable.md").write_bytes(b"# Unreadable\n\nBody.\n")
    settle(articles)
    monkeypatch.setattr(files, "os", _OsShim("unreadable.md", deny=True))
    caplog.set_level(logging.WARNING, logger="feedsvc")
    app = create_app(app_config(articles))
    assert any(
        "unreadable.md: error: cannot read: Permission denied" in r.getMessage()
        for r in caplog.records
    )
    assert_feed_complete(app.test_client())


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop to another user")
def test_unreadable_file_is_reported_to_an_unprivileged_user(tmp_path: Path) -> None:
    """chmod 000 really stops a user who is not root: run `feedsvc check` as nobody."""
    import subprocess
    import sys
    import tempfile

    shared = Path(tempfile.mkdtemp(prefix="feedsvc-unreadable-", dir="/tmp"))
    try:
        shared.chmod(0o777)
        folder = shared / "articles"
        shutil.copytree(SAMPLES, folder)
        (folder / "secret.md").write_bytes(b"# Secret\n\nBody.\n")
        settle(folder)
        (folder / "secret.md").chmod(0)
        try:
            result = subprocess.run(
                [sys.executable, "-m", "feedsvc", "check", "--articles", str(folder)],
                user=65534,
                group=65534,
                capture_output=True,
                text=True,
                timeout=60,
                cwd=shared,
                env={"PATH": os.environ.get("PATH", ""), "FEEDSVC_STATE": str(shared / "s.db")},
            )
        except PermissionError:
            pytest.skip("this Python is not executable by user nobody (it lives under /root)")
        if "ModuleNotFoundError" in result.stderr or "Permission denied: '/" in result.stderr:
            pytest.skip("the virtualenv is not readable by user nobody")
        assert "secret.md: error: cannot read: Permission denied" in result.stdout, result
        assert "4 published" in result.stdout
    finally:
        shutil.rmtree(shared, ignore_errors=True)


@pytest.mark.parametrize(
    ("name", "slug", "words"),
    [
        ("name with spaces.txt", "name-with-spaces", None),
        ("título ñandú 日本.txt", "titulo-nandu-riben", None),
        ("new\nline.txt", "new-line", "name contains control characters"),
    ],
)
def test_odd_file_names_are_published(
    articles: Path, name: str, slug: str, words: str | None
) -> None:
    (articles / name).write_text("Odd Name Title\n\nBody.\n")
    settle(articles)
    status, lines = check(articles)
    shown = name.replace("\n", "\\n")
    if words:
        assert reported(lines, shown, "warning", words), lines
    assert not any(" error: " in line for line in lines), lines
    client = create_app(app_config(articles)).test_client()
    assert client.get(f"/articles/{slug}").status_code == 200
    assert_feed_complete(client, "Odd Name Title")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])  # LE with a BOM, BE with one
def test_a_utf_16_file_with_its_byte_order_mark_is_read_and_rendered_again(
    articles: Path, encoding: str
) -> None:
    # Windows Notepad's "Unicode": UTF-16 after a byte order mark, unambiguous text.
    text = (
        "---\ntitle: Café Terraces Open in March\ndate: 2026-01-05 10:00\n---\n\nOpen — early.\n"
    )
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    (articles / "terraces.md").write_bytes(data)
    settle(articles)
    status, lines = check(articles)
    about = [line for line in lines if line.startswith("terraces.md")]
    assert status == 0 and all("is provisional" in line for line in about), about
    client = create_app(app_config(articles)).test_client()
    page = client.get("/articles/terraces").get_data(as_text=True)
    assert "Open — early." in page  # the body, read again from the file
    assert_feed_complete(client, "Café Terraces Open in March")


def test_a_utf_32_file_is_read_as_utf_32_not_as_the_utf_16_its_mark_opens_like(
    articles: Path,
) -> None:
    # UTF-32-LE's byte order mark is UTF-16-LE's and two NUL bytes.
    (articles / "smile.md").write_bytes("# Smile 😀\n\nBody 😀.\n".encode("utf-32"))
    settle(articles)
    client = create_app(app_config(articles)).test_client()
    assert "Body 😀." in client.get("/articles/smile").get_data(as_text=True)
    assert_feed_complete(client, "Smile 😀")


def test_utf_16_without_a_byte_order_mark_is_named_as_such(articles: Path) -> None:
    (articles / "nuls.md").write_bytes(b"\x00" * 64)  # binary, not text of any kind
    (articles / "no-mark.md").write_bytes("# No Mark\n\nBody text.\n".encode("utf-16-le"))
    (articles / "odd-mark.txt").write_bytes(codecs.BOM_UTF16_LE + b"\x00\xd8a\x00")  # lone half
    settle(articles)
    status, lines = check(articles)
    assert status == 1
    assert reported(lines, "no-mark.md", "error", "UTF-16 text without a byte order mark"), lines
    assert reported(lines, "odd-mark.txt", "error", "not valid UTF-16 (byte 2)"), lines
    assert reported(lines, "nuls.md", "error", "binary file (contains NUL bytes)"), lines
    assert_feed_complete(create_app(app_config(articles)).test_client())


def test_unexpected_error_in_one_file_skips_only_that_file(
    articles: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from feedsvc.reading import article as folder

    (articles / "trips-a-bug.md").write_bytes(b"# Trips a Bug\n\nBody.\n")
    settle(articles)
    real = folder.normalise_warned

    def buggy(raw, defaults):
        if raw.path == "trips-a-bug.md":
            raise ZeroDivisionError("a bug we have not found yet")
        return real(raw, defaults)

    monkeypatch.setattr(folder, "normalise_warned", buggy)
    caplog.set_level(logging.WARNING, logger="feedsvc")
    app = create_app(app_config(articles))
    assert any("trips-a-bug.md: error: unexpected error" in r.getMessage() for r in caplog.records)
    assert_feed_complete(app.test_client())


@pytest.mark.server
def test_real_server_logs_every_bad_file_and_serves_a_valid_complete_feed(
    articles: Path,
) -> None:
    for path in BAD.iterdir():
        shutil.copyfile(path, articles / path.name)
    odd = make_odd_files(articles)
    settle(articles)
    server = start_server(articles, env={"FEEDSVC_ID_AUTHORITY": "feeds.example.org"})
    try:
        feeds = read_feeds(server_get(server))
        assert server.process.poll() is None
    finally:
        stop_server(server)
    log = server.log.read_text(errors="replace")
    for name, culprit in [(c[0][0], c[1] or c[0][0]) for c in CASES] + [(n, n) for n in odd]:
        assert f"{culprit}" in log, f"{name} is not in the server log"
    assert "Traceback" not in log
    published = {c[4] for c in CASES if c[4]}
    for kind, entries in feeds.items():
        assert {e.title for e in entries} == SAMPLE_TITLES | published, kind
