"""Run the W3C Feed Validation Service on our Atom and RSS feeds, over loopback.

    python bench/validate_w3c.py [--smoke] [--articles DIR ...] [--validator SRC]

The validator (https://github.com/w3c/feedvalidator, not ours, never
committed) is taken from --validator (a checkout) or extracted with
``git archive`` from the bare mirror /work/.mirror/w3c+feedvalidator/repo
into a temporary folder; without either the run is skipped (exit 0). It
needs html5lib importable. Each articles folder is copied to a temporary
folder and served by ``feedsvc serve`` on 127.0.0.1, so every self link is
the URL the validator fetches. Every subscription, tag and archive feed in
Atom and RSS is validated (--smoke: only /feed.atom and /feed.rss) with the
online service's filter ("AA": errors and warnings). Exit 1 on any error or
any of the warnings issue 4 forbids, but one: DuplicateUpdated is accepted
where every entry sharing the value has it as written by its author (a
translation written with its original's date, say), since a written date is
never changed; an invented date is unique, so a duplicate of one still fails.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
import xml.etree.ElementTree as ElementTree
from datetime import datetime
from pathlib import Path

from _support import free_port  # bench/ is sys.path[0] when a script runs

ROOT = Path(__file__).resolve().parent.parent
MIRROR = Path("/work/.mirror/w3c+feedvalidator/repo")
CORPORA = [ROOT / "articles", ROOT / "tests" / "scenarios" / "awkward"]
FORBIDDEN = {
    "MissingSelf", "MissingAtomSelfLink", "SelfDoesntMatchLocation", "ContainsRelRef", "NotHtml",
    "DuplicateEntries", "DuplicateUpdated", "MissingGuid", "ProblematicalRFC822Date",
    "ImplausibleDate", "UnexpectedContentType", "EncodingMismatch", "NonCanonicalURI",
}  # fmt: skip


def extract(mirror: Path, into: Path) -> Path | None:
    """Return the validator's src folder extracted from the bare MIRROR, or None."""
    if not mirror.is_dir():
        return None
    archive = into / "feedvalidator.tar"
    with open(archive, "wb") as out:
        done = subprocess.run(
            ["git", f"--git-dir={mirror}", "archive", "HEAD"],
            stdout=out,
            stderr=subprocess.DEVNULL,
            timeout=120,
        )
    if done.returncode != 0:
        return None
    with tarfile.open(archive) as tar:
        tar.extractall(into / "feedvalidator", filter="data")
    return into / "feedvalidator" / "src"


def serve(articles: Path, workdir: Path) -> tuple[subprocess.Popen, str]:
    """Start `feedsvc serve` on a copy of ARTICLES; return the process and its URL."""
    copy = workdir / "articles"
    shutil.copytree(articles, copy)  # copy2 keeps old mtimes: every file is read at once
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDSVC_")}
    env["FEEDSVC_STATE"] = str(workdir / "state.sqlite3")
    with open(workdir / "server.log", "wb") as log:  # the child keeps its own copy
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "feedsvc",
                "serve",
                "--articles",
                str(copy),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=workdir,
        )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url + "feed.atom", timeout=2):
                return process, url
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit(f"feedsvc did not start:\n{(workdir / 'server.log').read_text()}")


def feed_paths(url: str, smoke: bool) -> list[str]:
    """Return every Atom and RSS path the server answers: subscription, tags, archives."""
    paths = ["feed.atom", "feed.rss"]
    if smoke:
        return paths
    from feedsvc.reading.text import tag_slug

    with urllib.request.urlopen(url + "feed.json", timeout=10) as response:
        document = json.load(response)
    tags = sorted({tag_slug(t) for item in document["items"] for t in item.get("tags", [])})
    paths += [f"tags/{slug}/feed.{kind}" for slug in tags for kind in ("atom", "rss")]
    older = document.get("next_url")
    for _ in range(1000):
        if not older:
            break
        stem = older.removeprefix(url).rsplit(".", 1)[0]
        paths += [f"{stem}.atom", f"{stem}.rss"]
        with urllib.request.urlopen(older, timeout=10) as response:
            older = json.load(response).get("next_url")
    return paths


def written_dates(articles: Path) -> dict[str, datetime]:
    """Return each article's link path and the date its entry shows, when its author wrote it."""
    from zoneinfo import ZoneInfo

    from feedsvc.config import DEFAULTS
    from feedsvc.errors import ArticleError
    from feedsvc.model import written
    from feedsvc.reading import files
    from feedsvc.reading.article import read_article
    from feedsvc.reading.engines import detect
    from feedsvc.reading.engines import reader as engines

    config = {**DEFAULTS, "ARTICLES": str(articles)}
    defaults = detect.defaults(config, ZoneInfo(config["TIMEZONE"]))
    blog = defaults.blog
    found, _ = files.discover(articles, engines.extensions(blog))
    dates = {}
    for item in found:
        if blog is not None and not engines.is_read(blog, item.path):
            continue
        try:
            article, _, _ = read_article(item, defaults, config["MAX_ARTICLE_BYTES"])
        except ArticleError:  # a file that fails is no entry
            continue
        _, published, updated = written(article)
        shown = updated if article.updated is not None else published
        if shown is not None:
            dates[article.link or f"articles/{article.slug}"] = shown
    return dates


