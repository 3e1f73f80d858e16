"""Load with churn: conditional pollers against `feedsvc serve` while articles change.

    python bench/churn.py               # 64 pollers, 60 s, 4 workers
    python bench/churn.py --smoke       # about 10 s, for CI

Starts `feedsvc serve` (several workers) on a loopback port over a
temporary copy of the sample articles, and a separate churn process that every
--interval seconds adds, edits (atomically: write and rename; or in place,
in two chunks), renames or deletes an article. Meanwhile --pollers threads
poll the three feeds with If-None-Match / If-Modified-Since over keep-alive
connections. It prints its counts and exits 1 unless:

  * no 5xx response and no connection error;
  * every 200 body parses as a feed (feedparser bozo 0; JSON Feed by json);
  * one ETag always comes with the same bytes, whichever worker answered;
  * every write is served within --max-delay seconds (2) unless the same
    article was written again or deleted before then;
  * no id or published date of an article ever changes, renames included.

Every loop is bounded in count and time; nothing but loopback is used.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import http.client
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import feedparser
from _support import free_port  # bench/ is sys.path[0] when a script runs

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "articles"
TITLE = re.compile(r"^Churn (\d+) v(\d+)$")
PATHS = ("/feed.atom", "/feed.rss", "/feed.json")


# ---- the churn process -------------------------------------------------------------------


def article_text(number: int, version: int) -> str:
    """Return the Markdown of churn article NUMBER at VERSION; some pin a date or an id."""
    lines = ["---", f"title: Churn {number} v{version}"]
    if number % 3 == 0:
        lines.append(f"date: 2025-01-01 {number // 60 % 24:02d}:{number % 60:02d} UTC")
    if number % 5 == 0:
        lines.append(f"id: tag:churn.example,2025:article-{number}")
    lines += ["---", "", f"Article {number}, version {version}. " * 20, ""]
    return "\n".join(lines)


def churn(
    folder: Path,
    events_path: Path,
    duration: float,
    interval: float,
    seed: int,
    rename_after: float,
) -> None:
    """Change FOLDER every INTERVAL seconds for DURATION; log each change to EVENTS_PATH.

    A rename only touches an article last written RENAME_AFTER seconds ago or more, and a
    renamed article is not written for as long: a file both rewritten and renamed between
    two scans cannot be told from a delete and an add (see the known limit in docs/robustness.md).
    """
    rng = random.Random(seed)
    live: dict[int, tuple[str, int]] = {}  # number -> (file stem, version)
    written: dict[int, float] = {}  # number -> when its file was last written or renamed
    renamed: dict[int, float] = {}  # number -> when it was last renamed
    for path in folder.glob("churn-*.md"):
        number = int(path.stem.split("-")[1])
        live[number] = (path.stem, 1)
        written[number] = 0.0
    next_number = max(live, default=-1) + 1
    renames = 0
    deadline = time.monotonic() + duration
    with open(events_path, "a", buffering=1) as events:

        def log(op: str, number: int, stem: str, version: int, how: str) -> None:
            events.write(
                json.dumps(
                    {
                        "t": time.time(),
                        "op": op,
                        "n": number,
                        "slug": stem,
                        "v": version,
                        "how": how,
                    }
                )
                + "\n"
            )

        def write(stem: str, text: str, atomic: bool) -> None:
            path = folder / f"{stem}.md"
            if atomic:
                temp = folder / f".{stem}.tmp"
                temp.write_text(text)
                os.replace(temp, path)
            else:
                half = len(text) // 2
                with open(path, "w") as f:  # truncate, then two writes: a reader may look
                    f.write(text[:half])
                    f.flush()
                    time.sleep(0.005)
                    f.write(text[half:])

        begun = time.monotonic()
        for tick in range(int(duration / interval) + 1):
            if time.monotonic() >= deadline:
                break
            roll = rng.random()
            if len(live) < 15 or (roll < 0.25 and len(live) < 40):
                op, number = "add", next_number
                next_number += 1
                stem, version = f"churn-{number}", 1
            else:
                op = "edit" if roll < 0.6 else "rename" if roll < 0.8 else "delete"
                now = time.monotonic()
                if op == "edit":  # not right after its rename
                    pool = [n for n in live if now - renamed.get(n, -1e9) >= rename_after]
                elif op == "rename":  # not right after a write
                    pool = [n for n in live if now - written[n] >= rename_after]
                else:
                    pool = list(live)
                if not pool:
                    op, pool = "delete", list(live)
                number = rng.choice(sorted(pool))
                stem, version = live[number]
            atomic = rng.random() < 0.5
            if op in ("add", "edit"):
                version += op == "edit"
                write(stem, article_text(number, version), atomic)
                live[number] = (stem, version)
                written[number] = time.monotonic()
            elif op == "rename":
                renames += 1
                new_stem = f"churn-{number}-r{renames}"
                os.rename(folder / f"{stem}.md", folder / f"{new_stem}.md")
                stem = new_stem
                written[number] = renamed[number] = time.monotonic()
                live[number] = (stem, version)
            else:
                (folder / f"{stem}.md").unlink()
                del live[number], written[number]
                renamed.pop(number, None)
            how = {"rename": "rename", "delete": "unlink"}.get(op) or (
                "atomic" if atomic else "in place"
            )
            log(op, number, stem, version, how)
            # on a fixed schedule, so a slow step does not slow the rate
            time.sleep(max(0.0, begun + (tick + 1) * interval - time.monotonic()))


# ---- the pollers ---------------------------------------------------------------------------


@dataclass
class Observation:
    time: float
    number: int
    version: int
    slug: str


@dataclass
class Results:
    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter = field(default_factory=Counter)
    connection_errors: Counter = field(default_factory=Counter)
    error_details: list[str] = field(default_factory=list)
    keepalive_retries: list[str] = field(default_factory=list)
    bad_bodies: list[str] = field(default_factory=list)
    etags: dict[str, str] = field(default_factory=dict)  # ETag -> sha256 of the bytes
    etag_mismatches: list[str] = field(default_factory=list)
    bodies: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # digest -> kind, body
    received: list[tuple[float, str]] = field(default_factory=list)  # (when, body digest)
    parsed: dict[str, list[tuple[int, int, str, str, str]]] = field(default_factory=dict)
    observations: list[Observation] = field(default_factory=list)
    identities: dict[tuple[str, int], set[tuple[str, str]]] = field(
        default_factory=lambda: defaultdict(set)
    )
    requests: int = 0


def parse_body(kind: str, body: bytes) -> list[tuple[int, int, str, str, str]]:
    """Return (number, version, slug, id, published) of the churn entries; raise on a bad body."""
    entries = []
    if kind == "json":
        data = json.loads(body)
        if data.get("version") != "https://jsonfeed.org/version/1.1":
            raise ValueError("not a JSON Feed 1.1 document")
        items = [(i["title"], i["url"], i["id"], i["date_published"]) for i in data["items"]]
    else:
        parsed = feedparser.parse(body)
        if parsed.bozo:
            raise ValueError(f"bozo: {parsed.get('bozo_exception')}")
        items = [
            (e.title, e.link, e.id, time.strftime("%Y-%m-%dT%H:%M:%S", e.published_parsed))
            for e in parsed.entries
        ]
    for title, link, entry_id, published in items:
        match = TITLE.match(title)
        if match:
            entries.append(
                (
                    int(match.group(1)),
                    int(match.group(2)),
                    link.rsplit("/", 1)[1],
                    entry_id,
                    published,
                )
            )
    return entries


def poller(
    index: int,
    port: int,
    done: threading.Event,
    until: float,
    think: float,
    results: Results,
    seed: int,
) -> None:
    """Poll the feeds with conditional requests until DONE, at the latest UNTIL (wall clock)."""
    rng = random.Random(seed * 1000 + index)
    gzipped = index % 2 == 1
    validators: dict[str, tuple[str | None, str | None]] = {}
    connection: http.client.HTTPConnection | None = None
    last_used = 0.0  # when the kept-alive connection last finished a response
    for _ in range(1_000_000):
        if done.is_set() or time.time() >= until:
            break
        path = rng.choice(PATHS)
        etag, modified = validators.get(path, (None, None))
        headers = {"User-Agent": f"churn-poller/{index}"}
        if gzipped:
            headers["Accept-Encoding"] = "gzip"
        if etag and index % 4 != 3:  # a quarter of the pollers send If-Modified-Since only
            headers["If-None-Match"] = etag
        if modified:
            headers["If-Modified-Since"] = modified
        response = None
        for attempt in range(2):
            reused = connection is not None
            try:
                if connection is None:
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                body = response.read()
                received = last_used = time.time()
                break
            except (OSError, http.client.HTTPException) as e:
                idle = time.time() - last_used
                if connection is not None:
                    connection.close()
                connection = None
                # A kept-alive connection the server closed before answering: every client
                # retries a GET once on a new connection (RFC 9112, 9.3.1). Counted apart.
                if (
                    reused
                    and attempt == 0
                    and isinstance(
                        e, http.client.RemoteDisconnected | ConnectionResetError | BrokenPipeError
                    )
                ):
                    with results.lock:
                        results.keepalive_retries.append(f"{type(e).__name__} idle {idle:.2f} s")
                    continue
                with results.lock:
                    results.connection_errors[type(e).__name__] += 1
                    results.error_details.append(
                        f"{time.strftime('%H:%M:%S')} {path} {type(e).__name__}: {e} "
                        f"(reused {reused}, idle {idle:.2f} s)"
                    )
                break
        if response is None:
            time.sleep(think)
            continue
        with results.lock:
            results.requests += 1
            results.statuses[response.status] += 1
        if response.will_close:
            connection.close()
            connection = None
        if response.status == 200:
            new_etag = response.getheader("ETag")
            validators[path] = (new_etag, response.getheader("Last-Modified"))
            digest = hashlib.sha256(body).hexdigest()
            kind = path.rsplit(".", 1)[1]
            try:
                plain = (
                    gzip.decompress(body)
                    if response.getheader("Content-Encoding") == "gzip"
                    else body
                )
            except (OSError, EOFError) as e:
                plain = b""
                with results.lock:
                    results.bad_bodies.append(f"{path}: bad gzip: {e}")
            plain_digest = hashlib.sha256(plain).hexdigest()
            with results.lock:
                known = results.etags.setdefault(new_etag, digest)
                if known != digest:
                    results.etag_mismatches.append(f"{path} {new_etag}")
                # parsed after the run, so parsing never slows the polling it measures
                results.bodies.setdefault(plain_digest, (kind, plain))
                results.received.append((received, plain_digest))
        time.sleep(think * (0.5 + rng.random()))
    if connection is not None:
        connection.close()


# ---- checks ---------------------------------------------------------------------------------


def parse_all(results: Results) -> float:
    """Parse every distinct 200 body once; fill observations and identities; return seconds."""
    started = time.perf_counter()
    for digest, (kind, body) in results.bodies.items():
        try:
            results.parsed[digest] = parse_body(kind, body)
        except Exception as e:
            results.bad_bodies.append(f"{kind}: {type(e).__name__}: {e}"[:300])
            results.parsed[digest] = []
    for received, digest in results.received:
        kind = results.bodies[digest][0]
        for number, version, slug, entry_id, published in results.parsed[digest]:
            results.observations.append(Observation(received, number, version, slug))
            results.identities[(kind, number)].add((entry_id, published))
    return time.perf_counter() - started


def late_writes(
    events: list[dict], observations: list[Observation], max_delay: float
) -> tuple[list[float], list[str]]:
    """Return each write's delay until served, and the writes not served within MAX_DELAY."""
    by_number: dict[int, list[dict]] = defaultdict(list)
    for event in events:
        by_number[event["n"]].append(event)
    first_seen: dict[tuple[int, int, str], float] = {}
    for o in observations:
        key = (o.number, o.version, o.slug)
        if key not in first_seen or o.time < first_seen[key]:
            first_seen[key] = o.time
    delays, late = [], []
    for number, history in by_number.items():
        states = [(e["v"], e["slug"]) for e in history]
        # first time any state from the i-th on was served
        served_from = [float("inf")] * (len(history) + 1)
        for i in range(len(history) - 1, -1, -1):
            here = first_seen.get((number, *states[i]), float("inf"))
            if history[i]["op"] == "delete":
                here = float("inf")
            served_from[i] = min(here, served_from[i + 1])
        for i, event in enumerate(history):
            if event["op"] == "delete":
                continue
            superseded = i + 1 < len(history) and history[i + 1]["t"] < event["t"] + max_delay
            delay = served_from[i] - event["t"]
            if not superseded:
                delays.append(max(delay, 0.0))
                if delay > max_delay:
                    late.append(
                        f"{event['op']} ({event['how']}) of churn {number} "
                        f"v{event['v']} as {event['slug']}: "
                        f"{'never served' if delay == float('inf') else f'{delay:.2f} s'}"
                    )
    return delays, late


