"""A cold first read shared by the workers that start together: each file is read once.

Each worker of a server builds its own catalog, and with no usable ``STATE.parsed``
(a new store, a new release, changed settings) each read every file: two workers did
the same work twice. When a first scan has at least SHARE_FROM files to read, the
listing is cut into chunks of CHUNK files. A worker claims a chunk with a lock on a
file beside the store, reads it, and writes what read cleanly (each article as its
reader gave it, with its body's opening) for the others; once no chunk is left to
claim, it takes the chunks the others wrote, waiting for those still being read. The
scan then takes these articles as it takes ``STATE.parsed``'s (``Folder.known``), the
openings noted in the store for the records, as a read notes them.

What keeps it safe. A chunk is named by its files' paths and signatures, so only
workers that listed the same files share it. Only what depends on the file alone is
shared: a file with a problem, or a date in its name (its slug may depend on the
store), is read by each worker, which reports it as before. The chunks live in a folder
named by the workers' parent process (its pid and start time) and the fingerprint of
code and settings, so other servers and releases never meet them. A worker that dies
lets go of its lock, and the chunk is read by the next to ask; one still reading a
chunk after WAIT seconds has it read twice; a chunk that cannot be written or read is
read by the worker that needs it. The last worker out removes the folder; one a crash
left is removed by a later first read once its parent process is gone.
"""

from __future__ import annotations

import fcntl
import logging
import os
import pickle
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC
from functools import partial
from hashlib import sha256

from ..model import Article
from ..reading import files
from ..reading.article import read_article
from ..reading.dates import name_date
from ..store import parsed
from ..store.firstwords import opening_words
from .firstsight import keep_legacy_slug
from .folder import PROGRESS_EVERY, Folder

log = logging.getLogger(__name__)
SHARE_FROM = 2_000  # files to read, at least; fewer are read by each worker
CHUNK = 500  # files a worker claims at a time
WAIT = 30.0  # seconds a worker waits for a chunk another one reads, then reads it too
_ACTIVE = ".active"  # each worker sharing holds a shared lock on it; the last removes all
# Read cleanly: path, signature, the article, its body's opening. A chunk's file holds
# the article as its fields' values (``parsed.values``), which is what pickle keeps.
Read = list[tuple[str, bytes, Article, bytes]]


