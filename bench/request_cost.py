"""What one poll costs in the worker's Python: the WSGI stack `feedsvc serve` runs, in-process.

A server-level bench (``polling.py``) swings by a fifth between runs on a shared
machine; this one times only the Python a request runs, the part feedsvc's code
decides, so a change to it shows. It builds the app as a granian worker does
(``create_app``, the access log in batches written to /dev/null, ``direct.Direct``
in front of Flask's ``wsgi_app``) on a generated corpus, then calls it as granian
does, with a request scope as granian makes one (the request's CGI keys and header
fields) and a stand-in for granian's protocol object, for:

- ``/feed.atom`` 304 (a poll sending back the ETag) and 200, and HEAD;
- a permalink page 200;

and, in the same run, a WSGI app that answers the same status and headers from
constants, behind the same access log and ``Direct`` (the floor: what any app pays
through the WSGI stack), and the same stack through granian's own WSGI wrapper
(what ``feedsvc serve`` ran before ``Direct``: an environ of the whole process
environment per request). It prints the best of ROUNDS runs in microseconds per
call, and the ratios to the floor and to granian's wrapper.

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
from http import HTTPStatus
from pathlib import Path
from typing import Any

from coldload import make_corpus  # bench/: sys.path[0]

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def scope(target: str, method: str = "GET", **headers: str) -> dict[str, Any]:
    """Return a request's scope as granian 2.8 hands it to a WSGI worker's callable."""
    path, _, query = target.partition("?")
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_USER_AGENT": "poller/1.0",
        **headers,
    }


class Proto:
    """What a granian WSGI protocol object is to the callable: where the answer goes."""

    def __init__(self) -> None:
        self.answer: tuple[int, list[tuple[str, str]], bytes] = (0, [], b"")

    def response_bytes(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.answer = (status, headers, body)

    def response_iter(self, status: int, headers: list[tuple[str, str]], body: Any) -> None:
        self.answer = (status, headers, b"".join(iter(body.__next__, None)))  # as granian
        body.close()


Runner = Callable[[Proto, dict[str, Any]], int]


def timed(runner: Runner, request: dict[str, Any], calls: int) -> float:
    """Return the microseconds one call of RUNNER on a copy of REQUEST takes, over CALLS."""
    proto = Proto()
    started = time.perf_counter()
    for _ in range(calls):
        runner(proto, request.copy())
    return (time.perf_counter() - started) / calls * 1e6


def answer_of(runner: Runner, request: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    """Return the status, headers and body RUNNER answers REQUEST with."""
    proto = Proto()
    runner(proto, request.copy())
    return proto.answer


def floor_of(status: int, headers: list[tuple[str, str]], body: bytes) -> Callable[..., Any]:
    """Return a WSGI app answering STATUS, HEADERS and BODY from constants."""
    line = f"{status} {HTTPStatus(status).phrase}"

    def app(env: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response(line, headers)
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
    from granian.wsgi import _callback_wrapper

    from feedsvc import create_app
    from feedsvc.web.accesslog import BATCH_SECONDS, logged
    from feedsvc.web.direct import Direct

    app = create_app()
    app.extensions["feedsvc"].start_watching()
    devnull = os.open(os.devnull, os.O_WRONLY)
    stack = logged(app.wsgi_app, devnull, batch_seconds=BATCH_SECONDS)  # as granian_server
    runner = Direct(stack)
    runner.use(app)
    status, headers, _ = answer_of(runner, scope("/feed.atom"))
    assert status == 200, status
    etag = dict(headers)["ETag"]
    page = next(a.slug for a in app.extensions["feedsvc"].documents.snapshot.articles if a.slug)
    cases = {
        "/feed.atom 304": scope("/feed.atom", HTTP_IF_NONE_MATCH=etag),
        "/feed.atom 200": scope("/feed.atom"),
        "/feed.atom HEAD": scope("/feed.atom", "HEAD"),
        "permalink 200": scope(f"/articles/{page}"),
    }
    print(
        f"feedsvc request cost: {args.articles:,} articles, best of {args.rounds} rounds "
        f"of {args.calls:,} calls, a granian scope of {len(cases['/feed.atom 200'])} keys"
    )
    failed = False
    wrapper = _callback_wrapper(stack, {}, None)  # granian's, as its worker makes it
    print(
        f"{'request':20} {'feedsvc us':>11} {'floor us':>9} {'ratio':>7} "
        f"{'wrapper us':>11} {'ratio':>7}"
    )
    for name, request in cases.items():
        status, headers, body = answer_of(runner, request)
        floor = Direct(logged(floor_of(status, headers, body), devnull, BATCH_SECONDS))
        if status not in (200, 304) or answer_of(wrapper, request) != (status, headers, body):
            print(f"{name}: answered {status}, or not as through granian's wrapper")
            failed = True
            continue
        ours = min(timed(runner, request, args.calls) for _ in range(args.rounds))
        base = min(timed(floor, request, args.calls) for _ in range(args.rounds))
        before = min(timed(wrapper, request, args.calls) for _ in range(args.rounds))
        print(
            f"{name:20} {ours:11.2f} {base:9.2f} {ours / base:6.2f}x "
            f"{before:11.2f} {ours / before:6.2f}x  ({status})"
        )
    stack.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