# ---- the server -----------------------------------------------------------------------------


def start_server(
    folder: Path, state: Path, port: int, workers: int, threads: int, rescan: float, log: Path
) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDSVC_")}
    env.update(
        {
            "FEEDSVC_STATE": str(state),
            "FEEDSVC_FEED_SIZE": "500",
            "FEEDSVC_RESCAN_INTERVAL": str(rescan),
        }
    )
    command = [
        sys.executable,
        "-m",
        "feedsvc",
        "serve",
        "--articles",
        str(folder),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--threads",
        str(threads),
    ]
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=folder.parent
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited early:\n{log.read_text()}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/feed.atom")
            if connection.getresponse().status == 200:
                connection.close()
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("server did not answer within 30 s")


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# ---- main -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load [60]")
    parser.add_argument("--smoke", action="store_true", help="a short run for CI (10 s)")
    parser.add_argument("--pollers", type=int, default=64, help="concurrent pollers [64]")
    parser.add_argument("--workers", type=int, default=4, help="server workers [4]")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker [4]")
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between changes")
    parser.add_argument(
        "--think", type=float, default=0.05, help="mean pause between one poller's requests [0.05]"
    )
    parser.add_argument("--rescan", type=float, default=1.0, help="RESCAN_INTERVAL [1.0]")
    parser.add_argument(
        "--max-delay",
        type=float,
        default=2.0,
        help="a write must be served within this many seconds [2]",
    )
    parser.add_argument(
        "--rename-after",
        type=float,
        default=2.5,
        help="no write this close before or after a rename [2.5]",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--churn-child",
        nargs=4,
        metavar=("FOLDER", "EVENTS", "SECONDS", "SEED"),
        help=argparse.SUPPRESS,
    )
    args = parser.parse_args(argv)
    if args.churn_child:
        folder, events, seconds, seed = args.churn_child
        churn(
            Path(folder), Path(events), float(seconds), args.interval, int(seed), args.rename_after
        )
        return 0
    if args.smoke:
        args.duration = 10.0

    work = Path(tempfile.mkdtemp(prefix="feedsvc-churn-"))
    folder = work / "articles"
    shutil.copytree(SAMPLES, folder)
    for number in range(20):
        (folder / f"churn-{number}.md").write_text(article_text(number, 1))
    past = time.time() - 3600
    for path in folder.iterdir():
        os.utime(path, (past, past))
    events_path = work / "events.jsonl"
    log = work / "server.log"
    port = free_port()
    server = start_server(
        folder, work / "state.sqlite3", port, args.workers, args.threads, args.rescan, log
    )
    results = Results()
    try:
        started = time.time()
        until = started + args.duration + args.max_delay + 60  # a hard bound, never reached
        done = threading.Event()
        child = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--interval",
                str(args.interval),
                "--rename-after",
                str(args.rename_after),
                "--churn-child",
                str(folder),
                str(events_path),
                str(args.duration),
                str(args.seed),
            ]
        )
        threads = [
            threading.Thread(
                target=poller,
                daemon=True,
                args=(i, port, done, until, args.think, results, args.seed),
            )
            for i in range(args.pollers)
        ]
        for thread in threads:
            thread.start()
        try:
            child.wait(timeout=args.duration + 30)
        finally:
            if child.poll() is None:
                child.kill()
            time.sleep(args.max_delay + 0.5)  # the last writes get their chance to be served
            done.set()
            for thread in threads:
                thread.join(timeout=30)
        elapsed = time.time() - started
    finally:
        stop(server)
    events = [json.loads(line) for line in events_path.read_text().splitlines()]
    server_log = log.read_text(errors="replace")
    return report(args, results, events, server_log, elapsed, work)


