"""A real PostgreSQL server for the tests: Debian's package, a cluster in a temporary folder.

``initdb`` and ``pg_ctl`` make a throw-away cluster listening on 127.0.0.1 only
(as the ``postgres`` user when the tests run as root, since PostgreSQL refuses
to run as root). Each test gets a database of its own. Where the server is not
installed the tests skip with a message, except under CI, where that fails:
``.ci/run`` installs the ``postgresql`` package.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


def _bindir() -> Path | None:
    for found in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(found, "initdb").exists():
            return Path(found)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is needed under CI: {reason}")
    pytest.skip(f"no PostgreSQL server here ({reason}); install Debian's postgresql package")


@contextlib.contextmanager
def cluster(port: int) -> Iterator[str]:
    """Start a PostgreSQL cluster on 127.0.0.1:PORT; yield the URL of its postgres database."""
    bindir = _bindir()
    if bindir is None:
        _unavailable("initdb not found")
    assert bindir is not None
    base = Path(tempfile.mkdtemp(prefix="feedsvc-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            _unavailable("no postgres user to run the server as")
        os.chown(base, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data = base / "data"
    try:
        subprocess.run(
            [*run_as, str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
             "--auth=trust", "-E", "UTF8", "--no-sync"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        options = f"-h 127.0.0.1 -p {port} -k {base} -F -c max_connections=200"
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(base / "log"),
             "-o", options, "-w", "-t", "60", "start"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
        log = (base / "log").read_text() if (base / "log").exists() else ""
        shutil.rmtree(base, ignore_errors=True)
        out = getattr(e, "stderr", b"") or b""
        _unavailable(f"the server did not start: {out.decode(errors='replace')[-500:]} {log}")
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    _STOP[url] = [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]
    try:
        yield url
    finally:
        _STOP.pop(url, None)
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True, timeout=60,
        )  # fmt: skip
        shutil.rmtree(base, ignore_errors=True)


_STOP: dict[str, list[str]] = {}  # by the URL a running cluster() yielded: what stops it


def halt(url: str) -> None:
    """Stop the cluster() that yielded URL, before its block ends (an outage)."""
    subprocess.run(_STOP[url], check=True, capture_output=True, timeout=60)


@contextlib.contextmanager
def database(server_url: str) -> Iterator[str]:
    """Create a new database on the server; yield its URL; drop it afterwards."""
    import psycopg

    name = f"feedsvc_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield server_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
