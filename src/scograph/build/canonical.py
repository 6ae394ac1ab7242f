"""Canonical RDF: blank nodes renamed by RDFC-1.0 and statements sorted, so that the same
graph always gives the same bytes."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox


def _term_key(term) -> str:
    return "" if isinstance(term, ox.DefaultGraph) else str(term)


def canonical_quads(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """Blank nodes renamed by RDFC-1.0, then sorted: the basis of byte-identical dumps."""
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(dataset, key=lambda q: (_term_key(q.graph_name), str(q.subject), str(q.predicate), str(q.object)))


def write_canonical_turtle(triples: Iterable[ox.Triple], path: Path, prefixes: dict[str, str]) -> int:
    """Write one graph as Turtle, blank nodes renamed by RDFC-1.0 and triples sorted (the bytes of
    ``canonical_quads`` serialised); return how many distinct triples it holds.

    As in ``dumps.canonical_quads``, only the triples with a blank node go through the
    canonicaliser and the rest are sorted as N-Triples lines: the description at 1M
    triples holds ~300k triples, of which ~5 % have blank nodes (checksums, partitions).
    """
    with_blank_nodes = ox.Dataset()
    plain: list[ox.Triple] = []
    for t in triples:
        if isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode):
            with_blank_nodes.add(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()))
        else:
            plain.append(t)
    with_blank_nodes.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    # Default-graph N-Quads lines are N-Triples lines.
    body = (ox.serialize(plain, format=ox.RdfFormat.N_TRIPLES) or b"") + (ox.serialize(with_blank_nodes, format=ox.RdfFormat.N_QUADS) or b"")
    lines = sorted(set(body.splitlines()))
    sorted_triples = ox.parse(b"".join(line + b"\n" for line in lines), format=ox.RdfFormat.N_TRIPLES)
    ox.serialize(sorted_triples, str(path), format=ox.RdfFormat.TURTLE, prefixes=prefixes)
    return len(lines)
