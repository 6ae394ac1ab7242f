"""Compacted JSON-LD with scograph's context.

pyoxigraph writes expanded JSON-LD only; compaction against a context is done
by rdflib's JSON-LD serializer. The context is shipped as ``context.jsonld``
in every release and embedded in ``scograph.jsonld`` so the dump parses
offline.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from scograph.namespaces import PREFIXES
from scograph.rdfconvert import to_rdflib


def jsonld_context(base_iri: str) -> dict:
    context: dict = dict(sorted(PREFIXES.items()))
    context["id"] = base_iri + "id/"
    context["@language"] = None
    return {"@context": context}


def compact_jsonld(triples: Iterable[ox.Triple], base_iri: str) -> dict:
    graph = to_rdflib(triples)
    context = jsonld_context(base_iri)["@context"]
    text = graph.serialize(format="json-ld", context=context, auto_compact=True, sort_keys=True)
    return json.loads(text)


def _sorted_values(node):
    """Sort multi-valued properties (rdflib emits them in set order); ``@list`` keeps its order."""
    if isinstance(node, dict):
        return {key: (value if key == "@list" else _sorted_values(value)) for key, value in node.items()}
    if isinstance(node, list):
        items = [_sorted_values(item) for item in node]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True, ensure_ascii=False))
    return node


def write_compacted_jsonld(triples: Iterable[ox.Triple], path: Path, base_iri: str) -> None:
    document = _sorted_values(compact_jsonld(triples, base_iri))
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False, sort_keys=True) + "\n", "utf-8")
