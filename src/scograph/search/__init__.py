"""Full-text search and name matching over a release: one SQLite FTS5 file per release.

``indexer`` writes it at build time (``scograph build``), ``index`` reads it
(``scograph serve``, read-only), ``query`` turns what a user typed into a safe
FTS5 expression, ``highlight`` marks the matches in a hit, ``segment`` and
``matching`` are the shared text rules, ``kinds`` names the kinds and extension properties.
"""

from scograph.search.indexer import SEARCH_INDEX

__all__ = ["SEARCH_INDEX"]
