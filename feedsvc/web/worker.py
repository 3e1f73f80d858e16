"""What each worker does once forked, under granian or gunicorn: load the app, say so.

Its own module, so that a granian worker imports nothing of gunicorn (0.9 MiB each).
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..store.opening import StoreUnreachable
from .processes import give_back

if TYPE_CHECKING:
    from flask import Flask


def ready(factory: Callable[[], Flask]) -> Flask:
    """In a worker: create the app, start watching the folder, and log that it is ready.

    A store that does not answer ends the worker with status 1, one line logged: granian
    and gunicorn start another (gunicorn's boot error, 3, would stop the whole server).
    """
    started = time.monotonic()
    try:
        app = factory()
    except StoreUnreachable as e:
        logging.getLogger("feedsvc").error("worker %d cannot load: %s", os.getpid(), e)
        sys.exit(1)
    publisher = app.extensions["feedsvc"]
    publisher.start_watching()
    gc.freeze()  # what start-up loaded lives forever: keep it out of every GC pass
    give_back()
    logging.getLogger("feedsvc").info(
        "worker %d ready: %d articles published, changes noticed by %s (loaded in %.1f s)",
        os.getpid(),
        len(publisher.documents.snapshot.articles),
        publisher.mode,
        time.monotonic() - started,
    )
    return app
