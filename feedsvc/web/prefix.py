"""Serve the site under BASE_URL's path whether the proxy keeps or strips it.

With BASE_URL ``https://example.org/news/``, ``/news/feed.atom`` (prefix
kept) and ``/feed.atom`` (prefix stripped by the proxy) both reach the feed.
The prefix moves from PATH_INFO to SCRIPT_NAME; no URL we emit is built from
either, so this only affects routing.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def unprefixed(path: str, prefix: str) -> str:
    """Return PATH without PREFIX (no trailing slash) when it starts with it, else PATH."""
    if prefix and (path == prefix or path.startswith(prefix + "/")):
        return path[len(prefix) :] or "/"
    return path


class PrefixMiddleware:
    """Strip PREFIX from PATH_INFO when present."""

    def __init__(self, app: WSGIApp, prefix: str):
        self.app = app
        self.prefix = prefix.rstrip("/")

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        stripped = unprefixed(path, self.prefix)
        if stripped != path:
            environ["PATH_INFO"] = stripped
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + self.prefix
        return self.app(environ, start_response)


def proxy_fix(app: Any, proxies: int) -> Any:
    """Return APP behind Werkzeug's ``ProxyFix``, trusting PROXIES hops of X-Forwarded-*."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    n = proxies
    return ProxyFix(app, x_for=n, x_proto=n, x_host=n, x_prefix=n)


def proxied(proxies: int) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Return what the app's ``ProxyFix`` (TRUSTED_PROXIES hops) does to an environ."""
    return change_of(proxy_fix(None, proxies))


def change_of(layer: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Return what the middleware LAYER (``ProxyFix``) does to an environ, as a function."""
    changer = copy.copy(layer)  # the same settings, in front of no app
    changer.app = lambda environ, start_response: environ
    return lambda environ: changer(environ, None)
