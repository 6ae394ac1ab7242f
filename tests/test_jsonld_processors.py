"""The JSON-LD dump means exactly what the N-Triples dump says, to independent JSON-LD processors:
pyld (Python) and jsonld.js (JavaScript), neither of which scograph uses to write it."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
import rdflib
from pyld import jsonld
from rdflib.compare import isomorphic

from scograph.jsonld import compact_jsonld, jsonld_context
from tests.independent_tools import jsonld_js_to_nquads


def _graph(nquads: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=nquads, format="nt")


@pytest.fixture(scope="module")
def ntriples(release) -> rdflib.Graph:
    return rdflib.Graph().parse(release.path / "scograph.nt", format="nt")


def _offline(url, options=None):
    raise jsonld.JsonLdError(f"the dump must not need a remote context ({url})", "loading document failed")


def test_pyld_expands_the_dump_to_the_ntriples_graph(release, ntriples):
    document = json.loads((release.path / "scograph.jsonld").read_text("utf-8"))
    nquads = jsonld.to_rdf(document, {"format": "application/n-quads", "documentLoader": _offline})
    graph = _graph(nquads)
    assert len(graph) == len(ntriples)
    assert isomorphic(graph, ntriples)


def test_jsonld_js_expands_the_dump_to_the_ntriples_graph(release, ntriples):
    graph = _graph(jsonld_js_to_nquads(release.path / "scograph.jsonld"))
    assert len(graph) == len(ntriples)
    assert isomorphic(graph, ntriples)


def test_the_shipped_context_is_usable_by_pyld(release):
    """Processing the context alone used to crash pyld (KeyError on "@language": null)."""
    context = json.loads((release.path / "context.jsonld").read_text("utf-8"))
    document = {**context, "@id": "id:document/2024/x", "rdfs:label": "x"}
    expanded = jsonld.expand(document, {"documentLoader": _offline})
    assert expanded[0]["@id"] == release.base_iri + "id/document/2024/x"


def test_a_resource_description_round_trips_through_pyld(release):
    """The per-resource JSON-LD the web layer serves is compacted the same way."""
    clause = ox.NamedNode(release.base_iri + "id/document/2024/green-development-initiative/clause/op-3")
    triples = [q.triple for q in ox.parse(path=str(release.path / "scograph.nt"), format=ox.RdfFormat.N_TRIPLES) if q.subject == clause]
    assert triples
    document = {**jsonld_context(release.base_iri), "@graph": compact_jsonld(triples, release.base_iri)}
    graph = _graph(jsonld.to_rdf(document, {"format": "application/n-quads", "documentLoader": _offline}))
    expected = _graph(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8"))
    assert isomorphic(graph, expected)
