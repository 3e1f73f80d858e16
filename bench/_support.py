"""What the benchmark scripts share. Not a benchmark itself (CI skips bench/_*.py)."""

from __future__ import annotations

import socket


def free_port() -> int:
    """Return a TCP port free on 127.0.0.1 just now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
