"""The SPARQL 1.1 Service Description (https://www.w3.org/TR/sparql11-service-description/).

Answered on ``GET /sparql`` without a query. It says what a client may rely
on: SPARQL 1.1 Query only (no update language is advertised), the result
formats, that the default graph is the union of the named graphs, the graphs
of the dataset with their sizes, and the limits in plain words.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import pyoxigraph as ox

from scograph.sparql.formats import GRAPH_FORMATS, RESULTS_FORMATS

SD = "http://www.w3.org/ns/sparql-service-description#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_COMMENT = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
VOID = "http://rdfs.org/ns/void#"
DCTERMS = "http://purl.org/dc/terms/"
FORMATS = "http://www.w3.org/ns/formats/"

#: W3C format IRIs (https://www.w3.org/ns/formats/) of the media types we answer with.
FORMAT_IRIS = {
    "application/sparql-results+json": "SPARQL_Results_JSON",
    "application/sparql-results+xml": "SPARQL_Results_XML",
    "text/csv": "SPARQL_Results_CSV",
    "text/tab-separated-values": "SPARQL_Results_TSV",
    "text/turtle": "Turtle",
    "application/ld+json": "JSON-LD",
    "application/n-triples": "N-Triples",
    "application/rdf+xml": "RDF_XML",
}


def _sd(term: str) -> ox.NamedNode:
    return ox.NamedNode(SD + term)


def service_description(
    endpoint: str,
    graphs: Mapping[str, int],
    dataset_iri: str,
    limits_note: str,
) -> bytes:
    """Turtle for the endpoint at ``endpoint`` serving ``graphs`` (graph IRI -> triple count)."""
    return _describe(endpoint, tuple(sorted(graphs.items())), dataset_iri, limits_note)


@lru_cache(maxsize=16)
def _describe(endpoint: str, graphs: tuple[tuple[str, int], ...], dataset_iri: str, limits_note: str) -> bytes:
    service = ox.BlankNode("service")
    dataset = ox.BlankNode("dataset")
    default_graph = ox.BlankNode("defaultGraph")
    triples = [
        ox.Triple(service, RDF_TYPE, _sd("Service")),
        ox.Triple(service, _sd("endpoint"), ox.NamedNode(endpoint)),
        ox.Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Query")),
        ox.Triple(service, _sd("feature"), _sd("UnionDefaultGraph")),
        ox.Triple(service, RDFS_COMMENT, ox.Literal(
            "Read-only SPARQL 1.1 Query endpoint: SPARQL Update, SERVICE, LOAD and FROM with graphs "
            "outside this dataset are refused. " + limits_note, language="en")),
        ox.Triple(service, _sd("defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, _sd("Dataset")),
        ox.Triple(dataset, ox.NamedNode(DCTERMS + "source"), ox.NamedNode(dataset_iri)),
        ox.Triple(dataset, _sd("defaultGraph"), default_graph),
        ox.Triple(default_graph, RDF_TYPE, _sd("Graph")),
        ox.Triple(default_graph, RDFS_COMMENT, ox.Literal("The union of the named graphs below.", language="en")),
        ox.Triple(default_graph, ox.NamedNode(VOID + "triples"), ox.Literal(str(sum(n for _, n in graphs)), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))),
    ]
    for fmt in (*RESULTS_FORMATS, *GRAPH_FORMATS):
        triples.append(ox.Triple(service, _sd("resultFormat"), ox.NamedNode(FORMATS + FORMAT_IRIS[fmt.media_type])))
    for index, (graph_iri, count) in enumerate(graphs):
        named = ox.BlankNode(f"namedGraph{index}")
        graph = ox.BlankNode(f"graph{index}")
        triples += [
            ox.Triple(dataset, _sd("namedGraph"), named),
            ox.Triple(named, RDF_TYPE, _sd("NamedGraph")),
            ox.Triple(named, _sd("name"), ox.NamedNode(graph_iri)),
            ox.Triple(named, _sd("graph"), graph),
            ox.Triple(graph, RDF_TYPE, _sd("Graph")),
            ox.Triple(graph, ox.NamedNode(VOID + "triples"), ox.Literal(str(count), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))),
        ]
    prefixes = {"sd": SD, "void": VOID, "dcterms": DCTERMS, "rdfs": "http://www.w3.org/2000/01/rdf-schema#", "formats": FORMATS}
    return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes)
