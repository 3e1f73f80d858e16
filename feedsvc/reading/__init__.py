"""Reading: article files -> normalised ``Article`` values and their ``Text``.

Rule: only this package opens article files. It runs no SQL and reads no
clock (what depends on history is left ``None`` for the catalog), and it
imports nothing from store, catalog, render or web.
"""
