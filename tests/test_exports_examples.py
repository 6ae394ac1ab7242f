"""The example queries as RDF at /.well-known/sparql-examples, re-run from that graph on a real endpoint.

The server is a real ``scograph serve``. Each example's query text is taken from
the published graph (not from the .rq files) and sent to the endpoint its
``schema:target`` names (this server's public URL, never the base IRI's host
when the server has another); the number of answers
must equal what the curated query gives on the release's store, which
tests/test_competency.py checks answer by answer.
"""

from __future__ import annotations

import re

import pytest
import rdflib
import requests
from rdflib import RDF, RDFS, URIRef

from scograph.examples import example_queries
from tests.processes import ScographServe

BASE = "https://w3id.org/scograph/"
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
SCHEMA = rdflib.Namespace("https://schema.org/")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def server(release, settings, tmp_path_factory):
    with ScographServe(settings.build_dir, tmp_path_factory.mktemp("serve-examples") / "serve.log") as srv:
        yield srv.url


@pytest.fixture(scope="module")
def examples(server) -> rdflib.Graph:
    response = requests.get(server + "/.well-known/sparql-examples", headers={"Accept": "text/turtle"}, timeout=30)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/turtle")
    return rdflib.Graph().parse(data=response.content, format="turtle")


def _run(server: str, target: URIRef, query: str):
    assert str(target) == server + "/sparql"  # a loopback server's public URL is its own address
    endpoint = str(target)
    response = requests.post(endpoint, data={"query": query}, headers={"Accept": "application/sparql-results+json, text/turtle;q=0.9"}, timeout=60)
    assert response.status_code == 200, response.text
    if response.headers["Content-Type"].startswith("application/sparql-results+json"):
        return response.json()["results"]["bindings"]
    return list(rdflib.Graph().parse(data=response.content, format="turtle"))


def test_every_example_is_a_described_executable(examples, server):
    nodes = sorted(examples.subjects(RDF.type, SH.SPARQLExecutable))
    assert len(nodes) == len(example_queries()) == 23
    for node in nodes:
        comments = {c.language: str(c) for c in examples.objects(node, RDFS.comment)}
        labels = {c.language: str(c) for c in examples.objects(node, RDFS.label)}
        assert set(comments) == set(labels) == {"en", "zh"}, node
        assert HAN.search(comments["zh"]) and HAN.search(labels["zh"]), node
        assert not HAN.search(comments["en"].replace("废弃物", "")), node
        assert examples.value(node, SCHEMA.target) == URIRef(server + "/sparql")
        forms = [p for p in (SH.select, SH.construct, SH.ask) if examples.value(node, p) is not None]
        assert len(forms) == 1, node
        kind = {SH.select: SH.SPARQLSelectExecutable, SH.construct: SH.SPARQLConstructExecutable, SH.ask: SH.SPARQLAskExecutable}[forms[0]]
        assert (node, RDF.type, kind) in examples


def test_each_example_rerun_from_the_graph_gives_the_expected_answers(examples, server, store):
    by_slug = {e.slug: e for e in example_queries()}
    counts = {}
    for node in examples.subjects(RDF.type, SH.SPARQLExecutable):
        slug = str(examples.value(node, URIRef("http://purl.org/dc/terms/identifier")))
        query = examples.value(node, SH.select) or examples.value(node, SH.construct)
        answers = _run(server, examples.value(node, SCHEMA.target), str(query))
        original = by_slug[slug].query  # the curated .rq file, run on the release's own store
        expected = len(store.construct(original)) if examples.value(node, SH.construct) else len(store.select(original))
        assert len(answers) == expected > 0, slug
        counts[slug] = len(answers)
    # A few counts the document fixes: 15 paragraphs, 6 operative clauses, 4 forms of cooperation, 6 values.
    assert counts["08-full-text-zh"] == 15
    assert counts["06-operative-clauses-actions"] == 6
    assert counts["15-forms-of-cooperation"] == 4
    assert counts["10-shanghai-spirit"] == 6


def test_void_class_and_property_partitions_count_what_the_endpoint_finds(server):
    void = rdflib.Graph().parse(data=requests.get(server + "/.well-known/void", timeout=30).content, format="turtle")
    dataset = URIRef(BASE + "dataset")
    classes = {void.value(p, VOID["class"]): int(void.value(p, VOID.entities)) for p in void.objects(dataset, VOID.classPartition)}
    properties = {void.value(p, VOID.property): int(void.value(p, VOID.triples)) for p in void.objects(dataset, VOID.propertyPartition)}
    description = f"<{BASE}graph/description>"
    rows = _run(server, URIRef(server + "/sparql"), f"SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH ?g {{ ?s a ?c }} FILTER(?g != {description}) }} GROUP BY ?c")
    assert classes == {URIRef(r["c"]["value"]): int(r["n"]["value"]) for r in rows}
    rows = _run(server, URIRef(server + "/sparql"), f"SELECT ?p (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?p ?o WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != {description}) }} }} GROUP BY ?p")
    assert properties == {URIRef(r["p"]["value"]): int(r["n"]["value"]) for r in rows}
    assert classes[URIRef(BASE + "ontology#OperativeClause")] == 6
    # void:triples counts every triple the endpoint holds, this description included (one count everywhere);
    # the partitions describe the content graphs, so they add up to all but the description graph's own.
    def distinct(where: str) -> int:
        rows = _run(server, URIRef(server + "/sparql"), f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?p ?o WHERE {{ {where} }} }}")
        return int(rows[0]["n"]["value"])

    assert distinct("GRAPH ?g { ?s ?p ?o }") == int(void.value(dataset, VOID.triples))
    assert sum(properties.values()) == distinct(f"GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != {description})")


def test_examples_in_the_release_and_negotiable(release, server):
    assert release.file("sparql-examples.ttl") is not None
    response = requests.get(server + "/.well-known/sparql-examples", headers={"Accept": "application/ld+json"}, timeout=30)
    assert response.headers["Content-Type"].startswith("application/ld+json")
    graph = rdflib.Graph().parse(data=response.content, format="json-ld")
    assert len(set(graph.subjects(RDF.type, SH.SPARQLExecutable))) == len(example_queries())


def test_an_example_shacl_cannot_describe_is_one_sentence_naming_the_file():
    from scograph.examples import ExampleQuery
    from scograph.exports.examples_rdf import examples_triples

    with pytest.raises(ValueError) as caught:
        examples_triples(BASE, (ExampleQuery("99-describe", "t", "d", "# title: t\nDESCRIBE <https://w3id.org/scograph/id/state/chn>"),))
    assert str(caught.value).startswith("src/scograph/queries/99-describe.rq: ") and "\n" not in str(caught.value)
