"""The endpoint's answer as a :class:`QueryOutcome`: parsed, mapped back, capped and re-serialized.

Separate from sending the query because every store's quirks are met here
(Virtuoso's ASK as a SELECT, its blank-node labels): the client gets the same
formats and bounds whichever store answers.
"""

from __future__ import annotations

import json

import pyoxigraph as ox

from scograph.store.base import SPARQL_JSON, QueryOutcome, StoreBusy
from scograph.store.embedded import GRAPH_FORMATS, RESULTS_FORMATS
from scograph.store.pointer import CurrentRelease
from scograph.store.query_worker import fit_bytes
from scograph.store.remote.graph_names import map_binding_row, map_triple


def outcome_of(
    content_type: str,
    body: bytes | dict,
    current: CurrentRelease,
    results_media_type: str,
    graph_media_type: str,
    cap: int,
    max_bytes: int,
    cut: bool = False,
) -> QueryOutcome:
    """At most ``cap`` rows or triples in at most ``max_bytes``; ``cut``: the byte cap already cut the body."""
    back = current.physical_to_logical
    if content_type in ("application/sparql-results+json", "application/json"):
        try:
            document = body if isinstance(body, dict) else json.loads(body)
        except ValueError as exc:
            raise StoreBusy(f"the store sent malformed JSON results: {exc}") from None
        if "boolean" not in document and _virtuoso_ask(document):
            # Virtuoso answers ASK as a SELECT of ?__ASK_RETVAL: one row "1" for true, none (or "0") for false.
            rows = document["results"]["bindings"]
            document = {"boolean": bool(rows) and rows[0]["__ASK_RETVAL"]["value"] not in ("0", "false")}
        if "boolean" in document:
            parsed = ox.parse_query_results(json.dumps({"head": {}, "boolean": document["boolean"]}).encode(), format=ox.QueryResultsFormat.JSON)
            return QueryOutcome("ASK", results_media_type, parsed.serialize(format=RESULTS_FORMATS[results_media_type]), 1)
        bindings = document.get("results", {}).get("bindings", [])
        truncated = cut or len(bindings) > cap
        bindings = [map_binding_row(row, back) for row in bindings[:cap]]
        names = document.get("head", {}).get("vars", [])

        def serialize(n: int) -> bytes:
            clean = {"head": {"vars": names}, "results": {"bindings": bindings[:n]}}
            if results_media_type == SPARQL_JSON:
                return json.dumps(clean, ensure_ascii=False).encode("utf-8")
            parsed = ox.parse_query_results(json.dumps(clean).encode(), format=ox.QueryResultsFormat.JSON)
            return parsed.serialize(format=RESULTS_FORMATS[results_media_type])

        out, count = fit_bytes(serialize, len(bindings), max_bytes)
        return QueryOutcome("SELECT", results_media_type, out, count, truncated or count < len(bindings))
    if isinstance(body, dict):
        raise StoreBusy(f"the store answered an unexpected media type {content_type!r}")
    source_format = {"application/n-triples": ox.RdfFormat.N_TRIPLES, "text/plain": ox.RdfFormat.N_TRIPLES, "text/turtle": ox.RdfFormat.TURTLE}.get(content_type)
    if source_format is None:
        raise StoreBusy(f"the store answered an unexpected media type {content_type!r}")
    try:
        triples = [q.triple for q in ox.parse(body, format=source_format)]
    except SyntaxError as exc:
        raise StoreBusy(f"the store sent a malformed graph: {exc}") from None
    truncated = cut or len(triples) > cap
    triples = [map_triple(t, back) for t in triples[:cap]]

    def serialize(n: int) -> bytes:
        return ox.serialize(triples[:n], format=GRAPH_FORMATS[graph_media_type]) or b""

    out, count = fit_bytes(serialize, len(triples), max_bytes)
    return QueryOutcome("CONSTRUCT", graph_media_type, out, count, truncated or count < len(triples))


def _virtuoso_ask(document: dict) -> bool:
    bindings = document.get("results", {}).get("bindings", [])
    return document.get("head", {}).get("vars") == ["__ASK_RETVAL"] and len(bindings) <= 1

