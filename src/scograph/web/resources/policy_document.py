"""The page of a policy document: its clauses in order, both texts, the diagram of what they cite.

Separate because this page, unlike the generic resource page, reads the
document's whole structure (clauses, items, positions) and draws it.
"""

from __future__ import annotations

from collections import defaultdict

import rdflib
from flask import render_template, request
from rdflib import Literal, URIRef
from rdflib.namespace import RDF

from scograph import describe
from scograph.namespaces import ELI
from scograph.web import diagram, i18n, schemaorg
from scograph.web.citations import citation_links
from scograph.web.presentation import Label, Presenter, choose_labels, compact, labels_in
from scograph.web.resources.context import current_store, scog_term, site
from scograph.web.resources.page_parts import alternates, described_externals, incoming_groups, presenter_for

#: Predicates from a clause to the things drawn in the document diagram.
DIAGRAM_PREDICATES = ("http://data.europa.eu/eli/ontology#cites", "mentions", "commitsTo", "committedBy")


def document_page(iri: str) -> str:
    store = current_store()
    s = site()
    graph = describe.describe(store, iri)
    parts = describe.document_parts(store, iri)
    subject = URIRef(iri)
    presenter = presenter_for(graph)
    part_presenter = Presenter(s, parts, describe.labels(store, {str(p) for p in parts.predicates()}), described_externals(parts))
    title = choose_labels(labels_in(graph, subject))
    position = URIRef(scog_term("position"))
    text = URIRef(scog_term("text"))
    hidden = {str(RDF.type), str(position), str(text), str(ELI.is_part_of), str(ELI.has_part), str(ELI.number), *describe.LABEL_PROPERTIES, "http://www.w3.org/ns/prov#wasQuotedFrom"}

    def ordered_parts(parent: URIRef) -> list[URIRef]:
        children = [c for c in parts.subjects(ELI.is_part_of, parent) if parts.value(c, position) is not None]
        return sorted(children, key=lambda c: int(parts.value(c, position).toPython()))

    def clause_view(node: URIRef, anchor: str) -> dict:
        texts = {o.language: str(o) for o in parts.objects(node, text) if isinstance(o, Literal)}
        return {
            "iri": str(node),
            "anchor": anchor,
            "local_iri": s.local_iri(str(node)),
            "number": str(parts.value(node, ELI.number) or ""),
            "labels": choose_labels(labels_in(parts, node)),
            "texts": texts,
            "rows": part_presenter.rows(node, skip=hidden),
            "items": [clause_view(item, f"{anchor}-item-{i + 1}") for i, item in enumerate(ordered_parts(node))],
            "cite": {
                "iri": str(node),
                "title": choose_labels(labels_in(parts, node)),
                "document_labels": title,
                "date": str(graph.value(subject, ELI.date_document) or ""),
                "version": store.version,
                "formats": citation_links(s, str(node)),
            },
        }

    clauses = [clause_view(c, str(c).rsplit("/clause/", 1)[-1]) for c in ordered_parts(subject)]
    # Which texts show: ?text=zh|en|both. Without it, a language chosen with ?lang= is the
    # 中文 (or English) view: that language's text and interface, as links from before meant.
    show = request.args.get("text") or i18n.explicit_language() or "both"
    return render_template(
        "document.html",
        site=s,
        iri=iri,
        title=title,
        texts_langs=("zh", "en"),
        show=show if show in ("both", "zh", "en") else "both",
        clauses=clauses,
        rows=presenter.rows(subject, skip={str(ELI.has_part), *describe.LABEL_PROPERTIES, str(RDF.type)}),
        types=[presenter.value(t) for t in graph.objects(subject, RDF.type)],
        diagram=_diagram(clauses, parts, title),
        incoming=incoming_groups(iri),
        alternates=alternates(iri),
        jsonld=_document_schema(graph, parts, iri, clauses),
        version=store.version,
    )


def _diagram(clauses: list[dict], parts: rdflib.Graph, title: list[Label]):
    s = site()
    wanted = {p if p.startswith("http") else scog_term(p) for p in DIAGRAM_PREDICATES}
    edges_raw = [
        (c["anchor"], str(o))
        for c in clauses
        for p, o in parts.predicate_objects(URIRef(c["iri"]))
        if str(p) in wanted and isinstance(o, URIRef)
    ]
    kinds = describe.categories(current_store(), {target for _, target in edges_raw})
    targets: dict[str, list[diagram.Node]] = defaultdict(list)
    seen = set()
    for _, target in sorted(edges_raw, key=lambda e: e[1]):
        if target in kinds and target not in seen:
            seen.add(target)
            label = choose_labels(labels_in(parts, URIRef(target)))
            targets[kinds[target]].append(
                diagram.Node(target, label[0].text if label else compact(target), i18n.with_language(s.page_url(target)), label[0].lang if label else None)
            )
    for group in targets.values():
        group.sort(key=lambda n: n.label.lower())
    nodes = [
        diagram.Node(c["anchor"], (c["labels"][0].text if c["labels"] else c["anchor"]), "#" + c["anchor"], c["labels"][0].lang if c["labels"] else None)
        for c in clauses
    ]
    edges = [diagram.Edge(src, dst, kinds[dst]) for src, dst in sorted(set(edges_raw)) if dst in kinds]
    name = title[0].text if title else i18n.text("document.untitled")
    svg = diagram.render(nodes, targets, edges, i18n.text("diagram.title", name=name))
    table = [
        (node, [n for n in (next((t for g in targets.values() for t in g if t.key == e.target), None) for e in edges if e.source == node.key) if n])
        for node in nodes
    ]
    return {"svg": svg, "table": [(node, refs) for node, refs in table if refs]}


def _document_schema(graph: rdflib.Graph, parts: rdflib.Graph, iri: str, clauses: list[dict]) -> str:
    s = site()
    data = schemaorg.structured_data(graph, URIRef(iri), s.absolute(s.page_url(iri)), lambda i: s.absolute(s.page_url(i)) if s.is_local(i) else None)
    data["hasPart"] = [
        {
            "@id": c["iri"],
            "@type": "LegislationObject",
            "url": f"{s.absolute(s.page_url(iri))}#{c['anchor']}",
            "name": [{"@value": label.text, "@language": label.lang} for label in c["labels"]],
            "text": [{"@value": t, "@language": lang} for lang, t in sorted(c["texts"].items())],
            "position": i + 1,
        }
        for i, c in enumerate(clauses)
    ]
    return schemaorg.script_tag(data)

