"""The remote store: answer from any SPARQL 1.1 endpoint (Oxigraph server, Virtuoso...).

Same interface and bounds as the embedded store: every query passes the same
guard before it leaves, runs under a client-side deadline, at most
``max_concurrent_queries`` at a time, and its result is capped at
``max_results``. Results are parsed and re-serialized with pyoxigraph, so a
client gets the same formats whichever store answers.

Answers are kept in the same bounded result cache as the embedded store's,
keyed on the release version as well, so a publish is never hidden by it.

Some stores cut long results without saying so (Virtuoso's ``ResultSetMaxRows``
answers 200 with the first N rows and no header). A truncated answer passed off
as complete is the one failure a reader cannot notice, so on start-up the store
is asked for ``max_results + 1`` generated rows, and a store that returns fewer
is refused with the setting to change.

The release served is whatever the store's pointer graph names (see
:mod:`scograph.store.pointer`); it is re-read every ``pointer_ttl`` seconds, so
front ends hold no state and follow ``scograph publish`` on their own. Graph
names stay the logical ones (``{base}graph/data``): IRIs of the release's
graphs are mapped to the stored, versioned graphs on the way out and back on
the way in, and the protocol dataset (``default-graph-uri`` /
``named-graph-uri``) is always limited to the current release's graphs, so the
pointer graph and other releases are never visible. A graph IRI is mapped
however the query writes it: in full, relative to ``BASE`` or as a prefixed name.

The modules: :mod:`.store` (the store, its bounds and its cache),
:mod:`.served_release` (reading the pointer graph), :mod:`.graph_names`
(logical and stored graph names), :mod:`.answers` (the endpoint's answer as a
:class:`~scograph.store.base.QueryOutcome`), :mod:`.byte_cap` (whole rows of a
cut answer), :mod:`.row_limit` (the start-up check) and :mod:`.errors`.
"""

from scograph.store.remote.errors import RemoteStoreError, network_reason
from scograph.store.remote.graph_names import EMPTY_GRAPH
from scograph.store.remote.served_release import POINTER_EMPTY_RETRIES
from scograph.store.remote.store import ACCEPT_GRAPH, ACCEPT_RESULTS, RemoteStore

__all__ = ["ACCEPT_GRAPH", "ACCEPT_RESULTS", "EMPTY_GRAPH", "POINTER_EMPTY_RETRIES", "RemoteStore", "RemoteStoreError", "network_reason"]