def report(
    args, results: Results, events: list[dict], server_log: str, elapsed: float, work: Path
) -> int:
    parse_seconds = parse_all(results)
    delays, late = late_writes(events, results.observations, args.max_delay)
    changed = {key: values for key, values in results.identities.items() if len(values) > 1}
    owners: dict[tuple[str, str], set[int]] = defaultdict(set)  # (format, id) -> articles
    for (kind, number), values in results.identities.items():
        for entry_id, _ in values:
            owners[(kind, entry_id)].add(number)
    shared = {key: numbers for key, numbers in owners.items() if len(numbers) > 1}
    five_xx = sum(n for status, n in results.statuses.items() if status >= 500)
    ops = Counter(f"{e['op']} ({e['how']})" for e in events)
    finite = sorted(d for d in delays if d != float("inf"))
    print(
        f"feedsvc churn: {args.pollers} pollers, {args.workers} workers x {args.threads} "
        f"threads, {elapsed:.1f} s, a change every {args.interval * 1000:.0f} ms"
    )
    print(
        f"requests: {results.requests} ({results.requests / elapsed:.0f}/s); statuses: "
        + ", ".join(f"{s}: {n}" for s, n in sorted(results.statuses.items()))
    )
    print(
        f"connection errors: {sum(results.connection_errors.values())} "
        f"{dict(results.connection_errors) or ''}"
    )
    for detail in results.error_details[:10]:
        print(f"  {detail}")
    print(
        f"kept-alive connections closed by the server before answering, retried once: "
        f"{len(results.keepalive_retries)} {results.keepalive_retries[:5] or ''}"
    )
    print(f"5xx responses: {five_xx}")
    print(
        f"200 bodies: {len(results.received)}, {len(results.parsed)} distinct, parsed in "
        f"{parse_seconds:.1f} s after the run; bad bodies: {len(results.bad_bodies)}"
    )
    print(
        f"ETags seen: {len(results.etags)}; ETag with different bytes: "
        f"{len(results.etag_mismatches)}"
    )
    print(
        f"writes: {len(events)} (" + ", ".join(f"{k}: {n}" for k, n in sorted(ops.items())) + ")"
    )
    if finite:
        print(
            f"write -> served: median {statistics.median(finite):.2f} s, "
            f"p99 {finite[int(len(finite) * 0.99) - 1 if len(finite) > 1 else 0]:.2f} s, "
            f"max {finite[-1]:.2f} s over {len(delays)} checked writes; "
            f"late (> {args.max_delay:.1f} s): {len(late)}"
        )
    print(
        f"articles whose id or published date changed: {len(changed)} "
        f"(of {len({n for _, n in results.identities})} followed)"
    )
    print(f"ids given to more than one article: {len(shared)}")
    tracebacks = server_log.count("Traceback")
    print(f"tracebacks in the server log: {tracebacks}")
    failures = []
    if five_xx:
        failures.append(f"{five_xx} 5xx responses")
    if results.connection_errors:
        failures.append(f"connection errors {dict(results.connection_errors)}")
    if results.bad_bodies:
        failures.append(f"bad bodies, e.g. {results.bad_bodies[:3]}")
    if results.etag_mismatches:
        failures.append(f"ETag with different bytes, e.g. {results.etag_mismatches[:3]}")
    if late:
        failures.append(f"{len(late)} writes served late, e.g. {late[:5]}")
    if changed:
        sample = dict(list(changed.items())[:3])
        failures.append(f"ids or dates changed: {sample}")
    if shared:
        failures.append(f"ids shared by different articles: {dict(list(shared.items())[:3])}")
    if not events or not results.observations:
        failures.append("no churn or no observation: the run proves nothing")
    if tracebacks:
        failures.append("tracebacks in the server log")
    for failure in failures:
        print(f"FAIL: {failure}")
    if failures or args.keep:
        print(f"kept for inspection: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    print("PASS" if not failures else "FAIL")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