class FirstRead:
    """``Folder.share`` keeping its chunks under ROOT (beside the store), for FINGERPRINT."""

    def __init__(self, root: str, fingerprint: str):
        self.root = root
        self.fingerprint = fingerprint

    def __call__(self, folder: Folder, items: list[files.Found]) -> parsed.Entries:
        """Read ITEMS with the workers starting now; return the articles read cleanly."""
        token = _token(os.getppid())
        if len(items) < SHARE_FROM or token is None:
            return {}
        where = os.path.join(self.root, f"{token}-{self.fingerprint[:16]}")
        try:
            _remove_orphans(self.root)
            os.makedirs(where, exist_ok=True)
            with _active(where):
                return self._share(folder, items, where)
        except OSError as e:
            log.warning("first read not shared with other workers (%s): each reads all", e)
            return {}

    def _share(self, folder: Folder, items: list[files.Found], where: str) -> parsed.Entries:
        chunks = [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]
        names = [os.path.join(where, _name(chunk)) for chunk in chunks]
        entries: parsed.Entries = {}
        taken: set[str] = set()  # the chunks in ENTRIES already
        pending, wait = list(zip(chunks, names, strict=True)), 0.0
        step, done, here = max(len(items) // 10, PROGRESS_EVERY), 0, 0
        while pending:  # twice at most: the chunks others claimed are waited for after
            later = []
            for chunk, name in pending:
                got = _claimed(name, wait, partial(_read, folder, chunk))
                if got is None:
                    later.append((chunk, name))
                    continue
                if got:  # taken at once (measured: less memory than loading ours back)
                    _take(folder, got, entries)
                    taken.add(name)
                    here += len(got)
                done += len(chunk)  # as a worker reading alone logs it, every tenth
                if done // step != (done - len(chunk)) // step:
                    log.info("first read of the articles: %d of %d files", done, len(items))
            pending, wait = later, WAIT
        for chunk, name in zip(chunks, names, strict=True):
            if name not in taken:  # the others': lost ones are read here, as one worker would
                rows = _load(name)
                _take(folder, _read(folder, chunk) if rows is None else rows, entries)
        log.info(
            "first read of the articles, shared: %d read here, %d taken from other workers",
            here,
            len(entries) - here,
        )
        return entries


def _take(folder: Folder, rows: Read, entries: parsed.Entries) -> None:
    """Add ROWS' articles to ENTRIES, noting their openings in the store (a chunk at once)."""
    openings = []
    for path, signature, article, opening in rows:
        entries[path] = (signature, article)
        openings.append((article.text_key, opening))
    folder.bodies.note(openings)


def _claimed(name: str, wait: float, read: Callable[[], Read]) -> Read | None:
    """Return the rows this worker read by READ() for the chunk file NAME, once it is
    written ([] when another worker wrote it); None while another holds its lock (WAIT
    seconds at most, then this worker reads it too)."""
    if os.path.exists(name):
        return []
    fd = os.open(name + ".lock", os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    if not wait:
                        return None
                    log.warning("%s: read by another worker for over %s s: read here", name, wait)
                    break
                time.sleep(0.01)
        if os.path.exists(name):
            return []
        rows: Read = read()
        values = [(path, sig, parsed.values(a), opening) for path, sig, a, opening in rows]
        parsed.write_pickles(name, [values], "other workers read these files too")
        return rows
    finally:
        os.close(fd)  # and the lock goes with it


def _read(folder: Folder, chunk: list[files.Found]) -> Read:
    """Return what CHUNK's files read cleanly as, for every worker's first scan."""
    rows: Read = []
    # A date in its name: its slug may depend on the store (``keep_legacy_slug``).
    chunk = [item for item in chunk if name_date(item.path, UTC) is None]
    folder.ahead.add(item.real for item in chunk)  # from the disk, while this one parses
    for item in chunk:
        folder.ahead.done()
        try:
            article, text, problems = read_article(
                item, folder.defaults, folder.max_bytes, folder.inspect
            )
            article = keep_legacy_slug(folder.store, article)
        except Exception:  # the scan reads it again and says what is wrong
            continue
        if not problems:
            rows.append((item.path, item.signature, article, opening_words(text.body)))
    return rows


def _load(name: str) -> Read | None:
    try:
        with open(name, "rb") as f:
            rows = pickle.load(f)  # our own file, beside the state store
        shared = parsed.shared_values  # equal tuples of tags: one, as reading makes them
        return [(path, sig, Article(*shared(v)), words) for path, sig, v, words in rows]
    except Exception as e:
        log.warning("%s: cannot be read (%s): its files are read here", name, e)
        return None


def _name(chunk: list[files.Found]) -> str:
    digest = sha256()
    for item in chunk:
        digest.update(item.path.encode(errors="surrogateescape") + b"\0" + item.signature)
    return digest.hexdigest()[:32]


def _token(pid: int) -> str | None:
    """Return PID's process as a name no later process has: its pid and start time."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
        return f"{pid}-{int(stat[stat.rindex(b')') + 2 :].split()[19])}"
    except (OSError, ValueError, IndexError):  # no /proc: not shared
        return None


def _remove_orphans(root: str) -> None:
    """Remove the chunks of first reads whose workers' parent process is gone."""
    with suppress(FileNotFoundError):
        for entry in os.scandir(root):
            pid, _, rest = entry.name.partition("-")
            start = rest.partition("-")[0]
            if pid.isdigit() and _token(int(pid)) != f"{pid}-{start}":
                shutil.rmtree(entry.path, ignore_errors=True)


@contextmanager
def _active(where: str) -> Iterator[None]:
    """Hold a shared lock on WHERE while sharing; the last worker out removes WHERE."""
    fd = os.open(os.path.join(where, _ACTIVE), os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        yield
        fcntl.flock(fd, fcntl.LOCK_UN)
        with suppress(BlockingIOError):
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            shutil.rmtree(where, ignore_errors=True)
            with suppress(OSError):  # and their folder, when no other first read is in it
                os.rmdir(os.path.dirname(where))
    finally:
        os.close(fd)
