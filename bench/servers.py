"""Choose the production server by measurement: granian and gunicorn, against nginx static.

    python bench/servers.py            # 10,000 articles, 5 s runs, 3 rounds, medians
    python bench/servers.py --smoke    # 100 articles, short runs, one round (CI: seconds)

Each candidate runs `feedsvc serve` (2 workers x 4 threads, loopback) on the same
generated corpus; nginx serves the same /feed.atom bytes from a file (what
`feedsvc build` writes: tests/test_build.py holds build == serve), the ceiling a
static site reaches. Measured in the same run, for each: /feed.atom 200 and 304
requests per second (wrk, else a bounded Python client) and server CPU per
request; a normal poller's 304 req/s while 64 and 256 connections send their
headers slowly, against the same poller just before, and whether the server
closes those; memory of every server
process (RSS and PSS); a reload (SIGHUP) during a poll loop (errors, 5xx, the
slowest answer); whether requests are logged in the combined format. Ratios are
against nginx and against gunicorn (what `feedsvc serve` ran before).
"""

from __future__ import annotations

import argparse
import http.client
import re
import shutil
import signal
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from polling import Process, get, load, make_corpus, memory, nginx, start  # bench/: sys.path[0]

SERVERS = ("granian", "gunicorn")
COMBINED = re.compile(r'\] "GET /feed\.atom\?logged HTTP/1\.1" 200 (-|\d+) "-" "bench/1"')


def serve(corpus: Path, workdir: Path, name: str, workers: int, threads: int) -> Process:
    command = [sys.executable, "-m", "feedsvc", "serve", "--articles", str(corpus)]
    command += ["--workers", str(workers), "--threads", str(threads), "--server", name]
    env = {
        "FEEDSVC_STATE": str(workdir / f"{name}.sqlite3"),
        "FEEDSVC_BASE_URL": "http://bench.example.org/",
    }
    return start(command, env, workdir, name, workers)


class Slow:
    """COUNT connections sending a request's headers one short line every 0.5 s."""

    def __init__(self, port: int, count: int, limit: float):
        self.sockets = []
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"GET /feed.atom HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            self.sockets.append(sock)
        self.closed: dict[int, float] = {}
        self.started = time.monotonic()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._trickle, args=(limit,), daemon=True)
        self.thread.start()

    def _trickle(self, limit: float) -> None:
        for step in range(int(limit / 0.5) + 1):
            if self.stop.wait(0.5) or len(self.closed) == len(self.sockets):
                return
            for index, sock in enumerate(self.sockets):
                if index not in self.closed:
                    try:
                        sock.sendall(f"X-Slow-{step}: a\r\n".encode())
                    except OSError:
                        self.closed[index] = time.monotonic() - self.started

    def wait_closed(self, limit: float) -> float | None:
        """Return seconds until the server closed every slow connection, None if not in LIMIT."""
        self.thread.join(max(0.0, limit - (time.monotonic() - self.started)) + 1)
        return max(self.closed.values()) if len(self.closed) == len(self.sockets) else None

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        for sock in self.sockets:
            sock.close()


