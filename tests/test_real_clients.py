"""The endpoint works with the SPARQL clients people use, unmodified, against a real ``scograph serve``.

- SPARQLWrapper in its default mode repeats the non-standard ``format`` /
  ``output`` / ``results`` parameters (``format=tsv&format=text/tab-separated-values``)
  and sends ``format=n3`` or ``format=csv`` whatever the query form: every return
  format it offers must work for SELECT, ASK, CONSTRUCT and DESCRIBE, by GET and POST.
- rdflib's ``Graph.parse(url)`` asks for N-Triples as ``text/plain, */*;q=0.1`` and
  for N3 as ``text/n3, */*;q=0.1``; its SPARQLStore reads ASK answers in CSV/TSV.
- Relative IRIs in a query resolve against the endpoint's IRI (``<base IRI>sparql``).

Each answer is compared with what the release's own store says, not with a constant.
"""

from __future__ import annotations

import io
import subprocess
import sys
import warnings
from pathlib import Path
from urllib.parse import quote

import pytest
import rdflib
import requests
from rdflib.compare import isomorphic
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from rdflib.query import Result
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, RDF, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

from tests.processes import free_port, stop, wait_until_ready

SCOGRAPH = Path(sys.executable).with_name("scograph")
SCOG = "https://w3id.org/scograph/ontology#"
CLAUSE = "https://w3id.org/scograph/id/document/2024/green-development-initiative/clause/op-3"
SELECT = f"SELECT ?clause WHERE {{ ?clause a <{SCOG}OperativeClause> }}"
ASK = f"ASK {{ <{CLAUSE}> a <{SCOG}OperativeClause> }}"
ASK_FALSE = f"ASK {{ <{CLAUSE}> a <{SCOG}Commitment> }}"
CONSTRUCT = f"CONSTRUCT {{ ?clause <{SCOG}position> ?p }} WHERE {{ ?clause a <{SCOG}OperativeClause> ; <{SCOG}position> ?p }}"
DESCRIBE = f"DESCRIBE <{CLAUSE}>"
QUERIES = {"SELECT": SELECT, "ASK": ASK, "CONSTRUCT": CONSTRUCT, "DESCRIBE": DESCRIBE}
WRAPPER_FORMATS = (JSON, XML, CSV, TSV, N3, TURTLE, RDF, RDFXML, JSONLD)
GRAPH_MEDIA_TYPES = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
}


@pytest.fixture(scope="module")
def server(settings, release, tmp_path_factory):
    """``scograph serve`` on the session's release, on a free loopback port."""
    port = free_port()
    log = tmp_path_factory.mktemp("clients") / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(SCOGRAPH), "serve", "--build-dir", str(settings.build_dir), "--port", str(port),
             "--workers", "1", "--max-concurrent-queries", "2", "--result-cache-mb", "0"],
            stdout=out, stderr=subprocess.STDOUT, cwd=settings.build_dir,
        )
    try:
        wait_until_ready(f"http://127.0.0.1:{port}/healthz", process, seconds=60, log=log)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


@pytest.fixture(scope="module")
def expected(store):
    """The answers straight from the release's store (no HTTP, no negotiation)."""
    clauses = {str(row["clause"]) for row in store.select(SELECT)}
    assert len(clauses) >= 3

    def graph(query: str) -> rdflib.Graph:
        body = store.run(query, graph_media_type="application/n-triples").body
        return rdflib.Graph().parse(data=body.decode("utf-8"), format="nt")

    construct, describe = graph(CONSTRUCT), graph(DESCRIBE)
    assert len(construct) == len(clauses) and len(describe) > 5
    return {"SELECT": clauses, "ASK": True, "CONSTRUCT": construct, "DESCRIBE": describe}


def _results_answer(body: bytes, media_type: str, form: str):
    """SELECT: the set of ?clause IRIs; ASK: the boolean, read by rdflib's result parsers."""
    if form == "ASK" and media_type in ("text/csv", "text/tab-separated-values"):
        # CSV/TSV have no boolean form: one pseudo-variable, as Jena writes it; rdflib must read it.
        parsed = Result.parse(io.BytesIO(body), content_type=media_type)
        assert [str(v) for v in parsed.vars] == ["_askResult"]
        [[value]] = [list(row) for row in parsed]
        return str(value) == "true"
    parsed = Result.parse(io.BytesIO(body), content_type=media_type)
    if form == "ASK":
        return parsed.askAnswer
    return {str(row[0]) for row in parsed}


