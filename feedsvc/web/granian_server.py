"""Run the app under granian (the server ``feedsvc serve`` runs; bench/servers.py chose it).

granian parses HTTP in Rust, off the GIL: a client that sends its headers slowly
holds no Python thread, and is dropped after HEADER_READ_TIMEOUT_MS. Workers are
forked before the app is created (no preload), as under gunicorn. The first
workers of a start on a warm store answer the feeds as the last clean stop left
them while they load (``warmstart``). Each worker
tells the main process when its app is loaded, through a pipe made before the
fork, so that a reload (SIGHUP) stops an old worker only once its replacement
answers. Every worker accepts from one listening socket, so the connections queued on
it outlive any worker; before its graceful stop, which closes a connection that has
not sent a byte yet, an old worker stops accepting and is given SETTLE_SECONDS for the
connections it took last to send their requests. A worker stopped cleanly closes its
publisher (the store's WAL goes into the file), then writes the access-log lines it
still holds (``accesslog.Batches``). granian calls a worker's ``direct.Direct`` as it
is, not through its own WSGI wrapper: polls are answered before any WSGI layer.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing.util
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import granian.server.mp as mp
from granian._granian import ListenerSpec
from granian.constants import HTTPModes, Interfaces
from granian.http import HTTP1Settings
from granian.log import logger as _log  # the main process logs through granian's logger
from granian.server import MPServer

from . import warmstart
from .accesslog import BATCH_SECONDS, dictconfig, logged
from .processes import Readiness, pidfd, stop_accepting, watch_parent

if TYPE_CHECKING:  # the main process imports no more than it runs (memory): workers do
    from flask import Flask

HEADER_READ_TIMEOUT_MS = 10_000  # headers, and the wait for the next request on a kept-alive one
# granian's Rust threads per worker that read and write the connections (its default 1).
# 2 answered more 304s for less CPU: bench/polling.py's numbers, in docs/benchmarks.md.
RUNTIME_THREADS = 2
READ_BUFFER_BYTES = 16 * 16_384  # 16 x http.MAX_HEAD_BYTES: a head past this gets hyper's 431
KILL_TIMEOUT = 10  # seconds a stopping worker may take to finish what it holds
READY_TIMEOUT = 300.0  # a reload gives up waiting for a new worker after this
DRAIN_SIGNAL = signal.SIGUSR1  # tells an old worker to stop accepting
DRAIN_TIMEOUT = 5.0  # a reload waits this long for an old worker to say it stopped accepting
ASK_AGAIN_SECONDS = 0.5  # a stop repeats its SIGTERM this often to workers still running
SETTLE_SECONDS = 1.0  # then this long, for the connections it accepted last to send a request


class Granian(MPServer):
    """granian's process manager, replacing a worker on reload only once the new one is ready."""

    readiness: Readiness
    saved: warmstart.Saved | None  # read before the first workers fork: none then open the store
    respawning = False  # workers forked from now on replace others: no warm start
    listener_fd: int | None = None  # the shared listening socket, at this number in every worker

    def _init_shared_socket(self) -> None:
        """Listen on one socket that every worker accepts from, on Linux too.

        On Linux granian gives each worker a socket of its own (SO_REUSEPORT): the
        connections the kernel queued on an old worker's socket are reset when it stops.
        One shared socket keeps its queue while workers come and go; it listens from the
        start, so a client that connects while the workers load waits instead of being refused.
        """
        if sys.platform != "linux" or self.bind_uds:
            super()._init_shared_socket()  # type: ignore[no-untyped-call]  # shared there already
            self.listener_fd = self._sfd
            return
        holder: Any = ListenerSpec(self.bind_addr, self.bind_port, self.backlog).build()
        self._shd = holder  # what granian hands each worker: the socket itself, not its spec
        self._sfd = self.listener_fd = holder.get_fd()
        self._ssp = None
        self._sso = socket.socket(fileno=self._sfd)  # the forked workers inherit it
        self._sso.listen(self.backlog)

    @staticmethod
    def _spawn_wsgi_worker(worker_id: int, callback: Any, *args: Any, **kwargs: Any) -> None:
        """granian's WSGI worker, calling CALLBACK (a ``direct.Direct``) without its wrapper."""
        mp._wsgi_call_wrap = _as_is  # type: ignore[attr-defined]  # in this worker only
        MPServer._spawn_wsgi_worker(worker_id, callback, *args, **kwargs)

    def _drain(self, old: Any) -> None:
        """Have worker OLD stop accepting, then give its newest connections time to speak."""
        pid = old._id()
        if not old.is_alive() or not self.readiness.seen(pid, "started"):
            return  # a dead one's pid may be reused; one not yet started accepted nothing
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, DRAIN_SIGNAL)
        if self.readiness.wait(pid, old.is_alive, DRAIN_TIMEOUT, what="drained"):
            time.sleep(SETTLE_SECONDS)
        else:
            _log.warning(f"old worker {pid} did not stop accepting; it stops now anyway")

    def _stop_workers(self) -> None:
        """Stop the workers as granian does, repeating SIGTERM to those still running.

        CPython drops a signal that reaches a child before its after-fork set-up: a worker
        just forked would serve on until killed. Our handlers and granian's only mark a stop.
        Through pidfds opened first: a worker reaped meanwhile cannot lend its pid to another.
        """
        done = threading.Event()
        fds = [fd for fd in map(pidfd, list[Any](self.wrks)) if fd is not None]

        def ask_again() -> None:
            while not done.wait(ASK_AGAIN_SECONDS):
                for fd in fds:
                    with contextlib.suppress(OSError):  # gone already
                        signal.pidfd_send_signal(fd, signal.SIGTERM)

        (asker := threading.Thread(target=ask_again, name="feedsvc-stop", daemon=True)).start()
        try:
            super()._stop_workers()  # type: ignore[no-untyped-call]
        finally:
            done.set()
            asker.join()
            for fd in fds:
                os.close(fd)

    def _respawn_workers(
        self, workers: list[int], spawn_target: Any, target_loader: Any, delay: float = 0
    ) -> None:
        self.respawning = True
        for idx in workers:
            self.respawned_wrks[idx] = time.monotonic()
            old: Any = self.wrks.pop(idx)  # granian's workers carry no types
            new: Any = self._spawn_worker(
                idx=idx, target=spawn_target, callback_loader=target_loader
            )
            new.start()
            self.wrks.insert(idx, new)
            if not self.readiness.wait(new.inner.pid, new.is_alive, READY_TIMEOUT):
                # Its store does not answer, say: the old one serves on, and granian starts
                # another for this place once it sees this one gone (a reload tried again).
                _log.error(f"worker {new._id()} did not become ready; {old._id()} serves on")
                new.terminate()
                new.join(KILL_TIMEOUT)
                self.wrks[idx] = old
                continue
            self._drain(old)
            _log.info(f"stopping old worker {old._id()}: its replacement {new._id()} answers")
            old.terminate()
            old.join(KILL_TIMEOUT)
            if old.is_alive():
                old.kill()
                old.join()
        self._metrics.incr_spawn(len(workers))


