"""When git says each file of the articles folder was added: evidence for undated files.

One ``git log`` pass over the folder's history, oldest commit first, follows
every add, rename and delete, so 1,000 new files cost one git process, not
1,000. A file's date is the author date of the commit that added it, carried
through renames (git's rename detection, 50% similar); a file deleted and added
again dates from the second add. No git, a folder outside a work tree, or any
git failure gives no dates, and the caller falls back to the time of first sight.
"""

from __future__ import annotations

import logging
import subprocess
from datetime import datetime

log = logging.getLogger(__name__)
TIMEOUT = 60.0
COMMAND = (
    "git",
    "-c",
    "log.showSignature=false",
    "log",
    "--reverse",
    "-M",
    "--diff-filter=ADR",
    "--name-status",
    "-z",
    "--relative",
    "--format=%x01%aI",
    "--",
    ".",
)


def added_dates(folder: str, timeout: float = TIMEOUT) -> dict[str, datetime]:
    """Return when each file under FOLDER (by path relative to it) was added to git."""
    try:
        done = subprocess.run(
            COMMAND, cwd=folder, capture_output=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.SubprocessError) as e:
        log.debug("no git dates for %s: %s", folder, e)
        return {}
    if done.returncode != 0:
        log.debug("no git dates for %s: %s", folder, done.stderr.decode(errors="replace"))
        return {}
    return parse(done.stdout.decode("utf-8", errors="surrogateescape"))


def parse(output: str) -> dict[str, datetime]:
    """Return the add date of each path in OUTPUT (see COMMAND), renames followed."""
    added: dict[str, datetime] = {}
    for commit in output.split("\x01")[1:]:
        stamp, _, changes = commit.partition("\0")
        try:
            when = datetime.fromisoformat(stamp.strip())
        except ValueError:
            continue
        tokens = changes.lstrip("\n").split("\0")
        i = 0
        while i < len(tokens) and tokens[i]:
            status = tokens[i]
            if status.startswith("R") and i + 2 < len(tokens):
                old, new = tokens[i + 1], tokens[i + 2]
                added[new] = added.pop(old, when)
                i += 3
                continue
            if i + 1 < len(tokens):
                if status == "A":
                    added[tokens[i + 1]] = when
                elif status == "D":
                    added.pop(tokens[i + 1], None)
            i += 2
    return added
