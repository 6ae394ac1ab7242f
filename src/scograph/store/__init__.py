"""Where SPARQL queries are answered: the embedded Oxigraph store or a remote endpoint.

The web layer only talks to :class:`scograph.store.base.Store`; swapping the
embedded store for a remote triplestore never touches the web layer.
"""

from scograph.store.base import QueryError, QueryOutcome, QueryRefused, QueryTimeout, Store, StoreBusy

__all__ = ["QueryError", "QueryOutcome", "QueryRefused", "QueryTimeout", "Store", "StoreBusy"]