def _as_is(
    callback: Callable[..., Any], scope_opts: dict[str, Any], access_log_fmt: Any = None
) -> Any:
    """What stands for granian's WSGI wrapper: our callable takes granian's call itself."""
    assert not scope_opts.get("url_path_prefix") and access_log_fmt is None, "set by run()"
    return callback


def _load(factory: Callable[[], Flask], server: Granian) -> Any:
    """In a worker: create the app, close its publisher on a clean stop, say it is ready.

    A first start on a warm store answers the feeds at once and loads behind them (see
    ``warmstart``). A stop asked for while the worker starts (it inherits the main
    process's handlers, which only mark SERVER's copy) ends the worker once loaded, as
    does the main process's end (``watch_parent``).
    """
    state = {"stop": False, "loaded": False}

    def stop(signum: int, frame: Any) -> None:
        stopping, state["stop"] = state["stop"], True
        if state["loaded"] and not stopping:  # until granian's handlers; once, not in the exit
            raise SystemExit(0)

    def drain(signum: int, frame: Any) -> None:
        if server.listener_fd is not None and stop_accepting(server.listener_fd):
            server.readiness.announce("drained")

    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, stop)
    signal.signal(DRAIN_SIGNAL, drain)
    watch_parent(server.pid or os.getppid(), lambda: state["loaded"])  # no orphan serves on
    server.readiness.announce("started")  # from now on a drain signal is safe to send
    saved = None if server.respawning else server.saved
    from .direct import Direct  # in the worker (the main process imports no more than it runs)

    direct = Direct()
    if saved is not None:
        app: Any = _load_behind(factory, server, saved, direct.use)
    else:
        from .worker import ready  # in the worker: Flask and all (see the module's imports)

        flask_app = ready(factory)  # a store that does not answer ends the worker (status 1)
        publisher = flask_app.extensions["feedsvc"]
        # A worker ends through multiprocessing, which skips atexit but runs its finalizers.
        multiprocessing.util.Finalize(publisher, warmstart.close, (publisher,), exitpriority=10)
        app = flask_app
        direct.use(flask_app)
    state["stop"] = state["stop"] or server.interrupt_signal  # came before our handlers
    state["loaded"] = True
    if state["stop"]:
        raise SystemExit(0)
    if saved is None:
        server.readiness.announce()
    wrapped = logged(getattr(app, "wsgi_app", app), batch_seconds=BATCH_SECONDS)  # past Flask
    multiprocessing.util.Finalize(wrapped, wrapped.flush, exitpriority=5)  # after the store
    direct.stack = wrapped
    return direct


