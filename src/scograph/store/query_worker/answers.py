"""Running one query and writing its answer, capped in rows and in bytes while it is written.

Serialization stops at the caps, so a query that makes a 100 MB literal never
gets a 100 MB answer built, sent or buffered. Answers that fit a budget are
written whole by pyoxigraph's own serializers; the rest row by row.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import orjson
import pyoxigraph as ox

from scograph.prefixes import PREFIXES


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


def fit_bytes(serialize, count: int, max_bytes: int) -> tuple[bytes, int]:
    """``serialize(n)`` for the largest n <= count found whose bytes fit ``max_bytes``.

    The items were chosen by their size in one format; another format (XML, JSON-LD)
    can be larger, so it is checked and, if need be, cut in proportion (a few tries)."""
    body = serialize(count)
    while len(body) > max_bytes and count > 0:
        count = min(count - 1, int(count * max_bytes / len(body) * 0.98))
        body = serialize(max(count, 0))
    return body, max(count, 0)


#: Answers up to this size are written by pyoxigraph's own serializer, whole; past it (or past
#: the row cap) the query runs again and is written row by row with the caps. The native writer
#: saved ~0.1 ms of the ~0.8 ms an example query costs the worker. Measured at 1M quads
#: (``execute``, s): example 03 (1,313 rows, 0.5 MB) 0.28 with a 256 KiB budget (run twice),
#: 0.13 with 4 MiB; an unbounded ``SELECT *`` cut at 10,000 rows 0.33, 0.44, and 0.82 with a
#: budget of the whole 16 MiB byte cap: 4 MiB keeps most whole answers native and bounds the waste.
NATIVE_BUDGET_BYTES = 4 * 1024 * 1024


class _OverBudget(Exception):
    """Raised from inside pyoxigraph's serializer: the answer is larger than the native budget."""


class _BudgetWriter:
    """A file-like sink for pyoxigraph's serializers that stops them past ``budget`` bytes
    (pyoxigraph writes 8 KiB at a time and passes the exception on)."""

    __slots__ = ("parts", "size", "budget")

    def __init__(self, budget: int):
        self.parts: list[bytes] = []
        self.size = 0
        self.budget = budget

    def write(self, chunk) -> int:
        self.size += len(chunk)
        if self.size > self.budget:
            raise _OverBudget()
        self.parts.append(bytes(chunk))
        return len(chunk)

    def flush(self) -> None:
        pass


def _count_rows(body: bytes, media_type: str) -> int:
    """How many solutions an answer written by pyoxigraph holds, read from its bytes."""
    if media_type == "application/sparql-results+xml":
        return body.count(b"<result>")  # text is escaped in XML: the tag cannot occur inside a value
    if media_type == "text/tab-separated-values":
        return body.count(b"\n") - 1  # one line a solution after the header; TSV escapes newlines in terms
    if media_type == "text/csv":
        return sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8"), newline=""))) - 1
    # orjson: the count took json.loads 0.03-0.05 ms of a 0.19-0.23 ms example query, orjson a third of that
    return len(orjson.loads(body)["results"]["bindings"])


def _select_native(
    solutions: ox.QuerySolutions, media_type: str, max_results: int, max_bytes: int
) -> tuple[bytes, int] | None:
    """The whole answer as pyoxigraph writes it, with its row count; None when a cap or the
    native budget would be passed (then it is written row by row: see :func:`_select`)."""
    writer = _BudgetWriter(min(max_bytes, NATIVE_BUDGET_BYTES))
    try:
        solutions.serialize(writer, format=RESULTS_FORMATS[media_type])
    except _OverBudget:
        return None
    body = b"".join(writer.parts)
    count = _count_rows(body, media_type)
    return (body, count) if count <= max_results else None


def _select(
    solutions: ox.QuerySolutions, media_type: str, max_results: int, max_bytes: int
) -> tuple[bytes, int, bool]:
    """Serialize at most ``max_results`` solutions and at most ``max_bytes`` bytes.

    pyoxigraph serializes a whole iterator or nothing, so the capped solutions
    are written as SPARQL JSON (plain json.dumps of the standard structure, one
    row at a time, stopping before the row that would pass the byte cap) and,
    for the other formats, handed back to pyoxigraph's serializers.
    """
    names = [v.value for v in solutions.variables]
    head = json.dumps({"head": {"vars": names}}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    head = head[:-1] + b',"results":{"bindings":['
    tail = b"]}}"
    rows: list[bytes] = []
    size = len(head) + len(tail)
    truncated = False
    for row in solutions:
        if len(rows) >= max_results:
            truncated = True
            break
        binding = {}
        bound = 0  # a lower bound of the row's size, known before it is encoded
        for name in names:
            term = row[name]
            if term is not None:
                binding[name] = value = _json_term(term)
                bound += len(value["value"]) if isinstance(value["value"], str) else 0
        # A row past the cap is dropped before json.dumps copies it (a 100 MB literal, twice).
        if size + bound > max_bytes:
            truncated = True
            break
        encoded = json.dumps(binding, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if size + len(encoded) + 1 > max_bytes:
            truncated = True
            break
        rows.append(encoded)
        size += len(encoded) + 1

    def as_json(n: int) -> bytes:
        return head + b",".join(rows[:n]) + tail

    if media_type == "application/sparql-results+json":
        return as_json(len(rows)), len(rows), truncated

    def as_other(n: int) -> bytes:
        parsed = ox.parse_query_results(as_json(n), format=ox.QueryResultsFormat.JSON)
        return parsed.serialize(format=RESULTS_FORMATS[media_type])

    body, count = fit_bytes(as_other, len(rows), max_bytes)
    return body, count, truncated or count < len(rows)


def _construct(
    triples: ox.QueryTriples, media_type: str, max_results: int, max_bytes: int
) -> tuple[bytes, int, bool]:
    """Serialize at most ``max_results`` triples and ``max_bytes`` bytes (sized as N-Triples first)."""
    kept: list[ox.Triple] = []
    size = 0
    truncated = False
    for triple in triples:
        line = len(str(triple).encode("utf-8")) + 3  # str() is the N-Triples form, without " .\n"
        if len(kept) >= max_results or size + line > max_bytes:
            truncated = True
            break
        kept.append(triple)
        size += line
    rdf_format = GRAPH_FORMATS[media_type]
    prefixes = PREFIXES if rdf_format in _PREFIXED_FORMATS else None

    def serialize(n: int) -> bytes:
        return ox.serialize(kept[:n], format=rdf_format, prefixes=prefixes) or b""

    body, count = fit_bytes(serialize, len(kept), max_bytes)
    return body, count, truncated or count < len(kept)


#: The byte cap when a caller gives none (the serve default: see ``--max-result-bytes``).
DEFAULT_MAX_BYTES = 16 * 1024 * 1024


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
    max_bytes: int = DEFAULT_MAX_BYTES,
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
        native = _select_native(result, results_media_type, max_results, max_bytes)
        if native is not None:
            return "SELECT", results_media_type, native[0], native[1], False
        # Past a cap or the native budget: run the query again and write it row by row, capped
        # (pyoxigraph serializes a whole iterator or nothing, and this one is spent).
        body, count, truncated = _select(store.query(query, **kwargs), results_media_type, max_results, max_bytes)
        return "SELECT", results_media_type, body, count, truncated
    body, count, truncated = _construct(result, graph_media_type, max_results, max_bytes)
    return "CONSTRUCT", graph_media_type, body, count, truncated
