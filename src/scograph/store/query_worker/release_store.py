"""The release store as a query worker opens it, and the IRI its queries resolve against."""

from __future__ import annotations

import pyoxigraph as ox


def endpoint_iri(store_path: str) -> str | None:
    """``<base IRI>sparql``, the IRI relative IRIs in a query resolve against (as Oxigraph's
    and Fuseki's servers resolve them against their endpoint); from the configured base
    IRI recorded in the release beside the store, never from a request's Host."""
    from pathlib import Path

    from scograph.release import Release

    try:
        return Release.open(Path(store_path).parent).base_iri + "sparql"
    except (OSError, ValueError, KeyError):
        return None


def open_store(store_path: str, in_memory: bool) -> ox.Store:
    """The release store, read-only on disk, or copied into this process's memory.

    Oxigraph's in-memory store answers the example queries 2.4-3.2x faster than
    its RocksDB one (benchmarks/REPORT-endpoint.md, "Third pass"). The copy
    is made from the on-disk store, not from a dump: blank nodes keep the
    identifiers the store gave them, so every worker, in memory or not, writes
    the same bytes for the same query (a parser would mint new ones)."""
    on_disk = ox.Store.read_only(store_path)
    if not in_memory:
        return on_disk
    memory = ox.Store()
    memory.extend(on_disk.quads_for_pattern(None, None, None, None))
    return memory
