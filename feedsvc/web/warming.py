"""The app a restarted worker answers with while it loads: the saved feeds, then the app.

A worker that ``feedsvc serve`` starts on a warm store (``warmstart.load``)
answers GET and HEAD of the saved documents from there, with the status,
headers, bytes and ETags of ``FastPath``, while it loads the articles in a
thread; any other request waits for the load, at most half the worker's threads
at once (the rest get a 503 with Retry-After at once). Apart from ``warmstart``
so that the main process, which reads the saved documents before it forks the
workers, imports none of what answering needs (memory: every process counts).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from . import http, limits
from .prefix import WSGIApp, proxied
from .warmstart import Saved

LOAD_TIMEOUT = 300.0  # seconds a request waits for the load before a 503


class Warming:
    """A WSGI app: SAVED's documents until ``loaded(app)``, then APP for everything."""

    def __init__(self, saved: Saved, threads: int = 2):
        self.saved = saved
        self.app: WSGIApp | None = None
        self._loaded = threading.Event()
        # Requests that wait for the load hold a thread each: half the threads at most
        # (none of a single thread), so the saved documents are still answered whatever
        # else is asked meanwhile.
        self._waiters = threading.BoundedSemaphore(threads // 2)
        self._proxied = None if not saved.proxies else proxied(saved.proxies)

    def loaded(self, app: WSGIApp) -> None:
        self.app = app
        self._loaded.set()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        app = self.app
        if app is None:
            refused = limits.refuse(environ, start_response)  # as the loaded app would
            if refused is not None:
                return self._told(environ, refused)
            answer = self._answer(environ)
            if answer is not None:
                status, headers, body = answer
                start_response(status, headers)
                return self._told(environ, body)
            if self._waiters.acquire(blocking=False):
                try:
                    self._loaded.wait(LOAD_TIMEOUT)
                finally:
                    self._waiters.release()
            app = self.app
            if app is None:  # loading still (or too many waiting): come back soon
                page, fields = http.malformed_page(503, "Service Unavailable")
                start_response("503 Service Unavailable", [*fields.items(), ("Retry-After", "5")])
                return self._told(environ, [page])
        return app(environ, start_response)

    def _told(self, environ: dict[str, Any], body: Iterable[bytes]) -> Iterable[bytes]:
        """Return BODY, answered here: ENVIRON now says what the trusted proxies told, as the
        app's ``ProxyFix`` would (the access log reads it), once (the app's is not reached)."""
        if self._proxied is not None:
            self._proxied(environ)
        return body

    def _answer(self, environ: dict[str, Any]) -> tuple[str, http.Headers, list[bytes]] | None:
        """Return what FastPath answers for a saved document, or None (wait for the load)."""
        method = environ.get("REQUEST_METHOD")
        path = environ.get("PATH_INFO", "")
        prefix = self.saved.prefix
        if prefix and path.startswith(prefix + "/"):
            path = path[len(prefix) :]
        document = self.saved.documents.get(path)
        if document is None or method not in ("GET", "HEAD") or "HTTP_IF_MATCH" in environ:
            return None
        now = datetime.now(UTC)  # the edge: a request (watch.utcnow's import costs the wait)
        due = self.saved.next_due
        if due is not None and due <= now:
            return None  # a scheduled article is out now: the saved feeds lack it
        cache_control = http.cache_control(self.saved.cache_max_age, due, now)
        return http.answer(environ, document, ("Cache-Control", cache_control))
