"""One query worker process: runs SPARQL queries on the release store and serializes the results.

pyoxigraph can neither time out nor cancel a query, so queries run in worker
processes that the pool (:mod:`scograph.store.embedded`) kills when their time
is up; killing the process is the only way to truly stop the work and free the
CPU. Results are serialized here too, so serialization time counts against the
limit and only finished bytes cross the pipe.

Each worker, before it opens the store,

- asks the kernel to kill it when its parent dies (no orphaned runaway query),
- moves into a fresh, empty network namespace when the kernel allows it, so
  that even a query that slipped past :mod:`scograph.sparql.guard` could not
  make an outbound request (the guard remains the first wall; this is the second).
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import sys
from itertools import islice
from multiprocessing.connection import Connection
from typing import Any

import pyoxigraph as ox

from scograph.namespaces import PREFIXES

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
_PREFIXED_FORMATS = (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML)
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

_PR_SET_PDEATHSIG = 1
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000


def _die_with_parent() -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the parent's pipe closing still ends the loop
        pass


def _leave_network() -> bool:
    """Enter an empty network namespace (no interfaces but a down loopback); True if it worked."""
    try:
        return ctypes.CDLL(None, use_errno=True).unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0
    except (OSError, AttributeError):
        return False


def _json_term(term: Any) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value not in (_XSD_STRING, _RDF_LANG_STRING):
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):  # RDF-star / RDF 1.2 triple terms
        return {
            "type": "triple",
            "value": {
                "subject": _json_term(term.subject),
                "predicate": _json_term(term.predicate),
                "object": _json_term(term.object),
            },
        }
    raise TypeError(f"unexpected term {term!r}")


def _select(solutions: ox.QuerySolutions, media_type: str, max_results: int) -> tuple[bytes, int, bool]:
    """Serialize at most ``max_results`` solutions.

    pyoxigraph serializes a whole iterator or nothing, so the capped solutions
    are written as SPARQL JSON (plain json.dumps of the standard structure) and,
    for the other formats, handed back to pyoxigraph's serializers.
    """
    names = [v.value for v in solutions.variables]
    rows = list(islice(solutions, max_results + 1))
    truncated = len(rows) > max_results
    rows = rows[:max_results]
    bindings = []
    for row in rows:
        binding = {}
        for name in names:
            term = row[name]
            if term is not None:
                binding[name] = _json_term(term)
        bindings.append(binding)
    document = json.dumps(
        {"head": {"vars": names}, "results": {"bindings": bindings}}, ensure_ascii=False, separators=(",", ":")
    ).encode("utf-8")
    if media_type == "application/sparql-results+json":
        return document, len(rows), truncated
    parsed = ox.parse_query_results(document, format=ox.QueryResultsFormat.JSON)
    return parsed.serialize(format=RESULTS_FORMATS[media_type]), len(rows), truncated


#: CSV and TSV define no boolean result; a bare ``true`` has no header line, which
#: CSV/TSV readers (rdflib's among them) refuse. Jena's answer has a header naming
#: one pseudo-variable, and so does ours.
_ASK_VARIABLE = "_askResult"


def _ask_body(result: ox.QueryBoolean, media_type: str) -> bytes:
    value = "true" if result else "false"
    if media_type == "text/csv":
        return f"{_ASK_VARIABLE}\r\n{value}\r\n".encode()
    if media_type == "text/tab-separated-values":
        return f"?{_ASK_VARIABLE}\n{value}\n".encode()
    return result.serialize(format=RESULTS_FORMATS[media_type])


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


def execute(
    store: ox.Store,
    query: str,
    results_media_type: str,
    graph_media_type: str,
    default_graph_uris: tuple[str, ...],
    named_graph_uris: tuple[str, ...],
    max_results: int,
    query_has_dataset: bool = False,
    base_iri: str | None = None,
) -> tuple[str, str, bytes, int | None, bool]:
    """Run one query; return (form, media type, body, count, truncated).

    Relative IRIs in the query resolve against ``base_iri`` (the endpoint's IRI).
    """
    kwargs: dict[str, Any] = {"base_iri": base_iri} if base_iri else {}
    if default_graph_uris or named_graph_uris:
        # The protocol's dataset replaces the query's (SPARQL 1.1 Protocol, 2.1.4).
        kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graph_uris] or ox.DefaultGraph()
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graph_uris]
    elif not query_has_dataset:
        # Without FROM / FROM NAMED the default graph is the union of the release's
        # graphs, so that queries need no GRAPH clause (layout: see release.py).
        kwargs["use_default_graph_as_union"] = True
    result = store.query(query, **kwargs)
    if isinstance(result, ox.QueryBoolean):
        return "ASK", results_media_type, _ask_body(result, results_media_type), 1, False
    if isinstance(result, ox.QuerySolutions):
        body, count, truncated = _select(result, results_media_type, max_results)
        return "SELECT", results_media_type, body, count, truncated
    triples = list(islice(result, max_results + 1))
    truncated = len(triples) > max_results
    triples = triples[:max_results]
    rdf_format = GRAPH_FORMATS[graph_media_type]
    prefixes = PREFIXES if rdf_format in _PREFIXED_FORMATS else None
    body = ox.serialize(triples, format=rdf_format, prefixes=prefixes) or b""
    return "CONSTRUCT", graph_media_type, body, len(triples), truncated


def _limit_memory(megabytes: int) -> None:
    """Cap the address space: a query that would need more dies (Rust aborts on a failed
    allocation) instead of pushing the whole server into swap or the OOM killer."""
    if megabytes > 0:
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def serve(conn: Connection, store_path: str, isolate_network: bool, memory_mb: int = 0) -> None:
    """The worker's main loop: one request in, one reply out, until the parent goes away."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server; it stops us
    isolated = _leave_network() if isolate_network else False
    store = ox.Store.read_only(store_path)
    base_iri = endpoint_iri(store_path)
    _limit_memory(memory_mb)
    conn.send(("ready", os.getpid(), isolated))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply: tuple = ("ok", *execute(store, **{"base_iri": base_iri, **request}))
        except SyntaxError as exc:
            reply = ("query-error", str(exc))
        except Exception as exc:  # reported to the pool, which logs it and answers 500
            reply = ("error", f"{type(exc).__name__}: {exc}")
        conn.send(reply)


def main(argv: list[str]) -> None:
    """``python -m scograph.store.query_worker FD STORE_PATH ISOLATE MEMORY_MB``: started by the pool only."""
    fd, store_path, isolate, memory_mb = int(argv[1]), argv[2], argv[3] == "1", int(argv[4])
    serve(Connection(fd), store_path, isolate, memory_mb)


if __name__ == "__main__":
    main(sys.argv)
