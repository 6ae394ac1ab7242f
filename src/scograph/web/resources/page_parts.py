"""Pieces every HTML page about a resource shares: value presentation, incoming links, alternates, schema.org.

Separate so that the resource, document, ontology and shapes pages (and the
landing page) build them one way without importing one another.
"""

from __future__ import annotations

from collections import defaultdict

import rdflib
from rdflib import URIRef

from scograph import describe
from scograph.namespaces import ELI
from scograph.web import schemaorg
from scograph.web.negotiation import REPRESENTATIONS, Representation
from scograph.web.presentation import Label, Presenter, Value, choose_labels
from scograph.web.resources.context import current_store, safe_iri, scog_term, site


def presenter_for(graph: rdflib.Graph) -> Presenter:
    store = current_store()
    predicates = {str(p) for p in graph.predicates()}
    return Presenter(site(), graph, describe.labels(store, predicates), described_externals(graph))


def described_externals(graph: rdflib.Graph) -> set[str]:
    """IRIs outside the base that the store describes (so they get a local page, e.g. SDGs)."""
    base = current_store().base_iri
    candidates = {str(o) for o in graph.objects() if isinstance(o, URIRef) and not str(o).startswith(base)}
    described = describe.labels(current_store(), candidates)
    return set(described)


def labels_of(iri: str) -> list[Label]:
    return choose_labels(describe.labels(current_store(), [iri]).get(iri, []))


def alternates(iri: str) -> list[tuple[Representation, str]]:
    return [(r, site().document_url(iri, r.extension)) for r in REPRESENTATIONS if r.is_rdf]


def incoming_groups(iri: str) -> list[tuple[list[Label], list[Value]]]:
    store = current_store()
    links = describe.incoming(store, iri)
    predicate_labels = describe.labels(store, {str(link.predicate) for link in links})
    presenter = Presenter(site(), rdflib.Graph(), predicate_labels, set())
    order = _document_order({str(link.subject) for link in links})
    groups: dict[str, list[Value]] = defaultdict(list)
    for link in links:
        labels = choose_labels(link.subject_labels)
        groups[str(link.predicate)].append(
            Value("link", labels, site().page_url(str(link.subject)), str(link.subject))
        )
    for values in groups.values():
        # Clauses and their items in the order the document has them; anything else after, by name.
        values.sort(key=lambda v: (order.get(v.iri, _UNORDERED), (v.labels[0].text.lower() if v.labels else v.iri or "")))
    return [(presenter.predicate_label(p), values) for p, values in sorted(groups.items(), key=lambda kv: presenter.predicate_label(kv[0])[0].text)]


#: Sort key of what has no place in a document (after every clause).
_UNORDERED = (float("inf"), float("inf"))


def _document_order(iris: set[str]) -> dict[str, tuple[float, float]]:
    """Where each clause or clause item stands in its document: (clause position, item position)."""
    if not iris:
        return {}
    values = " ".join(f"<{i}>" for i in sorted(iris) if safe_iri(i))
    position = scog_term("position")
    rows = current_store().select(
        f"""SELECT ?s ?pos ?parentPos WHERE {{
  VALUES ?s {{ {values} }}
  ?s <{position}> ?pos .
  OPTIONAL {{ ?s <{ELI.is_part_of}> ?parent . ?parent <{position}> ?parentPos }}
}}"""
    )
    order = {}
    for row in rows:
        pos = float(row["pos"].toPython())
        parent = row.get("parentPos")
        order[str(row["s"])] = (float(parent.toPython()), pos) if parent is not None else (pos, -1.0)
    return order


def schema_script(graph: rdflib.Graph, iri: str) -> str:
    s = site()
    data = schemaorg.structured_data(graph, URIRef(iri), s.absolute(s.page_url(iri)), lambda i: s.absolute(s.page_url(i)) if s.is_local(i) else None)
    return schemaorg.script_tag(data)
