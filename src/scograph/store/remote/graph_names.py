"""Graph names between the client and the store: logical (``{base}graph/data``) out, stored and versioned in.

Separate because it is what keeps the pointer graph and other releases out of
sight: the protocol dataset sent is always the current release's graphs, and
the stored names in an answer are mapped back before the client sees them.
(The query text itself is rewritten by :func:`scograph.sparql.guard.rewrite_iris`.)
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pyoxigraph as ox

from scograph.store.pointer import CurrentRelease

#: Graph IRIs outside the current release are replaced by this one, which names no graph.
EMPTY_GRAPH = "urn:scograph:no-such-graph"


def dataset_params(
    current: CurrentRelease, default_graph_uris: Sequence[str], named_graph_uris: Sequence[str]
) -> list[tuple[str, str]]:
    """The ``default-graph-uri`` / ``named-graph-uri`` parameters that limit a query to the release."""

    def physical(uris: Sequence[str]) -> list[str]:
        return sorted({current.graphs.get(uri, EMPTY_GRAPH) for uri in uris})

    if not default_graph_uris and not named_graph_uris:
        # The embedded store's default: the union of the release's graphs, each also named.
        everything = sorted(current.graphs.values())
        return [("default-graph-uri", g) for g in everything] + [("named-graph-uri", g) for g in everything]
    # An explicit dataset: only what it names (an empty list of either kind stays empty).
    return [("default-graph-uri", g) for g in physical(default_graph_uris) or [EMPTY_GRAPH]] + [
        ("named-graph-uri", g) for g in physical(named_graph_uris) or [EMPTY_GRAPH]
    ]


def map_binding_row(row: dict, back: dict[str, str]) -> dict:
    """A SPARQL JSON row with stored graph names mapped back, and Virtuoso's term forms made standard."""
    out = {}
    for name, value in row.items():
        kind = value.get("type")
        if kind == "uri" and value["value"].startswith("_:"):  # Virtuoso's way of sending a blank node
            value = {"type": "bnode", "value": re.sub(r"[^A-Za-z0-9]", "", value["value"]) or "b"}
        elif kind == "uri" and value["value"] in back:
            value = {"type": "uri", "value": back[value["value"]]}
        elif kind == "bnode":  # Virtuoso labels blank nodes "nodeID://b1001": not a valid label elsewhere
            value = {"type": "bnode", "value": re.sub(r"[^A-Za-z0-9]", "", value["value"]) or "b"}
        elif kind == "typed-literal":  # pre-standard form some stores (Virtuoso) still send
            value = {"type": "literal", "value": value["value"], "datatype": value["datatype"]}
        out[name] = value
    return out


def map_triple(triple: ox.Triple, back: dict[str, str]) -> ox.Triple:
    """A triple with stored graph names (as subject or object) mapped back to the logical ones."""

    def term(t):
        if isinstance(t, ox.NamedNode) and t.value in back:
            return ox.NamedNode(back[t.value])
        return t

    return ox.Triple(term(triple.subject), triple.predicate, term(triple.object))

