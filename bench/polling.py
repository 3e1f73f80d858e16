"""Benchmark feedsvc for pollers, against a minimal Flask floor measured in the same run.

    python bench/polling.py            # 100, 1,000, 10,000 and 100,000 articles, 3 rounds
    python bench/polling.py --smoke    # the same steps on 100 and 1,000 articles, short (CI)

Corpora of generated Markdown articles; `feedsvc serve` (gunicorn gthread,
2 workers, the settings of `feedsvc serve`) on loopback; load from wrk when
installed, else a bounded Python keep-alive client. The floor is a Flask app
on the same gunicorn settings returning the same /feed.atom bytes and ETag
from memory (304 on an exact If-None-Match). Printed as ratios to the floor:
/feed.atom 200 and 304 req/s, req/s at the largest corpus against the
smallest, time until visible and server CPU of one edit and of one added
article at each corpus (with the ratio to the smallest corpus's: the cost of a
one-file change must not grow with the corpus),
gzip bytes against identity; nginx serving the output of `feedsvc build` of
one corpus (--static-size, 10,000) on the same machine, the limit a static site
reaches; memory of all server processes. Every run is bounded in time.
"""

from __future__ import annotations

import argparse
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
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _support import free_port  # bench/ is sys.path[0] when a script runs

ROOT = Path(__file__).resolve().parent.parent
WORDS = [
    "harbour",
    "bridge",
    "market",
    "river",
    "library",
    "night",
    "tram",
    "depot",
    "stall",
    "queue",
    "volunteer",
    "city",
    "food",
    "council",
    "ferry",
    "school",
    "garden",
    "festival",
    "budget",
    "repair",
]
THREADS = 4  # `feedsvc serve` default
NEWEST = datetime(2025, 6, 1, 12, tzinfo=UTC)


def make_corpus(root: Path, count: int, seed: int = 5) -> None:
    """Write COUNT Markdown articles under ROOT, 500 to a folder, deterministically."""
    rng = random.Random(seed)
    for i in range(count):
        folder = root / f"{i // 500:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        body = "\n\n".join(" ".join(rng.choice(WORDS) for _ in range(40)) for _ in range(4))
        date = NEWEST - timedelta(hours=i)  # article 0 is the newest, first in the feed
        tags = ", ".join(sorted({rng.choice(WORDS), rng.choice(WORDS)}))
        (folder / f"article-{i:05d}.md").write_text(
            f"---\ntitle: Article {i} about the {rng.choice(WORDS)}\n"
            f"date: {date:%Y-%m-%dT%H:%M:%SZ}\n"
            f"tags: [{tags}]\n---\n\n{body}\n",
            encoding="utf-8",
        )
    past = time.time() - 60  # settled: as if written a minute ago
    for path in root.rglob("*.md"):
        os.utime(path, (past, past))


@dataclass
class Process:
    """A gunicorn server we started, and where it logs."""

    popen: subprocess.Popen
    port: int
    log: Path

    def pids(self) -> list[int]:
        """Return the arbiter's pid and its workers'."""
        children = Path(f"/proc/{self.popen.pid}/task/{self.popen.pid}/children")
        try:
            return [self.popen.pid, *map(int, children.read_text().split())]
        except OSError:
            return [self.popen.pid]

    def cpu(self) -> float:
        """Return the CPU seconds (user + system) of the arbiter and workers so far."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / tick

    def stop(self) -> None:
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


def start(
    command: list[str], env: dict[str, str], workdir: Path, name: str, workers: int
) -> Process:
    """Start a server, wait until all its workers are ready (at most 120 s)."""
    port = free_port()
    log = workdir / f"{name}.log"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FEEDSVC_")}
    environment.update(env)
    with open(log, "wb") as out:
        popen = subprocess.Popen(
            [*command, "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=environment,
            cwd=workdir,
        )
    process = Process(popen, port, log)  # started
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            raise RuntimeError(f"{name} exited:\n{log.read_text()[-2000:]}")
        if log.read_text(errors="replace").count(" ready: ") >= workers:
            return process
        time.sleep(0.1)
    process.stop()
    raise RuntimeError(f"{name} not ready in 120 s")


def get(
    port: int, path: str = "/feed.atom", headers: dict[str, str] | None = None
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """Return status, headers (names in any case: granian sends them lower case), body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.msg, response.read()
    finally:
        connection.close()


