"""Rendering: a ``Snapshot`` -> the bytes of every feed, page and asset.

Rule: no Flask, no request, no clock, no SQL, no file reads but the package's
own templates and a theme's (loaded at start-up). Bodies come from a
``Bodies`` source, and a post's bundle files from a ``Files`` source, handed in
at the render edge. Imports nothing from web.
"""