def duplicates_written(url: str, body: bytes, dates: dict[str, datetime]) -> bool:
    """Tell whether every atom:updated that entries of BODY share is each one's written date."""
    atom = "{http://www.w3.org/2005/Atom}"
    by_value: dict[str, list[str]] = {}
    for entry in ElementTree.fromstring(body).iter(f"{atom}entry"):
        updated = entry.findtext(f"{atom}updated") or ""
        link = next((e.get("href", "") for e in entry.iter(f"{atom}link")
                     if e.get("rel", "alternate") == "alternate"), "")  # fmt: skip
        by_value.setdefault(updated, []).append(link.removeprefix(url))
    shared = {value: paths for value, paths in by_value.items() if len(paths) > 1}
    return bool(shared) and all(
        path in dates and dates[path] == datetime.fromisoformat(value)
        for value, paths in shared.items()
        for path in paths
    )


def validate(
    url: str, dates: dict[str, datetime] | None = None
) -> tuple[list[str], list[str], list[str]]:
    """Return (errors, warnings, forbidden warnings) the validator reports for URL.

    With DATES (written_dates), a DuplicateUpdated between written dates is not forbidden.
    """
    import feedvalidator
    from feedvalidator import compatibility
    from feedvalidator.formatter.text_plain import Formatter
    from feedvalidator.logging import Error

    try:
        events = feedvalidator.validateURL(url, firstOccurrenceOnly=1)["loggedEvents"]
    except feedvalidator.logging.ValidationFailure as failure:
        events = [failure.event]
    events = compatibility.AA(events)
    text = Formatter(events)
    errors = [f"{type(e).__name__}: {text.format(e)}" for e in events if isinstance(e, Error)]
    warnings = [
        f"{type(e).__name__}: {text.format(e)}" for e in events if not isinstance(e, Error)
    ]
    forbidden = [
        f"{type(e).__name__}: {text.format(e)}"
        for e in events
        if type(e).__name__ in FORBIDDEN or type(e).__name__.startswith("SecurityRisk")
    ]
    if dates is not None and any(f.startswith("DuplicateUpdated:") for f in forbidden):
        with urllib.request.urlopen(url, timeout=10) as response:
            body = response.read()
        root = url.split("/", 3)
        if duplicates_written("/".join(root[:3]) + "/", body, dates):
            forbidden = [f for f in forbidden if not f.startswith("DuplicateUpdated:")]
    return errors, warnings, forbidden


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--articles",
        action="extend",
        nargs="+",
        type=Path,
        help="articles folders (several, or repeated); default: the bundled samples "
        "and tests/scenarios/awkward",
    )
    parser.add_argument("--validator", type=Path, help="the validator's src folder")
    parser.add_argument("--mirror", type=Path, default=MIRROR, help="bare git mirror")
    parser.add_argument("--smoke", action="store_true", help="only /feed.atom and /feed.rss")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="validate-w3c-") as temporary:
        source = args.validator or extract(args.mirror, Path(temporary))
        if source is None or not (source / "feedvalidator").is_dir():
            print(f"skipped: no validator source (no --validator, no mirror at {args.mirror})")
            return 0
        try:
            import html5lib  # noqa: F401 - the validator's HTML checks need it
        except ImportError:
            print("skipped: the validator needs html5lib (pip install html5lib)")
            return 0
        sys.path.insert(0, str(source))
        failed = False
        for index, articles in enumerate(args.articles or CORPORA):
            workdir = Path(temporary) / f"corpus{index}"
            workdir.mkdir()
            process, url = serve(articles, workdir)
            try:
                print(f"# {articles} served at {url}")
                dates = written_dates(articles)
                for path in feed_paths(url, args.smoke):
                    errors, warnings, forbidden = validate(url + path, dates)
                    bad = bool(errors or forbidden)
                    failed |= bad
                    verdict = "FAIL" if bad else "ok  "
                    print(f"{verdict} {path}: {len(errors)} errors, {len(warnings)} warnings")
                    for line in errors + warnings:
                        print(f"       {line}")
                    for line in forbidden:
                        print(f"       forbidden: {line}")
            finally:
                process.terminate()
                process.wait(timeout=15)
        print("verdict:", "FAIL" if failed else "no errors and no forbidden warnings")
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
