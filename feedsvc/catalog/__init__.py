"""The catalog: article files -> an immutable ``Snapshot``, incrementally.

Rule: the clock comes in as ``now``; nothing here reads it. The catalog may
use reading and store, and imports nothing from render or web.
"""