def load(
    port: int, seconds: float, headers: dict[str, str], connections: int
) -> tuple[float, int]:
    """Return requests per second on /feed.atom for SECONDS and the number of requests."""
    url = f"http://127.0.0.1:{port}/feed.atom"
    if shutil.which("wrk"):
        command = [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "5s",
        ]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        out = subprocess.run(
            [*command, url], capture_output=True, text=True, timeout=seconds + 30, check=True
        ).stdout
        if "Non-2xx or 3xx" in out or "Socket errors" in out:
            print(f"    wrk reported errors:\n{out}", file=sys.stderr)
        return (
            float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            int(re.search(r"(\d+) requests in", out).group(1)),
        )
    return python_load(port, seconds, headers, connections)


def python_load(
    port: int, seconds: float, headers: dict[str, str], connections: int
) -> tuple[float, int]:
    """A bounded keep-alive client in threads: the fallback when wrk is missing."""
    deadline = time.monotonic() + seconds
    counts = [0] * connections

    def worker(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() < deadline:
            connection.request("GET", "/feed.atom", headers=headers)
            connection.getresponse().read()
            counts[index] += 1
        connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 30)
    return sum(counts) / (time.monotonic() - started), sum(counts)


def nginx(root: Path, workdir: Path, workers: int) -> Process | None:
    """Start nginx serving ROOT on a free port (None when nginx is not installed)."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        return None
    port = free_port()
    prefix = workdir / "nginx"
    for name in ("logs", "tmp"):
        (prefix / name).mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    # The types `feedsvc serve` sends for what the bench fetches (see deploy/nginx-static.conf).
    conf.write_text(f"""
daemon off; worker_processes {workers}; pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {prefix}/tmp/body; proxy_temp_path {prefix}/tmp/proxy;
  fastcgi_temp_path {prefix}/tmp/fcgi; uwsgi_temp_path {prefix}/tmp/uwsgi;
  scgi_temp_path {prefix}/tmp/scgi;
  types {{ application/atom+xml atom; text/html html; }}
  charset utf-8; charset_types application/atom+xml text/html;
  server {{ listen 127.0.0.1:{port}; root {root}; index index.html; }}
}}
""")
    log = workdir / "nginx.log"
    with open(log, "wb") as out:
        popen = subprocess.Popen(
            [binary, "-p", str(prefix), "-c", str(conf)], stdout=out, stderr=subprocess.STDOUT
        )
    process = Process(popen, port, log)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if get(port)[0] == 200:
                return process
        except OSError:
            time.sleep(0.05)
    process.stop()
    raise RuntimeError(f"nginx did not answer:\n{log.read_text()}")


def memory(process: Process) -> tuple[float, float]:
    """Return the RSS and PSS of every process of the server, in MiB."""
    rss = pss = 0
    for pid in process.pids():
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        rss += int(re.search(r"^Rss:\s+(\d+)", text, re.M).group(1))
        pss += int(re.search(r"^Pss:\s+(\d+)", text, re.M).group(1))
    return rss / 1024, pss / 1024


FLOOR = """
import json
import os
import sys
from flask import Flask, Response, request
from feedsvc.web.server import Server, options

body = open(sys.argv[1], "rb").read()
etag, workers, port = sys.argv[2], int(sys.argv[3]), int(sys.argv[5])  # argv[4]: --port
headers = {"Content-Type": "application/atom+xml; charset=utf-8", "ETag": etag}
headers_304 = {"ETag": etag}
if os.environ.get("FLOOR_HEADERS"):  # the variant that sends every header feedsvc sends
    headers = json.loads(os.environ["FLOOR_HEADERS"])
    headers_304 = {k: v for k, v in headers.items() if k in ("ETag", "Vary", "Cache-Control")}
app = Flask("floor")

@app.route("/feed.atom")
def feed():
    if request.headers.get("If-None-Match") == etag:
        return Response(status=304, headers=headers_304)
    return Response(body, headers=headers)

class Floor(Server):
    def load(self):
        print(" ready: floor", flush=True)
        return app

