"""A bounded cache of serialized query results, shared by both stores.

A release never changes, so an answer stays right for as long as the release
is served: the stores key entries on the query, the negotiated format, the
dataset, the result cap and (for a remote store, whose release can change
under it) the release version.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Sequence

from scograph.store.base import QueryOutcome


def result_key(
    query: str,
    media_type: str,
    default_graph_uris: Sequence[str],
    named_graph_uris: Sequence[str],
    max_results: int,
    release_version: str = "",
) -> tuple:
    """What identifies one answer: the same key, the same bytes (within one release)."""
    return (release_version, query, media_type, tuple(default_graph_uris), tuple(named_graph_uris), max_results)


#: Memory an entry takes besides its body and its key's strings: the ordered dict's slot and
#: link, the key tuple and its small members, the QueryOutcome (tests/test_cache_bounds.py).
ENTRY_OVERHEAD = 480


def entry_size(key: tuple, body: bytes, overhead: int = ENTRY_OVERHEAD) -> int:
    """The memory one entry holds, as the allocator sees it (object headers included), so that
    ``max_bytes`` bounds the process's memory and not only the bodies in it; ``overhead``: what
    the entry's own objects take (the replay cache's differ, ``web/fast_path.py``)."""
    return sys.getsizeof(body) + sum(sys.getsizeof(part) for part in key if isinstance(part, str)) + overhead


class ResultCache:
    """A thread-safe LRU of serialized results, bounded in bytes."""

    def __init__(self, max_bytes: int, max_entry_bytes: int):
        self.max_bytes = max_bytes
        self.max_entry_bytes = min(max_entry_bytes, max_bytes)
        self._entries: OrderedDict[tuple, QueryOutcome] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple) -> QueryOutcome | None:
        with self._lock:
            outcome = self._entries.get(key)
            if outcome is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return outcome

    def put(self, key: tuple, outcome: QueryOutcome) -> None:
        size = entry_size(key, outcome.body)
        if size > self.max_entry_bytes:
            return
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = outcome
            self._bytes += size
            while self._bytes > self.max_bytes and self._entries:
                old_key, old = self._entries.popitem(last=False)
                self._bytes -= entry_size(old_key, old.body)

    def status(self) -> dict:
        with self._lock:
            return {"entries": len(self._entries), "bytes": self._bytes, "hits": self.hits, "misses": self.misses}
