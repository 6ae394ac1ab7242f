"""A resource's description as RDF bytes: the project's prefixes, and the same bytes for the same request.

Separate from the routes because stable output needs its own step: blank nodes
are renamed canonically before any syntax is written.
"""

from __future__ import annotations

import pyoxigraph as ox
import rdflib

from scograph.jsonld import jsonld_context
from scograph.namespaces import PREFIXES
from scograph.rdfconvert import from_rdflib, to_rdflib
from scograph.web.negotiation import Representation
from scograph.web.resources.context import current_store


def _stable(graph: rdflib.Graph) -> rdflib.Graph:
    """The same graph with blank nodes named by RDFC-1.0 and triples in sorted order.

    Each CONSTRUCT mints fresh blank nodes, so without this the same request gave
    other bytes every time (N-Triples, JSON-LD) under one strong ETag.
    """
    if not any(isinstance(term, rdflib.BNode) for triple in graph for term in triple):
        return graph
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in from_rdflib(graph))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    triples = sorted((q.triple for q in dataset), key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    return to_rdflib(triples)


def serialize(graph: rdflib.Graph, representation: Representation) -> bytes:
    """RDF in the requested syntax, with the project's prefixes (canonical IRIs are kept); same request, same bytes."""
    base = current_store().base_iri
    graph = _stable(graph)
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)
    graph.bind("id", base + "id/", override=True, replace=True)
    if representation.rdflib_format == "json-ld":
        context = jsonld_context(base)["@context"]
        return graph.serialize(format="json-ld", context=context, auto_compact=True, sort_keys=True, encoding="utf-8")
    return graph.serialize(format=representation.rdflib_format, encoding="utf-8")
