"""Article files read ahead into the page cache by a child process (``reading/ahead``).

What the child does is seen where it happens: files whose pages the kernel was told to
drop (``POSIX_FADV_DONTNEED``) are asked about with ``mincore``, through ctypes, before
and after. Then the scans that hand it their files: a cold read alone, and one shared
by two workers (``catalog/firstread``), each handing over what it reads, in its order.
"""

from __future__ import annotations

import ctypes
import logging
import mmap
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from test_first_read import NOW, as_read, folder_on, scan_together, write_articles

from feedsvc.catalog import firstread
from feedsvc.catalog import folder as folder_module
from feedsvc.reading.ahead import ReadAhead

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="mincore and posix_fadvise are Linux calls"
)
PAGE = mmap.PAGESIZE


def resident(path: Path) -> float:
    """Return the share of PATH's pages in the page cache (mincore on a mapping of it)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int]
    libc.mmap.argtypes += [ctypes.c_int, ctypes.c_long]
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    size = path.stat().st_size
    pages = (size + PAGE - 1) // PAGE
    fd = os.open(path, os.O_RDONLY)
    try:
        address = libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
        assert address not in (None, ctypes.c_void_p(-1).value), ctypes.get_errno()
        try:
            vector = (ctypes.c_ubyte * pages)()
            assert libc.mincore(address, size, vector) == 0, ctypes.get_errno()
            return sum(v & 1 for v in vector) / pages
        finally:
            libc.munmap(address, size)
    finally:
        os.close(fd)


def dropped(paths: list[Path]) -> None:
    """Have the kernel drop PATHS' pages (clean ones: written and synced first)."""
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    if any(resident(p) > 0.5 for p in paths):
        pytest.skip("this file system keeps the pages of files it is told to drop (tmpfs?)")


def files_of(folder: Path, count: int, size: int = 16 * PAGE) -> list[Path]:
    folder.mkdir(exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"f{i:03d}.md"
        path.write_bytes(bytes([65 + i % 26]) * size)
        paths.append(path)
    return paths


def until_resident(paths: list[Path], limit: float = 20.0) -> list[float]:
    deadline = time.monotonic() + limit
    while (shares := [resident(p) for p in paths]) and min(shares) < 1.0:
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    return shares


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@linux_only
def test_files_handed_to_the_child_come_into_the_page_cache(tmp_path: Path) -> None:
    paths = files_of(tmp_path / "a", 30)
    dropped(paths)
    time.sleep(0.5)
    assert max(resident(p) for p in paths) < 0.5  # nothing else brings them back
    with ReadAhead() as reader:
        reader.add(str(p) for p in paths)
        assert min(until_resident(paths)) == 1.0
        pid = reader.pid
    assert pid is not None and gone(pid)  # ended with the block, and reaped


@linux_only
def test_paths_that_cannot_be_read_are_passed_over(tmp_path: Path) -> None:
    """A vanished file, a folder, a FIFO (which an open without O_NONBLOCK would wait on)
    and an unreadable name cost nothing: the files after them are still read ahead."""
    paths = files_of(tmp_path / "a", 5)
    dropped(paths)
    fifo = tmp_path / "fifo.md"
    os.mkfifo(fifo)
    odd = [str(tmp_path / "vanished.md"), str(tmp_path / "a"), str(fifo), "\udcff.md"]
    with ReadAhead() as reader:
        reader.add([*odd, *map(str, paths)])
        assert min(until_resident(paths)) == 1.0


def test_close_ends_the_child_at_once_and_no_other_starts(tmp_path: Path) -> None:
    path = files_of(tmp_path / "a", 1)[0]
    reader = ReadAhead()
    reader.add([str(path)] * 50_000)  # more than a pipe holds: the thread hands it over
    pid = reader.pid
    assert pid is not None
    started = time.monotonic()
    reader.close()
    assert gone(pid) and time.monotonic() - started < 5
    reader.add([str(path)])
    assert reader.pid is None


def test_a_child_that_cannot_start_costs_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "feedsvc.reading.ahead")
    path = str(files_of(tmp_path / "a", 1)[0])
    for executable in ("", str(tmp_path / "no-python")):
        monkeypatch.setattr(sys, "executable", executable)
        with ReadAhead() as reader:
            reader.add([path])
            reader.add([path])
            assert reader.pid is None
    assert caplog.text.count("files not read ahead") == 2  # none named; one not there


@pytest.mark.skipif(not os.path.exists("/bin/true"), reason="no /bin/true")
def test_a_child_that_ends_early_leaves_nothing_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = str(files_of(tmp_path / "a", 1)[0])
    monkeypatch.setattr(sys, "executable", "/bin/true")  # ends at once, reading nothing
    reader = ReadAhead()
    reader.add([path] * 50_000)
    pid = reader.pid
    assert pid is not None
    for _ in range(50):
        reader.done(ReadAhead.WINDOW)  # the reader goes on: more is handed to no one
    reader.close()
    assert gone(pid) and reader._paths.empty() and not reader._waiting