def reload_during_polls(process: Process, seconds: float) -> tuple[int, int, int, float]:
    """SIGHUP the server while 4 clients poll; return requests, errors, 5xx, slowest answer."""
    results: list[tuple[int | str, float]] = []
    done = threading.Event()

    def poll() -> None:
        for _ in range(20_000):
            if done.is_set():
                return
            started = time.monotonic()
            try:
                connection = http.client.HTTPConnection("127.0.0.1", process.port, timeout=10)
                connection.request("GET", "/feed.atom")
                response = connection.getresponse()
                response.read()
                connection.close()
                results.append((response.status, time.monotonic() - started))
            except OSError as e:
                results.append((type(e).__name__, time.monotonic() - started))
            time.sleep(0.005)

    threads = [threading.Thread(target=poll) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    process.popen.send_signal(signal.SIGHUP)
    time.sleep(seconds)
    done.set()
    for thread in threads:
        thread.join(15)
    errors = sum(1 for status, _ in results if isinstance(status, str))
    server_errors = sum(1 for status, _ in results if isinstance(status, int) and status >= 500)
    return len(results), errors, server_errors, max(t for _, t in results)


def logs_combined(process: Process) -> bool:
    get(process.port, "/feed.atom?logged", {"User-Agent": "bench/1"})
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if COMBINED.search(process.log.read_text(errors="replace")):
            return True
        time.sleep(0.1)
    return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="100 articles, short runs (CI)")
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per load run")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; medians are quoted")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--slow", default="64,256", help="slow connection counts")
    args = parser.parse_args()
    if args.smoke:
        args.articles, args.seconds, args.rounds, args.slow = 100, 1.0, 1, "64"
    slow_counts = [int(n) for n in args.slow.split(",")]
    client = "wrk" if shutil.which("wrk") else "python client"
    print(
        f"server bench: {args.articles:,} articles, {args.workers} workers x {args.threads} "
        f"threads, {args.connections} connections, {args.seconds:g} s runs, {args.rounds} "
        f"round(s), load from {client}, {len(slow_counts)} slow-client runs",
        flush=True,
    )
    rates: dict[str, list[float]] = {}
    facts: dict[str, dict[str, str]] = {}
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="feedsvc-servers-") as scratch:
        workdir = Path(scratch)
        workdir.chmod(0o755)  # nginx workers may run as another user
        corpus = workdir / "articles"
        make_corpus(corpus, args.articles)
        targets: dict[str, Process] = {}
        try:
            for name in SERVERS:
                targets[name] = serve(corpus, workdir, name, args.workers, args.threads)
            status, headers, body = get(targets["granian"].port)
            assert status == 200, status
            site = workdir / "site"
            site.mkdir()
            (site / "feed.atom").write_bytes(body)  # the bytes `feedsvc build` writes
            static = nginx(site, workdir, args.workers)
            if static is not None:
                targets["nginx"] = static
            etags = {}
            for name, process in targets.items():
                status, headers, _ = get(process.port)
                assert status == 200 and "ETag" in headers, (name, status, dict(headers))
                etags[name] = headers["ETag"]
            for name, process in targets.items():
                assert get(process.port)[2] == body, f"{name} serves other bytes"
                load(process.port, 1, {}, args.connections)  # warm up
            for round_ in range(args.rounds):
                for name, process in targets.items():
                    for status, extra in (("200", {}), ("304", {"If-None-Match": etags[name]})):
                        cpu = process.cpu()
                        rate, count = load(process.port, args.seconds, extra, args.connections)
                        rates.setdefault(f"{name} {status}", []).append(rate)
                        rates.setdefault(f"{name} {status} cpu", []).append(
                            (process.cpu() - cpu) / max(1, count)
                        )
                print(f"  round {round_ + 1} done", flush=True)
            for name in SERVERS:
                process = targets[name]
                fact = facts.setdefault(name, {})
                rss, pss = memory(process)
                fact["memory"] = f"RSS {rss:.0f} MiB, PSS {pss:.0f} MiB"
                fact["access log"] = "combined" if logs_combined(process) else "MISSING"
                if name == "granian" and fact["access log"] != "combined":
                    failures.append("granian: no combined access-log line")
                for count in slow_counts:
                    limit = 2.0 if args.smoke else 20.0
                    alone, _ = load(  # the same poller just before: its own baseline
                        process.port,
                        args.seconds,
                        {"If-None-Match": etags[name]},
                        args.connections,
                    )
                    rates.setdefault(f"{name} alone{count}", []).append(alone)
                    slow = Slow(process.port, count, limit)
                    try:
                        time.sleep(0.5)
                        rate, _ = load(
                            process.port,
                            args.seconds,
                            {"If-None-Match": etags[name]},
                            args.connections,
                        )
                        rates.setdefault(f"{name} slow{count}", []).append(rate)
                        closed = None if args.smoke else slow.wait_closed(limit)
                    finally:
                        slow.close()
                    fact[f"{count} slow: all closed"] = (
                        "not waited (smoke)"
                        if args.smoke
                        else (f"within {closed:.1f} s" if closed else f"not within {limit:.0f} s")
                    )
                    if name == "granian" and rate == 0:
                        failures.append(f"granian answered nothing with {count} slow connections")
                    time.sleep(1.0)  # let the server settle (gunicorn drains its queue)
                requests, errors, server_errors, slowest = reload_during_polls(
                    process, 3.0 if args.smoke else 6.0
                )
                fact["reload (SIGHUP) during polls"] = (
                    f"{requests} requests, {errors} connection errors, {server_errors} 5xx, "
                    f"slowest {slowest * 1000:.0f} ms"
                )
                if name == "granian" and errors + server_errors:
                    failures.append("granian lost requests during a reload")
        finally:
            for process in targets.values():
                process.stop()
    report(rates, facts, args, slow_counts)
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


def report(
    rates: dict[str, list[float]],
    facts: dict[str, dict[str, str]],
    args: argparse.Namespace,
    slow_counts: list[int],
) -> None:
    def median(key: str) -> float | None:
        return statistics.median(rates[key]) if key in rates else None

    print(f"\nmedians of {args.rounds} round(s), {args.articles:,} articles, /feed.atom")
    rows = [("measure", "nginx static", *SERVERS, "granian / gunicorn", "granian / nginx")]
    for what in ("200", "304"):
        values = [median(f"{n} {what}") for n in ("nginx", *SERVERS)]
        cpu = [median(f"{n} {what} cpu") for n in ("nginx", *SERVERS)]
        rows.append(
            (
                f"{what} req/s",
                *(f"{v:,.0f}" if v is not None else "-" for v in values),
                f"{values[1] / values[2]:.2f}x",
                f"{values[1] / values[0]:.2f}x" if values[0] else "-",
            )
        )
        rows.append(
            (
                f"{what} server CPU per request",
                *(f"{c * 1e6:.0f} us" if c is not None else "-" for c in cpu),
                f"{cpu[2] / cpu[1]:.2f}x fewer" if cpu[1] else "-",
                "",
            )
        )
    for count in slow_counts:
        base = [median(f"{n} alone{count}") for n in SERVERS]
        slow = [median(f"{n} slow{count}") for n in SERVERS]
        rows.append(
            (
                f"304 req/s with {count} slow connections (vs just before)",
                "",
                *(f"{s:,.0f} ({s / b:.2f}x)" for s, b in zip(slow, base, strict=True)),
                "",
                "",
            )
        )
    width = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(cell.ljust(width[i]) for i, cell in enumerate(r)).rstrip())
    for name, fact in facts.items():
        for key, value in fact.items():
            print(f"{name}: {key}: {value}")


if __name__ == "__main__":
    sys.exit(main())
