"""Moving triples between pyoxigraph (parsing, serializing, querying) and rdflib (pyshacl, JSON-LD).

Terms are converted one by one so blank-node labels survive (canonical labels
keep the JSON-LD dump byte-identical between builds).
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
import rdflib


def term_to_rdflib(term) -> rdflib.term.Node:
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == "http://www.w3.org/2001/XMLSchema#string":
            return rdflib.Literal(term.value)
        # normalize=False keeps the lexical form exactly as written (no 01 -> 1 rewriting).
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(datatype), normalize=False)
    raise TypeError(f"unsupported term {term!r}")


def term_from_rdflib(term: rdflib.term.Node):
    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"unsupported term {term!r}")


def to_rdflib(triples: Iterable[ox.Triple], graph: rdflib.Graph | None = None) -> rdflib.Graph:
    graph = graph if graph is not None else rdflib.Graph()
    # Predicates, classes and shared objects recur in most triples: convert each term once.
    cache: dict = {}

    def convert(term):
        converted = cache.get(term)
        if converted is None:
            converted = cache[term] = term_to_rdflib(term)
        return converted

    add = graph.add
    for t in triples:
        add((convert(t.subject), convert(t.predicate), convert(t.object)))
    return graph


def from_rdflib(graph: rdflib.Graph) -> list[ox.Triple]:
    return [ox.Triple(term_from_rdflib(s), term_from_rdflib(p), term_from_rdflib(o)) for s, p, o in graph]
