"""Reloads under polls: does a SIGHUP ever cost a request?

    python bench/reloads.py                  # 30 reloads, 4 pollers, 2 workers
    python bench/reloads.py --gap 0.005      # pollers pause up to 5 ms between connect and GET
    python bench/reloads.py --smoke          # 3 reloads, about 10 s, for CI

Starts `feedsvc serve` (granian) on a loopback port over a temporary copy of the
sample articles. --pollers threads each open a new connection per GET /feed.atom
(with --gap, they pause a random 0 to GAP seconds after connecting, as a slow
client does: the instant a worker stops is when such a connection is most at
risk), while the main thread sends SIGHUP --reloads times, each time waiting
until every worker has been replaced. It prints the requests made and every one
that was not a 200, by kind (5xx status, ConnectionResetError,
RemoteDisconnected...), and exits 1 if there was any.

Every loop is bounded in count and time; nothing but loopback is used.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from _support import free_port  # bench/ is sys.path[0] when a script runs

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "articles"
REPLACED = "its replacement"  # the main process logs it once per worker replaced


def get(port: int, gap: float) -> int:
    """GET /feed.atom on a new connection, pausing up to GAP s after connecting; the status."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        if gap:
            connection.connect()
            time.sleep(random.uniform(0, gap))
        connection.request("GET", "/feed.atom")
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reloads", type=int, default=30)
    parser.add_argument("--pollers", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--gap", type=float, default=0.0, help="seconds, at most")
    parser.add_argument("--max-seconds", type=float, default=300.0, help="the whole run, at most")
    parser.add_argument("--smoke", action="store_true", help="3 reloads, with a 5 ms gap")
    args = parser.parse_args(argv)
    if args.smoke:
        args.reloads, args.gap = 3, 0.005

    work = Path(tempfile.mkdtemp(prefix="feedsvc-reloads-"))
    shutil.copytree(SAMPLES, work / "articles")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDSVC_")}
    env["FEEDSVC_STATE"] = str(work / "state.sqlite3")
    log = work / "server.log"
    command = [sys.executable, "-m", "feedsvc", "serve", "--articles", str(work / "articles")]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(args.workers)]
    with open(log, "wb") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=work)

    counts: Counter[int | str] = Counter()
    done = threading.Event()
    end = time.monotonic() + args.max_seconds

    def poll() -> None:
        while not done.is_set() and time.monotonic() < end:
            try:
                counts[get(port, args.gap)] += 1
            except OSError as e:
                counts[type(e).__name__] += 1

    pollers = [threading.Thread(target=poll) for _ in range(args.pollers)]
    reloads = 0
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                get(port, 0)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    print(log.read_text()[-3000:])
                    return 1
                time.sleep(0.1)
        for poller in pollers:
            poller.start()
        time.sleep(0.5)
        for _ in range(args.reloads):
            if time.monotonic() > end:
                break
            want = log.read_text().count(REPLACED) + args.workers
            server.send_signal(signal.SIGHUP)
            wait_until = min(time.monotonic() + 30, end)
            while log.read_text().count(REPLACED) < want and time.monotonic() < wait_until:
                time.sleep(0.05)
            if log.read_text().count(REPLACED) < want:
                print(f"reload {reloads + 1} did not finish within 30 s")
                break
            reloads += 1
            time.sleep(0.5)  # past the last old worker's stop
    finally:
        done.set()
        for poller in pollers:
            if poller.is_alive():
                poller.join(15)
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(work, ignore_errors=True)

    lost = {kind: n for kind, n in counts.items() if kind != 200}
    print(
        f"reloads: {reloads} of {args.reloads} ({args.workers} workers, {args.pollers} pollers,"
        f" gap up to {args.gap * 1000:g} ms); requests: {sum(counts.values())};"
        f" not answered 200: {sum(lost.values())} {dict(lost) if lost else ''}"
    )
    return 1 if lost or reloads < args.reloads else 0


if __name__ == "__main__":
    sys.exit(main())
