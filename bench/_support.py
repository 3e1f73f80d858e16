"""What the benchmark scripts share (and tests that time what they time). Not a benchmark
itself (CI skips bench/_*.py)."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path


def free_port() -> int:
    """Return a TCP port free on 127.0.0.1 just now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def save(path: Path, text: str) -> None:
    """Save TEXT at PATH as editors do (a file renamed over it), settled (five seconds old)."""
    temporary = path.with_name(".edit.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
    past = time.time() - 5
    os.utime(path, (past, past))
