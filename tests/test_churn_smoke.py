"""The churn bench's short run, as CI runs it: `bench/churn.py --smoke` must pass."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench" / "churn.py"


@pytest.mark.slow
@pytest.mark.server
@pytest.mark.skipif(
    os.environ.get("FEEDSVC_SLOW") != "1", reason="set FEEDSVC_SLOW=1 (about 30 s)"
)
def test_churn_smoke_run_passes() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--smoke"], capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASS" in done.stdout
    assert "5xx responses: 0" in done.stdout
