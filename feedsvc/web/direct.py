"""What a granian worker calls for each request: polls answered before any WSGI layer.

granian's own WSGI wrapper builds every request's environ from the process's whole
environment and the request's keys (about 60 keys here), then calls the app through
a ``start_response`` of its own. For a poll of a feed, that and the layers in front
of ``FastPath`` cost more than the answer. ``Direct`` is what granian calls instead
(``granian_server`` hands it over as it is), with granian's request scope: a dict of
the request's CGI keys and header fields only. A GET or HEAD that ``Quick`` answers
(a rendered document: a feed's 200 or 304) goes straight back to granian, and its
line to the access log; anything else goes through the whole WSGI stack, with an
environ of PEP 3333's keys and the request's, as before. The answers, headers and
log lines are the stack's (``tests/test_direct.py`` holds them equal).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from granian.wsgi import Response, ResponseIterWrap

if TYPE_CHECKING:  # a worker that starts warm answers before it imports what loading needs
    from .accesslog import Logged
    from .fastpath import Quick

# What granian adds to a request's keys, bar the process's environment (PEP 3333 leaves
# that to the server; no layer of ours reads it from the environ).
SERVER_KEYS: dict[str, Any] = {
    "GATEWAY_INTERFACE": "CGI/1.1",
    "SCRIPT_NAME": "",
    "SERVER_SOFTWARE": "Granian",
    "wsgi.errors": sys.stderr,
    "wsgi.input_terminated": True,
    "wsgi.multiprocess": False,
    "wsgi.multithread": True,
    "wsgi.run_once": False,
    "wsgi.version": (1, 0),
}


class Direct:
    """granian's WSGI callable, ``(proto, scope) -> status``: QUICK's answers, else STACK's."""

    def __init__(self, stack: Logged | None = None, quick: Quick | None = None):
        self.stack = stack
        self.quick = quick

    def use(self, app: Any) -> None:
        """Answer polls as the Flask app APP's stack would, from now on (it has loaded)."""
        self.quick = app.extensions.get("feedsvc.quick")

    def __call__(self, proto: Any, scope: dict[str, Any]) -> int:
        stack, quick = self.stack, self.quick
        assert stack is not None, "Direct called before its stack was set"
        if quick is not None:
            answer = quick(scope)
            if answer is not None:
                status, headers, body, environ = answer
                proto.response_bytes(status, headers, body)
                stack.note(environ, status, len(body))
                return status
        response = Response()  # type: ignore[no-untyped-call]
        result = stack(SERVER_KEYS | scope, response)
        if isinstance(result, list):
            proto.response_bytes(response.status, response.headers, b"".join(result))
        else:
            proto.response_iter(response.status, response.headers, ResponseIterWrap(result))  # type: ignore[no-untyped-call]
        return response.status
