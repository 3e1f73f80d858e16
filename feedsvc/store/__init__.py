"""The state store: what must outlive restarts, re-clones and several workers.

Rule: the only SQL in feedsvc is here. The store never opens an article file
(a body it lost is read again through a callback the catalog hands it) and
imports nothing from catalog, render or web.
"""
