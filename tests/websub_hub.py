"""A real WebSub hub and subscriber on loopback, for tests/test_websub.py (run as a script).

    python tests/websub_hub.py PORT EVENTS_FILE

Serves flask-websub's hub at /hub (publish requests accepted) and its
subscriber's callbacks at /callbacks/, on 127.0.0.1:PORT, threaded: the hub
verifies intent and delivers content synchronously (Celery runs its tasks
eagerly, in process, with no broker). POST /subscribe with ``topic=URL``
subscribes to URL through the hub its Link headers name. Every publish
request the hub receives and every notification the subscriber receives is
appended to EVENTS_FILE as a JSON line with the time it happened.
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
from pathlib import Path

from celery import Celery
from flask import Flask, request
from flask_websub.hub import Hub, SQLite3HubStorage
from flask_websub.subscriber import (
    SQLite3SubscriberStorage,
    SQLite3TempSubscriberStorage,
    Subscriber,
    discover,
)


def main(port: int, events: Path) -> None:
    folder = Path(tempfile.mkdtemp(prefix="websub-hub-"))
    lock = threading.Lock()

    def record(**event: object) -> None:
        with lock, events.open("a", encoding="utf-8") as out:
            out.write(json.dumps({"time": time.time(), **event}) + "\n")

    app = Flask(__name__)
    app.config.update(PUBLISH_SUPPORTED=True, AUTO_SET_SECRET=False)
    celery = Celery("hub", broker="memory://", backend="cache+memory://")
    celery.conf.update(task_always_eager=True, task_eager_propagates=False)
    hub = Hub(SQLite3HubStorage(str(folder / "hub.sqlite3")), celery, BACKOFF_BASE=0.1)
    app.register_blueprint(hub.build_blueprint(url_prefix="/hub"))
    subscriber = Subscriber(
        SQLite3SubscriberStorage(str(folder / "subscriber.sqlite3")),
        SQLite3TempSubscriberStorage(str(folder / "subscriber-temp.sqlite3")),
    )
    app.register_blueprint(subscriber.build_blueprint(url_prefix="/callbacks"))

    @app.before_request
    def note_publish() -> None:
        if request.path == "/hub" and request.form.get("hub.mode") == "publish":
            record(event="publish", url=request.form.get("hub.url"), form=dict(request.form))

    @subscriber.add_listener
    def delivered(topic_url: str, callback_id: str, body: bytes) -> None:
        record(event="notification", topic=topic_url, body=body.decode("utf-8", "replace"))

    @subscriber.add_success_handler
    def subscribed(topic_url: str, callback_id: str, mode: str) -> None:
        record(event=mode, topic=topic_url)

    @app.post("/subscribe")
    def subscribe() -> tuple[str, int]:
        found = discover(request.form["topic"])
        subscriber.subscribe(**found)
        return json.dumps(found), 202

    app.run("127.0.0.1", port, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]))