@pytest.mark.parametrize("only_conneg", [False, True], ids=["default-mode", "only-conneg"])
@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("return_format", WRAPPER_FORMATS)
@pytest.mark.parametrize("form", list(QUERIES))
def test_sparqlwrapper_every_format(server, expected, form, return_format, method, only_conneg):
    """Default mode: format=/output=/results= (repeated) plus Accept; only-conneg: Accept alone."""
    wrapper = SPARQLWrapper(server + "/sparql")
    wrapper.setQuery(QUERIES[form])
    wrapper.setReturnFormat(return_format)
    wrapper.setOnlyConneg(only_conneg)
    if method == "POST":
        wrapper.setMethod(POST)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SPARQLWrapper warns when it sends Accept: */* itself
        response = wrapper.query().response
    assert response.status == 200
    media_type = response.headers["Content-Type"].split(";")[0].strip()
    body = response.read()
    graph_form = form in ("CONSTRUCT", "DESCRIBE")
    if graph_form:
        # What SPARQLWrapper asked for when it fits a graph, else the default (Turtle).
        wanted = {XML: "application/rdf+xml", RDF: "application/rdf+xml", RDFXML: "application/rdf+xml",
                  JSONLD: "application/ld+json", JSON: "application/ld+json"}.get(return_format, "text/turtle")
        if only_conneg and return_format in (JSON, RDF):  # SPARQLWrapper then sends Accept: */*
            wanted = "text/turtle"
        assert media_type == wanted
        graph = rdflib.Graph().parse(data=body, format=GRAPH_MEDIA_TYPES[media_type])
        assert isomorphic(graph, expected[form])
    else:
        wanted = {XML: "application/sparql-results+xml", CSV: "text/csv",
                  TSV: "text/tab-separated-values"}.get(return_format, "application/sparql-results+json")
        assert media_type == wanted
        assert _results_answer(body, media_type, form) == expected[form]


@pytest.mark.parametrize("accept", ["application/n-triples", "text/plain"])
@pytest.mark.parametrize("form", ["CONSTRUCT", "DESCRIBE"])
def test_sparqlwrapper_n_triples(server, expected, form, accept):
    """SPARQLWrapper has no N-Triples constant; with its Accept set to N-Triples it gets N-Triples."""
    wrapper = SPARQLWrapper(server + "/sparql")
    wrapper.setQuery(QUERIES[form])
    wrapper.setReturnFormat(N3)
    wrapper.setOnlyConneg(True)  # else its format=n3 would win: Turtle
    wrapper.addCustomHttpHeader("Accept", accept)
    response = wrapper.query().response
    assert response.headers["Content-Type"].split(";")[0] == "application/n-triples"
    assert isomorphic(rdflib.Graph().parse(data=response.read(), format="nt"), expected[form])


@pytest.mark.parametrize("return_format", [JSON, XML, N3, TURTLE, RDFXML, JSONLD])
def test_sparqlwrapper_convert_gives_the_graph(server, expected, return_format):
    """SPARQLWrapper's own conversion of a CONSTRUCT answer (rdflib Graph or text) holds the triples."""
    wrapper = SPARQLWrapper(server + "/sparql")
    wrapper.setQuery(CONSTRUCT)
    wrapper.setReturnFormat(return_format)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        converted = wrapper.query().convert()
    if isinstance(converted, bytes):  # N3 / Turtle: SPARQLWrapper hands back the text
        converted = rdflib.Graph().parse(data=converted, format="turtle")
    assert isomorphic(rdflib.Graph() + converted, expected["CONSTRUCT"])


@pytest.mark.parametrize(("rdflib_format", "answered"), [("nt", "application/n-triples"), ("n3", "text/turtle"), ("turtle", "text/turtle")])
def test_rdflib_graph_parse_of_a_construct_url(server, expected, rdflib_format, answered):
    url = f"{server}/sparql?query={quote(CONSTRUCT)}"
    graph = rdflib.Graph().parse(url, format=rdflib_format)
    assert isomorphic(graph, expected["CONSTRUCT"])
    accept = {"nt": "text/plain, */*;q=0.1", "n3": "text/n3, */*;q=0.1", "turtle": "text/turtle, application/x-turtle, */*;q=0.1"}
    response = requests.get(url, headers={"Accept": accept[rdflib_format]}, timeout=30)
    assert response.headers["Content-Type"].split(";")[0] == answered


