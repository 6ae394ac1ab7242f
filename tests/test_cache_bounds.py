"""The two answer caches' byte bounds are bounds on memory, not only on the bodies they hold.

Each web process keeps a result cache (store/cache.py) and a replay cache
(web/fast_path.py). Under a stream of distinct queries both fill to their bound,
so what an entry really costs must be what is counted: a 300-byte answer to a
300-character query, with its ~20 headers, takes several times its body. The
allocator's own count (tracemalloc) is the measure here.
"""

from __future__ import annotations

import gc
import random
import tracemalloc

import pytest

from scograph.store.base import QueryOutcome
from scograph.store.cache import ResultCache, result_key
from scograph.web.fast_path import FastPath, _Entry

ENTRIES = 2000


def _query(i: int) -> str:
    # Fresh strings, some of them not Latin-1 (4 bytes a character in CPython).
    words = "绿色 发展 伙伴关系" if i % 3 == 0 else "green development partnership"
    return f"SELECT * WHERE {{ ?s ?p ?o . # {words} {i} " + "x" * random.randrange(100, 400) + " }"


def _body(i: int) -> bytes:
    return (b'{"head":{"vars":["s"]},"results":{"bindings":[]}} ' + str(i).encode()) * random.randrange(1, 8)


def _headers(i: int, body: bytes) -> list[tuple[str, str]]:
    return [
        ("Content-Type", "application/sparql-results+json"), ("Content-Length", str(len(body))),
        ("X-Result-Limit", "10000"), ("X-Result-Byte-Limit", "16777216"), ("X-Result-Truncated", "false"),
        ("X-Result-Count", str(i % 50)), ("X-Query-Duration-Ms", f"{i % 7}.{i % 10}"),
        ("Access-Control-Allow-Origin", "*"), ("Access-Control-Expose-Headers", "ETag, X-Result-Count" + str(i)),
        ("Vary", "Accept, Accept-Language, Accept-Encoding"), ("X-Release-Version", f"f02f954f1cc8{i}"),
        ("X-Content-Type-Options", "nosniff"), ("Cache-Control", "public, max-age=300"),
        ("ETag", f'"{i:032x}"'),
    ]


def _traced(fill) -> tuple[int, object]:
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = fill()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before, kept
    finally:
        tracemalloc.stop()


def _put_result(cache: ResultCache, i: int) -> None:
    key = result_key(_query(i), "application/sparql-results+json", (), (), 10_000)
    cache.put(key, QueryOutcome("SELECT", "application/sparql-results+json", _body(i), i % 50, False))


def _put_replay(fast: FastPath, i: int) -> None:
    body = _body(i)
    key = ("GET", "query=" + _query(i), "application/sparql-results+json", None, None, None)
    fast._put(key, _Entry("200 OK", _headers(i, body), body, "SELECT", key))


@pytest.mark.parametrize("make,put,most", [
    (lambda: ResultCache(max_bytes=1 << 30, max_entry_bytes=1 << 20), _put_result, 1.5),
    # More, on the safe side: constant header values are shared between entries but counted in each.
    (lambda: FastPath(lambda environ, start_response: [], path="/sparql", max_bytes=1 << 30,
                      max_entry_bytes=1 << 20), _put_replay, 2.0),
], ids=["result cache", "replay cache"])
def test_a_cache_counts_at_least_what_its_entries_take(make, put, most):
    random.seed(1)

    def fill():
        cache = make()
        for i in range(ENTRIES):
            put(cache, i)
        return cache

    traced, cache = _traced(fill)
    assert cache.status()["entries"] == ENTRIES
    assert 0.9 * traced <= cache.status()["bytes"] <= most * traced, (cache.status(), traced)


def test_a_full_result_cache_holds_no_more_than_its_bound():
    random.seed(3)
    bound = 256 * 1024

    def fill():
        cache = ResultCache(max_bytes=bound, max_entry_bytes=64 * 1024)
        for i in range(ENTRIES * 2):
            key = result_key(_query(i), "text/csv", (), (), 10_000)
            cache.put(key, QueryOutcome("SELECT", "text/csv", _body(i), 1, False))
        return cache

    traced, cache = _traced(fill)
    assert 0 < cache.status()["bytes"] <= bound
    assert cache.status()["entries"] < ENTRIES  # it did evict
    assert traced <= 1.15 * bound, traced