Floor({**options("127.0.0.1", port, workers, THREADS), "proc_name": "floor"}, lambda: app).run()
""".replace("THREADS", str(THREADS))


@dataclass
class Figures:
    rates: dict[str, list[float]] = field(default_factory=dict)
    edits: dict[int, dict[str, list[float]]] = field(default_factory=dict)  # by corpus size
    memory: dict[str, tuple[float, float]] = field(default_factory=dict)
    static: dict[str, str] = field(default_factory=dict)
    idle_cpu: dict[str, float] = field(default_factory=dict)
    sizes: dict[str, tuple[int, int]] = field(default_factory=dict)

    def add(self, key: str, value: float) -> None:
        self.rates.setdefault(key, []).append(value)

    def median(self, key: str) -> float:
        return statistics.median(self.rates[key])


def serve(corpus: Path, workdir: Path, name: str, workers: int, watch: str = "auto") -> Process:
    return start(
        [
            sys.executable,
            "-m",
            "feedsvc",
            "serve",
            "--articles",
            str(corpus),
            "--host",
            "127.0.0.1",
            "--workers",
            str(workers),
            "--threads",
            str(THREADS),
        ],
        {
            "FEEDSVC_STATE": str(workdir / f"{name}.sqlite3"),
            "FEEDSVC_WATCH": watch,
            "FEEDSVC_BASE_URL": "http://bench.example.org/",
        },
        workdir,
        name,
        workers,
    )


def measure_edits(server: Process, corpus: Path, edits: int, figures: Figures, size: int) -> None:
    """Time EDITS edits of one article, then EDITS new articles, until all workers show each.

    Also their server CPU, less that of the same polling without a change.
    """
    found = figures.edits.setdefault(size, {})
    for key in ("seconds", "cpu", "raw", "add seconds", "add cpu", "add raw"):
        found.setdefault(key, [])
    newest = corpus / "000" / "article-00000.md"  # the newest date: first in the feed
    original = newest.read_text(encoding="utf-8")
    added = []
    poll = 0.01

    def watch(marker: bytes | None, limit: float) -> float:
        """Poll until 10 answers in a row carry MARKER (or for LIMIT s when None)."""
        started, streak = time.monotonic(), 0
        while time.monotonic() - started < limit:
            if marker is not None and marker in get(server.port)[2]:
                streak += 1
                if streak == 10:
                    return time.monotonic() - started
            else:
                get(server.port)
                streak = 0
            time.sleep(poll)
        if marker is not None:
            raise RuntimeError(f"edit not visible within {limit} s")
        return limit

    for n in range(edits * 2):
        time.sleep(1.0)  # let the previous edit settle
        marker = f"edited-{n}-{time.time_ns()}".encode()
        text = original.replace("\n\n", f"\n\n{marker.decode()} ", 1)
        target, prefix = newest, ""
        if n >= edits:  # a new article, newer than all: first in the feed
            target, prefix = newest.with_name(f"added-{n}.md"), "add "
            date = NEWEST + timedelta(hours=n)
            text = re.sub(r"(?m)^date: .*$", f"date: {date:%Y-%m-%dT%H:%M:%SZ}", text, count=1)
            added.append(target)
        before = server.cpu()
        started = time.monotonic()
        temporary = newest.with_name(".edit.tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, target)  # as editors save: a new file renamed over the old
        first = None
        while time.monotonic() - started < 10:
            if marker in get(server.port)[2]:
                first = time.monotonic() - started
                break
            time.sleep(poll)
        if first is None:
            raise RuntimeError("edit not visible within 10 s")
        watch(marker, 10)
        window = time.monotonic() - started
        spent = server.cpu() - before
        idle_before = server.cpu()
        watch(None, window)  # the same polling with no edit: what the polls alone cost
        idle = server.cpu() - idle_before
        found[f"{prefix}seconds"].append(first)
        found[f"{prefix}raw"].append(spent)
        found[f"{prefix}cpu"].append(max(0.0, spent - idle))
    newest.write_text(original, encoding="utf-8")
    for path in added:
        path.unlink()


def build(corpus: Path, workdir: Path, size: int, figures: Figures) -> Path:
    """Run `feedsvc build` on CORPUS, on the store its server then uses; return the site."""
    site = workdir / f"site-{size}"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FEEDSVC_")}
    environment["FEEDSVC_STATE"] = str(workdir / f"feedsvc-{size}.sqlite3")
    environment["FEEDSVC_BASE_URL"] = "http://bench.example.org/"
    started = time.monotonic()
    command = [sys.executable, "-m", "feedsvc", "build", str(site), "--articles", str(corpus)]
    subprocess.run([*command, "-q"], env=environment, check=True, timeout=3600)
    figures.static["feedsvc build"] = f"{size:,} articles in {time.monotonic() - started:.1f} s"
    return site


def idle_cpu(server: Process, seconds: float) -> float:
    """Return the server's CPU seconds per second while nobody asks anything."""
    before = server.cpu()
    time.sleep(seconds)
    return (server.cpu() - before) / seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="short runs, one round (CI)")
    parser.add_argument(
        "--sizes", default=None, help="corpus sizes [100,1000,10000,100000; smoke: 100,1000]"
    )
    parser.add_argument(
        "--static-size",
        type=int,
        default=10_000,
        help="the corpus nginx serves the `feedsvc build` output of (the nearest size) [10000]",
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per load run")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; medians are quoted")
    parser.add_argument("--edits", type=int, default=5, help="edits timed at each size")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--connections",
        type=int,
        default=8,
        help="concurrent keep-alive connections (default workers x threads)",
    )
    parser.add_argument(
        "--compare-poll",
        action="store_true",
        help="also measure WATCH=poll (stat scan each second) at the largest size",
    )
    args = parser.parse_args()
    if args.smoke:
        args.seconds, args.rounds, args.edits = 1.0, 1, 2
    default = "100,1000" if args.smoke else "100,1000,10000,100000"
    sizes = [int(s) for s in (args.sizes or default).split(",")]
    largest = max(sizes)
    static_size = min(sizes, key=lambda size: abs(size - args.static_size))
    client = "wrk" if shutil.which("wrk") else "python client"
    print(
        f"feedsvc polling bench: sizes {sizes}, {args.workers} workers x {THREADS} threads, "
        f"{args.connections} connections, {args.seconds:g} s per run, {args.rounds} round(s), "
        f"load from {client}, {os.cpu_count()} CPUs",
        flush=True,
    )
    figures = Figures()
    with tempfile.TemporaryDirectory(prefix="feedsvc-bench-") as scratch:
        workdir = Path(scratch)
        corpora = {}
        workdir.chmod(0o755)  # nginx workers may run as another user
        for size in sizes:
            corpora[size] = workdir / f"articles-{size}"
            make_corpus(corpora[size], size)
        site = build(corpora[static_size], workdir, static_size, figures)
        servers = {
            size: serve(corpora[size], workdir, f"feedsvc-{size}", args.workers) for size in sizes
        }
        floor = floor_headers = static = None
        try:
            static = nginx(site, workdir, args.workers)
            status, headers, body = get(
                servers[largest].port, headers={"Accept-Encoding": "identity"}
            )
            assert status == 200
            packed = get(servers[largest].port, headers={"Accept-Encoding": "gzip"})
            figures.sizes["feed.atom"] = (len(body), len(packed[2]))
            (workdir / "feed.atom").write_bytes(body)
            (workdir / "floor.py").write_text(FLOOR)
            floor = start(
                [
                    sys.executable,
                    str(workdir / "floor.py"),
                    str(workdir / "feed.atom"),
                    headers["ETag"],
                    str(args.workers),
                ],
                {},
                workdir,
                "floor",
                args.workers,
            )
            ours = {
                k: v
                for k, v in headers.items()
                if k.lower() not in ("date", "server", "connection", "content-length")
            }
            floor_headers = start(
                [
                    sys.executable,
                    str(workdir / "floor.py"),
                    str(workdir / "feed.atom"),
                    headers["ETag"],
                    str(args.workers),
                ],
                {"FLOOR_HEADERS": json.dumps(ours)},
                workdir,
                "floor-headers",
                args.workers,
            )
            etags = {size: get(servers[size].port)[1]["ETag"] for size in sizes}
            static_targets = []
            if static is not None:
                served = get(static.port)
                same = served[2] == get(servers[static_size].port)[2]
                figures.static["same bytes as serve"] = "yes" if same else "NO"
                static_targets = [("nginx", static, served[1]["ETag"])]
            else:
                figures.static["nginx"] = "not installed (Debian package nginx-light)"
            targets = [
                *static_targets,
                ("floor", floor, headers["ETag"]),
                ("floor-headers", floor_headers, headers["ETag"]),
                *[(f"feedsvc-{s}", servers[s], etags[s]) for s in sizes],
            ]
            for _, process, _ in targets:  # warm up: first requests, lazy renders
                load(process.port, 1, {"Accept-Encoding": "gzip"}, args.connections)
            for round_ in range(args.rounds):
                for name, process, etag in targets:
                    for status, extra in (("200", {}), ("304", {"If-None-Match": etag})):
                        cpu = process.cpu()
                        rate, count = load(process.port, args.seconds, extra, args.connections)
                        figures.add(f"{name} {status}", rate)
                        figures.add(f"{name} {status} cpu", (process.cpu() - cpu) / count)
                print(
                    f"  round {round_ + 1}: "
                    + ", ".join(
                        f"{k} {v[-1]:.0f}" for k, v in figures.rates.items() if "cpu" not in k
                    ),
                    flush=True,
                )
            for size in sizes:
                figures.memory[f"feedsvc-{size}"] = memory(servers[size])
                figures.idle_cpu[f"feedsvc-{size} (notify)"] = idle_cpu(servers[size], 3.0)
            for size in sizes:
                measure_edits(servers[size], corpora[size], args.edits, figures, size)
        finally:
            for process in [*servers.values(), floor, floor_headers, static]:
                if process is None:
                    continue
                process.stop()
        if args.compare_poll:
            polled = serve(corpora[largest], workdir, "feedsvc-poll", args.workers, watch="poll")
            try:
                figures.idle_cpu[f"feedsvc-{largest} (poll)"] = idle_cpu(polled, 5.0)
                etag = get(polled.port)[1]["ETag"]
                load(polled.port, 1, {}, args.connections)
                for _ in range(args.rounds):
                    for status, extra in (("200", {}), ("304", {"If-None-Match": etag})):
                        cpu = polled.cpu()
                        rate, count = load(polled.port, args.seconds, extra, args.connections)
                        figures.add(f"poll {status}", rate)
                        figures.add(f"poll {status} cpu", (polled.cpu() - cpu) / count)
            finally:
                polled.stop()
    return report(figures, sizes, args, static_size)