def test_a_reader_not_wanted_starts_no_child(tmp_path: Path) -> None:
    with ReadAhead(False) as reader:
        reader.add(str(p) for p in files_of(tmp_path / "a", 3))
        assert reader.pid is None


class Handed:
    """What each reader handed its child (its object id, each path), in order, and the
    ids of the children started."""

    def __init__(self) -> None:
        self.paths: list[tuple[int, str]] = []
        self.children: set[int] = set()

    def of(self, reader: int) -> list[str]:
        return [path for r, path in self.paths if r == reader]


@pytest.fixture
def handed(monkeypatch: pytest.MonkeyPatch) -> Handed:
    """Record what readers hand their child (``ReadAhead._hand``), and hand it on."""
    seen = Handed()
    real = ReadAhead._hand

    def hand(self: ReadAhead) -> None:
        waiting = list(self._waiting)
        real(self)
        seen.paths += [(id(self), p) for p in waiting[: len(waiting) - len(self._waiting)]]
        if self.pid is not None:
            seen.children.add(self.pid)

    monkeypatch.setattr(ReadAhead, "_hand", hand)
    return seen


def reads_after_handing(monkeypatch: pytest.MonkeyPatch, module: Any, handed: Handed) -> list[str]:
    """Record each file MODULE reads, checking it was handed to the child before, and
    at most WINDOW files beyond those read: return the paths read, in order."""
    order: list[str] = []
    real = module.read_article

    def read(item: Any, *args: Any) -> Any:
        order.append(item.real)
        asked = [p for _, p in handed.paths]
        assert item.real in asked, "read before the child was asked for it"
        readers = len({reader for reader, _ in handed.paths})  # each WINDOW ahead at most
        assert len(asked) <= len(order) + readers * ReadAhead.WINDOW
        return real(item, *args)

    monkeypatch.setattr(module, "read_article", read)
    return order


def test_a_cold_read_of_many_files_hands_each_to_the_child_before_reading_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, handed: Handed
) -> None:
    monkeypatch.setattr(folder_module, "MANY", 100)
    monkeypatch.setattr(ReadAhead, "WINDOW", 20)
    articles = tmp_path / "articles"
    write_articles(articles, 150)
    alone = folder_on(articles, tmp_path / "alone.sqlite3", share=False)
    monkeypatch.setattr(folder_module, "MANY", 1000)  # a first scan of fewer: none
    alone.scan(NOW)
    assert handed.paths == [] and handed.children == set()
    monkeypatch.setattr(folder_module, "MANY", 100)
    folder = folder_on(articles, tmp_path / "s.sqlite3", share=False)
    order = reads_after_handing(monkeypatch, folder_module, handed)
    folder.scan(NOW)
    assert [p for _, p in handed.paths] == order and len(order) == 150
    assert len({reader for reader, _ in handed.paths}) == 1 and len(handed.children) == 1
    assert all(gone(pid) for pid in handed.children)
    assert as_read(folder) == as_read(alone) and folder.problems() == []
    # A rescan hands over nothing.
    (articles / "a-0000.md").write_text("---\ntitle: Edited\n---\n\nNew body.\n")
    os.utime(articles / "a-0000.md", (time.time() - 60, time.time() - 60))
    folder.scan(NOW)
    assert as_read(folder) != as_read(alone) and len(order) == 151 and len(handed.paths) == 150


def test_workers_sharing_a_cold_read_hand_over_the_chunks_each_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, handed: Handed
) -> None:
    monkeypatch.setattr(firstread, "SHARE_FROM", 200)
    monkeypatch.setattr(firstread, "CHUNK", 100)
    monkeypatch.setattr(folder_module, "MANY", 100)
    monkeypatch.setattr(ReadAhead, "WINDOW", 30)
    articles = tmp_path / "articles"
    write_articles(articles, 600)
    state = tmp_path / "s.sqlite3"
    workers = [folder_on(articles, state), folder_on(articles, state)]
    order = reads_after_handing(monkeypatch, firstread, handed)
    scan_together(workers)
    listing = sorted(os.path.realpath(p) for p in articles.iterdir())
    # Each file once, by the reader of the worker that read its chunk, before it read it.
    assert sorted(p for _, p in handed.paths) == listing == sorted(order)
    readers = {reader for reader, _ in handed.paths}
    assert len(readers) == 2 and len(handed.children) == 2
    for reader in readers:
        assert len(handed.of(reader)) % 100 == 0 and handed.of(reader) == sorted(handed.of(reader))
    assert as_read(workers[0]) == as_read(workers[1]) and len(as_read(workers[0])) == 600