def _load_behind(
    factory: Callable[[], Flask],
    server: Granian,
    saved: warmstart.Saved,
    loaded_app: Callable[[Flask], None],
) -> Any:
    """Return an app answering SAVED's documents while a thread loads the real one.

    LOADED_APP is given the real app once it answers."""
    from .warming import Warming  # what answering needs, first: the app loads behind

    warming = Warming(saved, server.blocking_threads)
    loaded: dict[str, Any] = {}

    def load() -> None:
        from .worker import ready

        try:
            app = ready(factory)
        except BaseException:
            logging.getLogger("feedsvc").exception("worker %d cannot load", os.getpid())
            os._exit(1)  # granian starts another
        loaded["publisher"] = app.extensions["feedsvc"]
        warming.loaded(app)
        loaded_app(app)
        server.readiness.announce()  # a reload may now stop an old worker

    thread = threading.Thread(target=load, name="feedsvc-load", daemon=True)

    def finish() -> None:  # a stop while loading: the load ends, then the store closes
        # Half the kill timeout for the load, so the close (a checkpoint, the saved files)
        # has the other half; a load still running then is given up as an unclean stop.
        thread.join(KILL_TIMEOUT / 2)
        if "publisher" in loaded:
            warmstart.close(loaded["publisher"])
        else:
            _log.warning("worker %d stopped while loading: the next start loads", os.getpid())

    multiprocessing.util.Finalize(warming, finish, exitpriority=10)
    thread.start()
    shown = ", ".join(sorted(saved.documents))
    _log.info(f"worker {os.getpid()} answers {shown} as the last clean stop left them, loading")
    return warming


def run(host: str, port: int, workers: int, threads: int, factory: Callable[[], Flask]) -> None:
    """Serve the app FACTORY makes on HOST:PORT until stopped; SIGHUP replaces the workers."""
    server = Granian(
        "feedsvc",
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads,
        runtime_threads=RUNTIME_THREADS,
        http=HTTPModes.http1,
        http1_settings=HTTP1Settings(
            header_read_timeout=HEADER_READ_TIMEOUT_MS, max_buffer_size=READ_BUFFER_BYTES
        ),
        log_access=False,  # the app writes the combined line itself (accesslog.logged)
        log_dictconfig=dictconfig(),
        respawn_failed_workers=True,
        workers_kill_timeout=KILL_TIMEOUT,
    )
    server.readiness = Readiness()
    server.saved = warmstart.load()
    server.serve(target_loader=lambda: _load(factory, server), wrap_loader=False)
