"""The W3C Feed Validation Service, run locally from its public source, for tests.

``bench/validate_w3c.py`` fetches and drives it; ``feedvalidator()`` puts its source
on ``sys.path`` for a test (FEEDSVC_FEEDVALIDATOR names a source folder of your own)
and skips when it cannot be had. The validator sets the process's default socket
timeout when imported; it is put back afterwards, so later tests' sockets keep
blocking as they expect.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from conftest import ROOT


def bench() -> ModuleType:
    """Return bench/validate_w3c.py as a module."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import validate_w3c
    finally:
        sys.path.pop(0)
    return validate_w3c


@contextlib.contextmanager
def feedvalidator() -> Iterator[ModuleType]:
    """Yield bench/validate_w3c.py with the validator's source importable, or skip."""
    timeout = socket.getdefaulttimeout()
    with tempfile.TemporaryDirectory() as temporary:
        named = os.environ.get("FEEDSVC_FEEDVALIDATOR")
        module = bench()
        source = Path(named) if named else module.extract(module.MIRROR, Path(temporary))
        if source is None or not (source / "feedvalidator").is_dir():
            pytest.skip("no W3C feedvalidator source: set FEEDSVC_FEEDVALIDATOR to its src folder")
        pytest.importorskip("html5lib")
        sys.path.insert(0, str(source))
        try:
            yield module
        finally:
            sys.path.remove(str(source))
            socket.setdefaulttimeout(timeout)
