"""Run the app under gunicorn: one app per worker, each watching the folder.

Workers are forked before the app is created (no preload), so each worker
opens its own state store connection and starts its own rescan thread; they
agree on every id and date through the state store, and render the same
bytes from the same files.

gunicorn answers requests it cannot parse (a bad request line, headers too
large, an unknown HTTP version) itself, before any app sees them. Our worker
class lets gunicorn choose the status and log it as before, then sends our own
page for it instead of gunicorn's: it carries our security headers and never
echoes the request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.workers.gthread import ThreadWorker

from .http import malformed_page
from .worker import ready


class Server(BaseApplication):  # type: ignore[misc]  # gunicorn publishes no types
    """gunicorn running the app FACTORY makes (``create_app``) with the given options."""

    def __init__(self, options: dict[str, Any], factory: Callable[[], Flask]):
        self.options = options
        self.factory = factory
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:  # control_socket_disable is new in gunicorn 25
                self.cfg.set(key, value)

    def load(self) -> Flask:
        return ready(self.factory)


class _Captured:
    """Stands in for the client socket while gunicorn writes its error page."""

    def __init__(self) -> None:
        self.data = b""

    def gettimeout(self) -> float:
        return 0.0  # gunicorn then writes with one sendall

    def sendall(self, data: bytes) -> None:
        self.data += data


class Worker(ThreadWorker):  # type: ignore[misc]  # gunicorn publishes no types
    """gunicorn's gthread worker, answering malformed requests with our own pages."""

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        captured = _Captured()
        super().handle_error(req, captured, addr, exc)  # gunicorn picks the status, logs it
        status_line = captured.data.split(b"\r\n", 1)[0]
        parts = status_line.split(b" ", 2)
        if len(parts) == 3 and parts[1].isdigit():
            response = error_response(int(parts[1]), parts[2].decode("latin-1"))
        else:  # not a status line we can read: pass on what gunicorn wrote
            response = captured.data
        try:
            client.sendall(response)
        except OSError:
            self.log.debug("Failed to send error message.")


def error_response(status: int, reason: str) -> bytes:
    """Return the whole HTTP response feedsvc sends for a request gunicorn refused."""
    body, page_headers = malformed_page(status, reason)
    headers = {"Connection": "close", **page_headers}
    head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return (head + "\r\n").encode("latin-1") + body


def worker_exit(server: Any, worker: Any) -> None:
    """Close the worker's publisher as it stops: its store's WAL goes into the file."""
    app = getattr(worker, "wsgi", None)
    publisher = getattr(app, "extensions", {}).get("feedsvc")
    if publisher is not None:
        publisher.close()


def options(host: str, port: int, workers: int, threads: int) -> dict[str, Any]:
    """Return the gunicorn settings of ``feedsvc serve`` (the benchmark's floor uses them too)."""
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return {
        "bind": bind,
        "workers": workers,
        "worker_class": Worker,  # gthread, with our pages for malformed requests
        "threads": threads,
        "accesslog": "-",
        "errorlog": "-",
        "timeout": 60,
        "graceful_timeout": 10,
        "keepalive": 5,
        "limit_request_line": 4094,
        "limit_request_fields": 100,
        "limit_request_field_size": 8190,
        "proc_name": "feedsvc",
        "control_socket_disable": True,  # several servers may run side by side
        "worker_exit": worker_exit,
    }


def run(host: str, port: int, workers: int, threads: int, factory: Callable[[], Flask]) -> None:
    """Serve the app FACTORY makes on HOST:PORT until stopped."""
    Server(options(host, port, workers, threads), factory).run()
