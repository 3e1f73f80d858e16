"""Run the app under gunicorn: one app per worker, each watching the folder.

Workers are forked before the app is created (no preload), so each worker
opens its own state store connection and starts its own rescan thread; they
agree on every id and date through the state store, and render the same
bytes from the same files.
"""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import Callable
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication


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


def ready(factory: Callable[[], Flask]) -> Flask:
    """In a worker: create the app, start watching the folder, and log that it is ready."""
    app = factory()
    publisher = app.extensions["feedsvc"]
    publisher.start_watching()
    gc.freeze()  # what start-up loaded lives forever: keep it out of every GC pass
    logging.getLogger("feedsvc").info(
        "worker %d ready: %d articles published, changes noticed by %s",
        os.getpid(),
        len(publisher.documents.snapshot.articles),
        publisher.mode,
    )
    return app


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
        "worker_class": "gthread",
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
