"""The one interface between the web layer and a triplestore.

Implementations: :mod:`scograph.store.embedded` (pyoxigraph on the release's
on-disk store) and :mod:`scograph.store.remote` (any SPARQL 1.1 endpoint).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rdflib is imported where it is used: query workers import this module and need none of it
    import rdflib


class QueryError(Exception):
    """The query is malformed; the message is the parser's, safe to show to the client."""


class QueryRefused(QueryError):
    """The query is well-formed but not allowed here (update, SERVICE, LOAD, remote FROM...)."""


class ResultTooLarge(QueryError):
    """The answer is over the byte cap and could not be cut between rows (a remote store's odd format)."""


class QueryTimeout(Exception):
    """The query ran past its time limit and was stopped."""


class StoreBusy(Exception):
    """Too many queries are running; try again later."""


class StoreUnavailable(StoreBusy):
    """The store cannot answer at all (its workers cannot start, its files cannot be read): 503, with why."""


class QueryCrashed(Exception):
    """The query crashed the process running it for another reason than a resource limit (500, says how)."""


@dataclass(frozen=True)
class QueryOutcome:
    """A serialized query result.

    ``form`` is one of SELECT, ASK, CONSTRUCT, DESCRIBE. ``truncated`` is true
    when the result-size cap cut the result (``count`` then equals the cap).
    """

    form: str
    media_type: str
    body: bytes
    count: int | None = None
    truncated: bool = False


SPARQL_JSON = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"


class Store(ABC):
    """A read-only view of one release."""

    @property
    @abstractmethod
    def version(self) -> str:
        """Release version; used for ETags and the "cite this" box."""

    @property
    @abstractmethod
    def base_iri(self) -> str:
        """The canonical base IRI the data was built with."""

    @abstractmethod
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
        """Run one SPARQL query; SELECT/ASK serialize as ``results_media_type``,
        CONSTRUCT/DESCRIBE as ``graph_media_type``.

        Raises QueryError (400), QueryRefused (400/403), QueryTimeout (503), StoreBusy (429/503).
        """

    def close(self) -> None:  # pragma: no cover - default: nothing to release
        pass

    def check(self, timeout: float) -> None:
        """For ``/healthz``: read the store for real (no result cache) within ``timeout`` seconds.

        Raises StoreBusy when saturated, StoreUnavailable (or any other exception) when it cannot answer.
        """
        self.run("ASK { ?s ?p ?o }", timeout=timeout)

    # Conveniences for the pages, built on run().

    def select(self, query: str, **kwargs) -> list[dict[str, rdflib.term.Node]]:
        outcome = self.run(query, results_media_type=SPARQL_JSON, **kwargs)
        return parse_sparql_json(outcome.body)

    def ask(self, query: str, **kwargs) -> bool:
        outcome = self.run(query, results_media_type=SPARQL_JSON, **kwargs)
        return bool(json.loads(outcome.body)["boolean"])

    def construct(self, query: str, **kwargs) -> rdflib.Graph:
        import rdflib

        outcome = self.run(query, graph_media_type=N_TRIPLES, **kwargs)
        graph = rdflib.Graph()
        if outcome.body:
            graph.parse(data=outcome.body.decode("utf-8"), format="nt")
        return graph


def _term(binding: dict) -> rdflib.term.Node:
    import rdflib  # cached in sys.modules after the first call: a dict lookup

    kind = binding["type"]
    if kind == "uri":
        return rdflib.URIRef(binding["value"])
    if kind == "bnode":
        return rdflib.BNode(binding["value"])
    return rdflib.Literal(
        binding["value"],
        lang=binding.get("xml:lang"),
        datatype=rdflib.URIRef(binding["datatype"]) if "datatype" in binding else None,
    )


def parse_sparql_json(body: bytes) -> list[dict[str, rdflib.term.Node]]:
    document = json.loads(body)
    return [{name: _term(value) for name, value in row.items()} for row in document["results"]["bindings"]]
