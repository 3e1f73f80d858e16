"""What one poll costs in the worker's Python: the WSGI stack `feedsvc serve` runs, in-process.

A server-level bench (``polling.py``) swings by a fifth between runs on a shared
machine; this one times only the Python a request runs, the part feedsvc's code
decides, so a change to it shows. It builds the app as a granian worker does
(``create_app``, the access log in batches written to /dev/null, Flask's
``wsgi_app`` called directly) on a generated corpus, then calls it with an environ
as granian makes one (the process's environment, granian's keys, the request's)
for:

- ``/feed.atom`` 304 (a poll sending back the ETag) and 200, and HEAD;
- a permalink page 200;

and, in the same run, a WSGI app that answers the same status and headers from
constants with the same access-log wrapper (the floor: what any app pays). It prints
the best of ROUNDS medians in microseconds, and the ratio to the floor.

    python bench/request_cost.py              # 1,000 articles, 5 rounds of 20,000 calls
    python bench/request_cost.py --smoke      # 100 articles, 3 rounds of 2,000 (CI)
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from coldload import make_corpus  # bench/: sys.path[0]

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GRANIAN_KEYS = {  # what granian's WSGI wrapper adds to the process's environment
    "GATEWAY_INTERFACE": "CGI/1.1",
    "SCRIPT_NAME": "",
    "SERVER_SOFTWARE": "Granian",
    "wsgi.errors": sys.stderr,
    "wsgi.input_terminated": True,
    "wsgi.multiprocess": False,
    "wsgi.multithread": True,
    "wsgi.run_once": False,
    "wsgi.version": (1, 0),
}


def environ(path: str, method: str = "GET", **headers: str) -> dict[str, Any]:
    env = dict(os.environ) | GRANIAN_KEYS
    env.update(
        {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "REMOTE_PORT": "50000",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(),
            "HTTP_HOST": "127.0.0.1:8000",
            "HTTP_USER_AGENT": "poller/1.0",
        }
    )
    env.update(headers)
    return env


def timed(app: Callable[..., Iterable[bytes]], env: dict[str, Any], calls: int) -> float:
    """Return the microseconds one call of APP on a copy of ENV takes, over CALLS calls."""

    def start_response(status: str, headers: list[tuple[str, str]], *exc: Any) -> None:
        pass

    started = time.perf_counter()
    for _ in range(calls):
        for _chunk in app(env.copy(), start_response):
            pass
    return (time.perf_counter() - started) / calls * 1e6


def answer_of(
    app: Callable[..., Iterable[bytes]], env: dict[str, Any]
) -> tuple[str, list[tuple[str, str]], bytes]:
    """Return the status, headers and body APP answers ENV with."""
    got: list[Any] = []
    body = b"".join(app(env.copy(), lambda status, headers, *exc: got.extend((status, headers))))
    return got[0], got[1], body


def floor_of(status: str, headers: list[tuple[str, str]], body: bytes) -> Callable[..., Any]:
    """Return a WSGI app answering STATUS, HEADERS and BODY from constants."""

    def app(env: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response(status, headers)
        return [body]

    return app


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="100 articles, short (CI)")
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/feedsvc-bench"))
    args = parser.parse_args()
    if args.smoke:
        args.articles, args.rounds, args.calls = 100, 3, 2_000
    corpus = make_corpus(args.workdir / f"corpus-{args.articles}", args.articles)
    scratch = Path(tempfile.mkdtemp(prefix="feedsvc-request-cost-"))
    os.environ.update(
        FEEDSVC_ARTICLES=str(corpus),
        FEEDSVC_STATE=str(scratch / "state.sqlite3"),
        FEEDSVC_BASE_URL="http://bench.example.org/",
    )
    import logging

    logging.disable(logging.WARNING)  # the store's creation notice
    from feedsvc import create_app
    from feedsvc.web.accesslog import BATCH_SECONDS, logged

    app = create_app()
    app.extensions["feedsvc"].start_watching()
    devnull = os.open(os.devnull, os.O_WRONLY)
    stack = logged(app.wsgi_app, devnull, batch_seconds=BATCH_SECONDS)  # as granian_server
    status, headers, _ = answer_of(stack, environ("/feed.atom"))
    assert status.startswith("200"), status
    etag = dict(headers)["ETag"]
    page = next(a.slug for a in app.extensions["feedsvc"].documents.snapshot.articles if a.slug)
    cases = {
        "/feed.atom 304": environ("/feed.atom", HTTP_IF_NONE_MATCH=etag),
        "/feed.atom 200": environ("/feed.atom"),
        "/feed.atom HEAD": environ("/feed.atom", "HEAD"),
        "permalink 200": environ(f"/articles/{page}"),
    }
    print(
        f"feedsvc request cost: {args.articles:,} articles, best of {args.rounds} rounds "
        f"of {args.calls:,} calls, environ of {len(cases['/feed.atom 200'])} keys"
    )
    failed = False
    print(f"{'request':20} {'feedsvc us':>11} {'floor us':>9} {'ratio':>7}")
    for name, env in cases.items():
        status, headers, body = answer_of(stack, env)
        floor = logged(floor_of(status, headers, body), devnull, batch_seconds=BATCH_SECONDS)
        if status[:3] not in ("200", "304"):
            print(f"{name}: answered {status}")
            failed = True
            continue
        ours = min(timed(stack, env, args.calls) for _ in range(args.rounds))
        base = min(timed(floor, env, args.calls) for _ in range(args.rounds))
        print(f"{name:20} {ours:11.2f} {base:9.2f} {ours / base:6.2f}x  ({status})")
    stack.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