@pytest.mark.parametrize("rdflib_format", ["nt", "n3"])
def test_rdflib_graph_parse_of_a_resource_gets_rdf_not_html(server, rdflib_format):
    """rdflib's Accept for N-Triples (text/plain) and N3 (text/n3) gets RDF from a dereferenced IRI."""
    path = "/id/document/2024/green-development-initiative/clause/op-3"
    graph = rdflib.Graph().parse(server + path, format=rdflib_format)
    local = rdflib.URIRef(server + path)
    canonical = rdflib.URIRef(CLAUSE)
    assert (canonical, None, None) in graph or (local, None, None) in graph
    assert len(graph) > 5


@pytest.mark.parametrize("return_format", ["xml", "json", "csv", "tsv"])
@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
def test_rdflib_sparqlstore_select_and_ask(server, expected, return_format, method):
    graph = rdflib.Graph(store=SPARQLStore(server + "/sparql", returnFormat=return_format, method=method))
    rows = {str(row[0]) for row in graph.query(SELECT)}
    assert rows == expected["SELECT"]
    for query, truth in ((ASK, True), (ASK_FALSE, False)):
        result = graph.query(query)
        if return_format in ("csv", "tsv"):  # rdflib reads the one-column table Jena also writes
            assert [str(v) for v in result.vars] == ["_askResult"]
            assert [str(row[0]) for row in result] == [str(truth).lower()]
        else:
            assert result.askAnswer is truth


def test_rdflib_sparqlstore_construct_and_describe(server, expected):
    graph = rdflib.Graph(store=SPARQLStore(server + "/sparql"))
    assert isomorphic(rdflib.Graph() + graph.query(CONSTRUCT).graph, expected["CONSTRUCT"])
    assert isomorphic(rdflib.Graph() + graph.query(DESCRIBE).graph, expected["DESCRIBE"])


@pytest.mark.parametrize(
    ("values", "accept", "answered"),
    [
        ([("format", "tsv"), ("format", "text/tab-separated-values")], None, "text/tab-separated-values"),
        ([("format", "bogus"), ("output", "csv")], None, "text/csv"),
        ([("results", "xml")], None, "application/sparql-results+xml"),
        ([("format", "turtle")], None, "application/sparql-results+json"),  # no such SELECT format: Accept decides
        ([("format", "n3")], "text/csv", "text/csv"),
    ],
)
def test_format_parameters_use_what_is_understood(server, values, accept, answered):
    params = [("query", SELECT), *values]
    headers = {"Accept": accept} if accept else {}
    response = requests.get(server + "/sparql", params=params, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].split(";")[0] == answered


def test_an_unsatisfiable_accept_is_still_406_when_format_is_not_understood(server):
    response = requests.get(
        server + "/sparql", params=[("query", SELECT), ("format", "n3")], headers={"Accept": "text/turtle"}, timeout=30
    )
    assert response.status_code == 406


def test_relative_iris_resolve_against_the_endpoint_iri(server, release):
    """The W3C protocol test ``CONSTRUCT { <s> <p> 1 } WHERE {}``, as Oxigraph and Fuseki answer it."""
    for method in ("get", "post"):
        kwargs = {"params": {"query": "CONSTRUCT { <s> <p> 1 } WHERE {}"}} if method == "get" else {
            "data": {"query": "CONSTRUCT { <s> <p> 1 } WHERE {}"}}
        response = getattr(requests, method)(
            server + "/sparql", headers={"Accept": "application/n-triples", "Host": "evil.example"}, timeout=30, **kwargs
        )
        assert response.status_code == 200, response.text
        graph = rdflib.Graph().parse(data=response.text, format="nt")
        endpoint = release.base_iri + "sparql"
        assert set(graph) == {(rdflib.URIRef(release.base_iri + "s"), rdflib.URIRef(release.base_iri + "p"), rdflib.Literal(1))}
        assert endpoint.startswith("https://w3id.org/scograph/")  # the configured base, never the request's Host
    response = requests.get(server + "/sparql", params={"query": "SELECT ?x WHERE { BIND(<#frag> AS ?x) }"}, timeout=30)
    assert response.json()["results"]["bindings"] == [{"x": {"type": "uri", "value": release.base_iri + "sparql#frag"}}]
