"""feedsvc: a folder of articles served as Atom, RSS and JSON feeds and pages.

Data flows one way, one sub-package a stage: article files -> ``reading``
-> ``catalog`` (+ ``store``) -> ``render`` -> ``web``. ``model`` holds the
values they pass along; each package's docstring states its rule.
"""

from __future__ import annotations

import atexit
import weakref
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

__version__ = version("feedsvc")


def _close(ref: weakref.ref[Any]) -> None:
    publisher = ref()
    if publisher is not None:
        publisher.close()


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the Flask app: defaults, then the config file and FEEDSVC_* env, then TEST_CONFIG."""
    import logging

    from flask import Flask

    from . import config
    from .web import routes
    from .web.fastpath import FastPath, Quick
    from .web.limits import RequestLimits
    from .web.prefix import PrefixMiddleware, WSGIApp, change_of, proxy_fix
    from .web.publisher import Publisher
    from .web.watch import utcnow

    app = Flask(__name__, static_folder=None)
    app.config.from_mapping(config.load())
    if test_config is not None:
        app.config.from_mapping(test_config)
    config.validate(app.config)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    publisher = Publisher(app.config, utcnow())
    app.extensions["feedsvc"] = publisher
    # A clean exit closes the store (the WAL goes into the file) under any server;
    # the weak reference lets an app that is dropped go.
    atexit.register(_close, weakref.ref(publisher))
    routes.register(app)
    fast = FastPath(app.wsgi_app, publisher)
    wsgi: WSGIApp = PrefixMiddleware(fast, publisher.site.prefix)
    proxies = app.config["TRUSTED_PROXIES"]
    fix = None
    if proxies:
        wsgi = proxy_fix(wsgi, proxies)
        fix = change_of(wsgi)
    app.wsgi_app = RequestLimits(wsgi)  # type: ignore[method-assign]
    # The same answers to polls for a server that calls before the stack (web/direct.py).
    app.extensions["feedsvc.quick"] = Quick(fast, publisher.site.prefix, fix)
    return app