def report(figures: Figures, sizes: list[int], args: argparse.Namespace, static_size: int) -> int:
    smallest, largest = min(sizes), max(sizes)
    floor200, floor304 = figures.median("floor 200"), figures.median("floor 304")
    rows = []

    def row(label: str, value: str, ratio: float | None, target: str, ok: bool | None) -> None:
        rows.append(
            (
                label,
                value,
                "" if ratio is None else f"{ratio:.2f}x",
                target,
                "" if ok is None else ("ok" if ok else "MISSED"),
            )
        )

    row("floor /feed.atom 200", f"{floor200:,.0f} req/s", 1.0, "", None)
    row("floor /feed.atom 304", f"{floor304:,.0f} req/s", 1.0, "", None)
    for size in sizes:
        for status, floor in (("200", floor200), ("304", floor304)):
            value = figures.median(f"feedsvc-{size} {status}")
            row(
                f"feedsvc {size:,} articles {status}",
                f"{value:,.0f} req/s",
                value / floor,
                ">= 0.90x floor",
                value / floor >= 0.9,
            )
    if "nginx 200" in figures.rates:
        for status, target in (("200", 0.6), ("304", 0.3)):
            static = figures.median(f"nginx {status}")
            row(f"nginx static {static_size:,} {status}", f"{static:,.0f} req/s", 1.0, "", None)
            for size in sizes:
                value = figures.median(f"feedsvc-{size} {status}")
                ok = value / static >= target if size == static_size else None
                row(
                    f"feedsvc {size:,} {status} vs nginx static",
                    "",
                    value / static,
                    f">= {target:.2f}x nginx" if size == static_size else "",
                    ok,
                )
    for status in ("200", "304"):
        value = figures.median(f"floor-headers {status}")
        row(f"floor with our headers {status}", f"{value:,.0f} req/s", None, "", None)
        floor_cpu = figures.median(f"floor-headers {status} cpu")
        row(
            f"floor with our headers {status} CPU per request",
            f"{floor_cpu * 1e6:.0f} us",
            None,
            "",
            None,
        )
        for size in sizes:
            cpu = figures.median(f"feedsvc-{size} {status} cpu")
            row(
                f"feedsvc {size:,} {status} CPU vs floor with our headers",
                "",
                floor_cpu / cpu,
                "",
                None,
            )
    for status in ("200", "304"):
        floor_cpu = figures.median(f"floor {status} cpu")
        row(f"floor {status} server CPU per request", f"{floor_cpu * 1e6:.0f} us", 1.0, "", None)
        for size in sizes:
            cpu = figures.median(f"feedsvc-{size} {status} cpu")
            # requests per CPU-second, as a ratio: what req/s would be on idle cores
            row(
                f"feedsvc {size:,} {status} server CPU per request",
                f"{cpu * 1e6:.0f} us",
                floor_cpu / cpu,
                ">= 0.90x floor",
                floor_cpu / cpu >= 0.9,
            )
    for status in ("200", "304"):
        ratio = figures.median(f"feedsvc-{largest} {status}") / figures.median(
            f"feedsvc-{smallest} {status}"
        )
        row(
            f"{largest:,} vs {smallest:,} articles {status}",
            "req/s",
            ratio,
            ">= 0.90x",
            ratio >= 0.9,
        )
        ratio = figures.median(f"feedsvc-{smallest} {status} cpu") / figures.median(
            f"feedsvc-{largest} {status} cpu"
        )
        row(
            f"{largest:,} vs {smallest:,} articles {status}",
            "requests per CPU-second",
            ratio,
            ">= 0.90x",
            ratio >= 0.9,
        )
    for what, prefix in (("edit", ""), ("add", "add ")):
        if not figures.edits:
            break
        base = {k: statistics.median(figures.edits[smallest][f"{prefix}{k}"]) for k in
                ("seconds", "cpu", "raw")}  # fmt: skip
        for size, edits in figures.edits.items():
            seconds, cpu, raw = (
                statistics.median(edits[f"{prefix}{k}"]) for k in ("seconds", "cpu", "raw")
            )
            row(
                f"{what} to visible at {size:,}",
                f"{seconds * 1000:.0f} ms",
                seconds / base["seconds"],
                "<= 500 ms",
                seconds <= 0.5,
            )
            # /proc counts CPU in ticks (10 ms): a smallest corpus at 0 ms (or a float's
            # residue of a subtraction) has no ratio
            row(
                f"server CPU per {what} at {size:,}",
                f"{cpu * 1000:.0f} ms (raw {raw * 1000:.0f} ms, all workers)",
                cpu / base["cpu"] if round(base["cpu"] * 1000) > 0 else None,
                "<= 50 ms",
                round(cpu * 1000) <= 50,  # /proc ticks: 50 ms may read 0.05000000001
            )
            row(
                f"server CPU per {what} at {size:,}, polls included",
                f"{raw * 1000:.0f} ms",
                raw / base["raw"] if round(base["raw"] * 1000) > 0 else None,
                "",
                None,
            )
    for name, (rss, pss) in figures.memory.items():
        row(
            f"memory {name}, all processes",
            f"RSS {rss:.0f} MiB, PSS {pss:.0f} MiB",
            None,
            "",
            None,
        )
    for name, value in figures.static.items():
        row(name, value, None, "", None)
    identity, packed = figures.sizes["feed.atom"]
    row(
        "gzip vs identity bytes",
        f"{packed:,} / {identity:,} B",
        packed / identity,
        "<= 0.30x",
        packed / identity <= 0.3,
    )
    for name, value in figures.idle_cpu.items():
        row(f"idle CPU {name}", f"{value * 1000:.1f} ms/s", None, "", None)
    if "poll 200" in figures.rates:
        for status in ("200", "304"):
            value = figures.median(f"poll {status}")
            ratio = value / figures.median(f"feedsvc-{smallest} {status}")
            row(
                f"WATCH=poll {largest:,} vs {smallest:,} {status}",
                f"{value:,.0f} req/s",
                ratio,
                "",
                None,
            )
            cpu = figures.median(f"poll {status} cpu")
            row(
                f"WATCH=poll {largest:,} {status} server CPU per request",
                f"{cpu * 1e6:.0f} us",
                None,
                "",
                None,
            )
    width = [max(len(r[i]) for r in rows) for i in range(5)]
    print(
        f"\nmedians of {args.rounds} round(s); edit times (ms): "
        + "; ".join(
            f"{size:,}: {', '.join(f'{s * 1000:.0f}' for s in edits['seconds'])}"
            f" (adds {', '.join(f'{s * 1000:.0f}' for s in edits['add seconds'])})"
            for size, edits in figures.edits.items()
        )
        + "; edit ratios are against the smallest corpus"
    )
    for r in rows:
        print("  ".join(cell.ljust(width[i]) for i, cell in enumerate(r)).rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
