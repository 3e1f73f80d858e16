"""The web layer: HTTP and threads only.

Rule: only ``routes`` touches Flask's ``request``; ``http`` holds the HTTP
decisions as pure functions on header values, shared by the route and the
fast path. The clock is read here, once per request or rescan tick, and
passed down as ``now``.
"""
