"""Compacted JSON-LD with scograph's context.

pyoxigraph writes expanded JSON-LD only; compaction against a context is done
by rdflib's JSON-LD serializer. The context is shipped as ``context.jsonld``
in every release and embedded in ``scograph.jsonld`` so the dump parses
offline.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox

from scograph.namespaces import PREFIXES
from scograph.rdfconvert import to_rdflib


def jsonld_context(base_iri: str) -> dict:
    context: dict = dict(sorted(PREFIXES.items()))
    context["id"] = base_iri + "id/"
    return {"@context": context}


def compact_jsonld(triples: Iterable[ox.Triple], base_iri: str) -> list[dict]:
    """Compact some triples with the context; return their node objects (no ``@context``)."""
    graph = to_rdflib(triples)
    context = jsonld_context(base_iri)["@context"]
    document = json.loads(graph.serialize(format="json-ld", context=context, auto_compact=True))
    if "@graph" in document:
        return document["@graph"]
    document.pop("@context", None)
    return [document] if document else []


def _sorted_values(node):
    """Sort multi-valued properties (rdflib emits them in set order); ``@list`` keeps its order."""
    if isinstance(node, dict):
        return {key: (value if key == "@list" else _sorted_values(value)) for key, value in node.items()}
    if isinstance(node, list):
        items = [_sorted_values(item) for item in node]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True, ensure_ascii=False))
    return node


def _subject_chunks(triples: Iterable[ox.Triple], subjects_per_chunk: int) -> Iterator[list[ox.Triple]]:
    """Split triples sorted by subject into chunks that never split a subject."""
    chunk: list[ox.Triple] = []
    subjects = 0
    previous = None
    for triple in triples:
        if triple.subject != previous:
            subjects += 1
            previous = triple.subject
            if subjects > subjects_per_chunk:
                yield chunk
                chunk, subjects = [], 1
        chunk.append(triple)
    if chunk:
        yield chunk


def jsonld_header(base_iri: str) -> str:
    """The dump's text before its first node."""
    context = jsonld_context(base_iri)["@context"]
    return '{\n "@context": ' + json.dumps(context, indent=1, ensure_ascii=False, sort_keys=True).replace("\n", "\n ") + ',\n "@graph": ['


def jsonld_footer() -> str:
    return "\n ]\n}\n"


def compacted_node_lines(chunk: list[ox.Triple], base_iri: str) -> list[str]:
    """The dump's lines for one chunk of whole subjects: compacted nodes, sorted, one JSON text each."""
    nodes = compact_jsonld(chunk, base_iri)
    return [
        json.dumps(_sorted_values(node), ensure_ascii=False, sort_keys=True)
        for node in sorted(nodes, key=lambda n: str(n.get("@id", "")))
    ]


def write_compacted_jsonld(
    triples: Iterable[ox.Triple], path: Path, base_iri: str, *, subjects_per_chunk: int = 2000
) -> None:
    """Write ``{"@context": ..., "@graph": [...]}``, compacting a chunk of subjects at a time.

    ``triples`` must be sorted by subject. Memory stays bounded by one chunk
    whatever the size of the release (rdflib holds only the chunk being compacted).
    ``scograph.dumps`` writes the same bytes with the chunks compacted in parallel.
    """
    with path.open("w", encoding="utf-8") as out:
        out.write(jsonld_header(base_iri))
        first = True
        for chunk in _subject_chunks(triples, subjects_per_chunk):
            for line in compacted_node_lines(chunk, base_iri):
                out.write("\n  " if first else ",\n  ")
                out.write(line)
                first = False
        out.write(jsonld_footer())
