"""The embedded store: pyoxigraph reading the release's on-disk store.

This first version answers in-process with no time limit; the query worker
pool (time limits that free the CPU, concurrency bounds) replaces ``run``.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyoxigraph as ox

from scograph.release import Release
from scograph.store.base import N_TRIPLES, SPARQL_JSON, QueryError, QueryOutcome, Store

RESULTS_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}


class EmbeddedStore(Store):
    def __init__(self, release: Release):
        self._release = release
        self._store = ox.Store.read_only(str(release.store_path))

    @property
    def version(self) -> str:
        return self._release.version

    @property
    def base_iri(self) -> str:
        return self._release.base_iri

    @property
    def release(self) -> Release:
        return self._release

    def run(
        self,
        query: str,
        *,
        results_media_type: str = SPARQL_JSON,
        graph_media_type: str = N_TRIPLES,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        timeout: float | None = None,
        max_results: int | None = None,
    ) -> QueryOutcome:
        kwargs = {}
        if default_graph_uris:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graph_uris]
        else:
            kwargs["use_default_graph_as_union"] = True
        if named_graph_uris:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graph_uris]
        try:
            result = self._store.query(query, **kwargs)
        except SyntaxError as exc:
            raise QueryError(str(exc)) from None
        if isinstance(result, ox.QueryBoolean):
            body = result.serialize(format=RESULTS_FORMATS[results_media_type])
            return QueryOutcome("ASK", results_media_type, body, 1)
        if isinstance(result, ox.QuerySolutions):
            body = result.serialize(format=RESULTS_FORMATS[results_media_type])
            return QueryOutcome("SELECT", results_media_type, body)
        triples = list(result)
        body = ox.serialize(triples, format=GRAPH_FORMATS[graph_media_type]) or b""
        return QueryOutcome("CONSTRUCT", graph_media_type, body, len(triples))
