"""Requests logged in the combined log format, under granian as under gunicorn.

gunicorn's default access-log line is the combined format (Apache's and nginx's
``combined``): ``HOST - - [TIME] "REQUEST" STATUS BYTES "REFERER" "USER-AGENT"``.
granian hands its access logger a dict per request; the formatter here writes
the same line from it. granian does not report the bytes sent, so BYTES is ``-``.
"""

from __future__ import annotations

import copy
import logging
import time
from typing import Any

from granian.log import LOGGING_CONFIG

# What granian collects per request; the line itself is written by CombinedFormatter.
GRANIAN_FORMAT = (
    '%(addr)s "%(method)s %(path)s" %(status)d "%(header{referer})s" "%(header{user-agent})s"'
)


class CombinedFormatter(logging.Formatter):
    """Write granian's request dict as one combined-log-format line."""

    def format(self, record: logging.LogRecord) -> str:
        fields = record.args
        if not isinstance(fields, dict) or "status" not in fields:
            return super().format(record)
        when = time.strftime("%d/%b/%Y:%H:%M:%S %z", time.localtime(record.created))
        target = fields["path"] + ("?" + fields["query_string"] if fields["query_string"] else "")
        return (
            f'{fields["addr"]} - - [{when}] "{fields["method"]} {target} {fields["protocol"]}" '
            f'{fields["status"]} - "{fields["_h0"]}" "{fields["_h1"]}"'
        )


def dictconfig() -> dict[str, Any]:
    """Return granian's logging configuration with the combined access-log line."""
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["access"] = {"()": f"{__name__}.CombinedFormatter"}
    return config
