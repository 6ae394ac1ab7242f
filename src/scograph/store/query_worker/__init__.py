"""A query worker process: runs SPARQL queries on the release store and serializes the results.

pyoxigraph can neither time out nor cancel a query, so queries run in worker
processes that the pool (:mod:`scograph.store.pool`) kills when their time is
up; killing the process is the only way to truly stop the work and free the
CPU. Results are serialized here too, so serialization time counts against the
limit and only finished bytes cross the channel (:mod:`scograph.store.channel`).

A worker is ``python -m scograph.store.query_worker``, a fresh interpreter. Before
it opens the store it

- asks the kernel to kill it when its parent dies (no orphaned runaway query),
- raises the network walls it is asked for, each that the kernel allows
  (:mod:`.walls`); it reports which are up, and the pool refuses a worker with
  none unless told that is acceptable,
- caps its address space (:mod:`.memory`).

Then it answers one query at a time (:mod:`.loop`): :func:`.answers.execute`
runs it on the store (:mod:`.release_store`: on disk, or copied into memory) and
caps the answer twice while it is written, in rows (``max_results``) and in bytes
(``max_bytes``).
"""

from scograph.store.query_worker.answers import DEFAULT_MAX_BYTES, GRAPH_FORMATS, RESULTS_FORMATS, execute, fit_bytes
from scograph.store.query_worker.memory import check_room
from scograph.store.query_worker.release_store import endpoint_iri, open_store
from scograph.store.query_worker.walls import WALLS, probe, raise_walls

__all__ = [
    "DEFAULT_MAX_BYTES", "GRAPH_FORMATS", "RESULTS_FORMATS", "WALLS",
    "check_room", "endpoint_iri", "execute", "fit_bytes", "open_store", "probe", "raise_walls",
]
