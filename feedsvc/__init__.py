"""feedsvc: a folder of articles served as Atom, RSS and JSON feeds and pages.

Data flows one way: files -> readers -> normalise -> catalog (+ state store)
-> feeds / pages -> documents -> web.
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import Any  # noqa: E402


def create_app(test_config: dict[str, Any] | None = None):
    """Create the Flask app: defaults, then the config file and FEEDSVC_* env, then TEST_CONFIG."""
    import logging

    from flask import Flask
    from werkzeug.middleware.proxy_fix import ProxyFix

    from . import config, web
    from .fastpath import FastPath
    from .prefix import PrefixMiddleware
    from .publisher import Publisher

    app = Flask(__name__, static_folder=None)
    app.config.from_mapping(config.load())
    if test_config is not None:
        app.config.from_mapping(test_config)
    config.validate(app.config)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    publisher = Publisher(app.config)
    app.extensions["feedsvc"] = publisher
    web.register(app)
    app.wsgi_app = FastPath(app.wsgi_app, publisher)
    app.wsgi_app = PrefixMiddleware(app.wsgi_app, publisher.site.prefix)
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_prefix=proxies
        )
    return app
