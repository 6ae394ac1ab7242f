"""A query worker's answers are the same however they are written: pyoxigraph's own
serializer for answers within the native budget, row by row with the caps past it.

Both writers run on the real release store (``query_worker.execute``, as a worker
runs it) and on an in-memory store with the terms that are hard to write: newlines,
tabs, quotes and ``<result>`` inside literals, language tags, datatypes, blank
nodes, unbound variables, no variables at all.
"""

from __future__ import annotations

import csv
import io
import json

import pyoxigraph as ox
import pytest

from scograph.examples import example_queries
from scograph.sparql.guard import check_query
from scograph.store import query_worker
from scograph.store.query_worker import answers

XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
QUERIES = [
    "SELECT * WHERE { ?s ?p ?o }",
    "SELECT * WHERE {}",
    "SELECT * WHERE { ?s ?p ?o } LIMIT 0",
    "SELECT ?nothing WHERE { ?s ?p ?o }",
    "SELECT ?o (1 AS ?one) WHERE { OPTIONAL { ?s <http://e.example/none> ?o } }",
    "SELECT * WHERE { VALUES ?x { 1 2 3 } }",
]


@pytest.fixture(scope="module")
def hard_terms() -> ox.Store:
    store = ox.Store()
    s, p = ox.NamedNode("http://e.example/s"), ox.NamedNode("http://e.example/p")
    for literal in (
        ox.Literal('a\nb, "c"\t{x}\r\n<result></result>'),
        ox.Literal("x", language="en"),
        ox.Literal("5", datatype=XSD_INTEGER),
        ox.Literal("绿色发展"),
    ):
        store.add(ox.Quad(s, p, literal))
    store.add(ox.Quad(ox.BlankNode("b1"), p, ox.Literal("blank")))
    return store


def rows(body: bytes, media_type: str) -> list:
    """The solutions of an answer, as comparable values (CSV: its records)."""
    if media_type == "text/csv":
        return sorted(map(tuple, csv.reader(io.StringIO(body.decode("utf-8"), newline=""))))
    parsed = ox.parse_query_results(body, format=query_worker.RESULTS_FORMATS[media_type])
    names = [v.value for v in parsed.variables]
    return sorted(tuple(str(solution[name]) for name in names) for solution in parsed)


def both_ways(store: ox.Store, query: str, media_type: str, max_results: int = 10_000):
    native = answers._select_native(store.query(query), media_type, max_results, 1 << 24)
    capped = answers._select(store.query(query), media_type, max_results, 1 << 24)
    return native, capped


@pytest.mark.parametrize("media_type", sorted(query_worker.RESULTS_FORMATS))
@pytest.mark.parametrize("query", QUERIES)
def test_the_native_writer_answers_what_the_capped_one_does(hard_terms, query, media_type):
    native, (body, count, truncated) = both_ways(hard_terms, query, media_type)
    assert native is not None and not truncated
    assert native[1] == count  # the row count read back from pyoxigraph's bytes
    assert rows(native[0], media_type) == rows(body, media_type)
    if media_type == "application/sparql-results+json":
        assert json.loads(native[0])["head"] == json.loads(body)["head"]


SELECT_EXAMPLES = [e for e in example_queries() if check_query(e.query).form == "SELECT"]


def test_most_examples_are_select_queries():
    assert len(SELECT_EXAMPLES) >= 15  # else the test below would test little


@pytest.mark.parametrize("example", SELECT_EXAMPLES, ids=lambda e: e.slug)
def test_every_select_example_is_answered_alike_by_both_writers(release, example):
    store = ox.Store.read_only(str(release.store_path))
    kwargs = {"use_default_graph_as_union": True, "base_iri": query_worker.endpoint_iri(str(release.store_path))}
    result = store.query(example.query, **kwargs)
    native = answers._select_native(result, "application/sparql-results+json", 10_000, 1 << 24)
    body, count, _ = answers._select(store.query(example.query, **kwargs), "application/sparql-results+json", 10_000, 1 << 24)
    assert native is not None and native[1] == count
    assert rows(native[0], "application/sparql-results+json") == rows(body, "application/sparql-results+json")


def test_past_the_row_cap_or_the_budget_the_capped_writer_answers(hard_terms, monkeypatch):
    native, (body, count, truncated) = both_ways(hard_terms, "SELECT * WHERE { ?s ?p ?o }", "text/tab-separated-values", max_results=2)
    assert native is None  # 5 rows, 2 allowed: written again with the cap
    assert (count, truncated) == (2, True)

    monkeypatch.setattr(answers, "NATIVE_BUDGET_BYTES", 64)
    assert answers._select_native(hard_terms.query(QUERIES[0]), "application/sparql-results+json", 10_000, 1 << 24) is None
    form, media_type, body, count, truncated = query_worker.execute(
        hard_terms, QUERIES[0], "application/sparql-results+json", "application/n-triples", (), (), 10_000,
    )
    assert (form, count, truncated) == ("SELECT", 5, False)  # the query ran again, whole, row by row
    assert len(json.loads(body)["results"]["bindings"]) == 5
