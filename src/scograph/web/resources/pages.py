"""The HTML page of any resource: which page an IRI gets, the generic resource page, the ontology and the shapes.

Separate from the routes so that content negotiation stays apart from what a
page shows; the policy document's own page is :mod:`.policy_document`.
"""

from __future__ import annotations

from flask import render_template
from rdflib import URIRef
from rdflib.namespace import RDF

from scograph import describe
from scograph.namespaces import ELI
from scograph.web import schemaorg
from scograph.web.citations import citation_links
from scograph.web.presentation import OUTBOUND_PREDICATES, Label, choose_labels, compact, labels_in
from scograph.web.resources.context import current_store, scog_term, site
from scograph.web.resources.page_parts import alternates, incoming_groups, labels_of, presenter_for, schema_script
from scograph.web.resources.policy_document import document_page


def html_page(iri: str, namespace: str | None) -> str:
    store = current_store()
    if namespace == "ontology":
        return _ontology_page(iri)
    if namespace == "shapes":
        return _shapes_page(iri)
    if describe.is_policy_document(store, iri):
        return document_page(iri)
    return _resource_page(iri)


def _cite(iri: str, labels: list[Label]) -> dict:
    """What the "cite this" box shows: URI, title, document, release version and document date."""
    rows = current_store().select(
        f"""SELECT ?doc ?date WHERE {{
  <{iri}> <{ELI.is_part_of}>* ?doc . ?doc <{ELI.date_document}> ?date .
}} LIMIT 1"""
    )
    document = str(rows[0]["doc"]) if rows else None
    return {
        "iri": iri,
        "title": labels,
        "document": document,
        "document_labels": labels_of(document) if document and document != iri else [],
        "date": str(rows[0]["date"]) if rows else None,
        "version": current_store().version,
        "formats": citation_links(site(), iri),
    }


def _resource_page(iri: str) -> str:
    store = current_store()
    graph = describe.describe(store, iri)
    subject = URIRef(iri)
    presenter = presenter_for(graph)
    title = choose_labels(labels_in(graph, subject))
    text_predicate = scog_term("text")
    skip = {str(RDF.type), text_predicate, *describe.LABEL_PROPERTIES, *OUTBOUND_PREDICATES}
    texts = sorted((Label(str(o), o.language) for o in graph.objects(subject, URIRef(text_predicate))), key=lambda label: label.lang != "zh")
    outbound = [presenter.value(o) for p in OUTBOUND_PREDICATES for o in graph.objects(subject, URIRef(p))]
    is_part = texts and (graph.value(subject, ELI.is_part_of) is not None)
    context_url = None
    if is_part:
        document_iri, _, key = iri.partition("/clause/")
        context_url = site().page_url(document_iri) + "#" + key.replace("/", "-")
    return render_template(
        "resource.html",
        site=site(),
        iri=iri,
        title=title,
        compact=compact(iri, store.base_iri),
        types=[presenter.value(t) for t in graph.objects(subject, RDF.type)],
        other_labels=[row for row in presenter.rows(subject) if row.predicate in describe.LABEL_PROPERTIES],
        rows=presenter.rows(subject, skip=skip),
        texts=texts,
        outbound=outbound,
        incoming=incoming_groups(iri),
        cite=_cite(iri, title) if texts else None,
        context_url=context_url,
        alternates=alternates(iri),
        jsonld=schema_script(graph, iri),
    )


def _ontology_page(iri: str) -> str:
    store = current_store()
    graph = describe.describe_namespace(store, "ontology")
    presenter = presenter_for(graph)
    iri = describe.namespace_document_iri(graph) or iri  # the version IRI shows the ontology
    namespace = iri + "#"
    terms = sorted({s for s in graph.subjects() if isinstance(s, URIRef) and str(s).startswith(namespace)}, key=lambda t: str(t).lower())
    owl = "http://www.w3.org/2002/07/owl#"
    kinds = {"classes": [], "properties": [], "other": []}
    for term in terms:
        types = {str(t) for t in graph.objects(term, RDF.type)}
        kind = "classes" if owl + "Class" in types else "properties" if types & {owl + "ObjectProperty", owl + "DatatypeProperty", owl + "AnnotationProperty"} else "other"
        definitions = {o.language: str(o) for o in graph.objects(term, URIRef("http://www.w3.org/2004/02/skos/core#definition"))}
        kinds[kind].append(
            {
                "iri": str(term),
                "name": str(term)[len(namespace):],
                "labels": {o.language: str(o) for o in labels_in(graph, term)},
                "definitions": definitions,
                "rows": presenter.rows(term, skip={*describe.LABEL_PROPERTIES, "http://www.w3.org/2004/02/skos/core#definition"}),
            }
        )
    subject = URIRef(iri)
    return render_template(
        "ontology.html",
        site=site(),
        iri=iri,
        title=choose_labels(labels_in(graph, subject)),
        rows=presenter.rows(subject, skip={*describe.LABEL_PROPERTIES}),
        kinds=kinds,
        alternates=alternates(iri),
        jsonld=schema_script(graph, iri),
    )


def _shapes_page(iri: str) -> str:
    graph = describe.describe_namespace(current_store(), "shapes")
    presenter = presenter_for(graph)
    namespace = iri + "#"
    shapes = sorted({s for s in graph.subjects() if isinstance(s, URIRef) and str(s).startswith(namespace)}, key=str)
    return render_template(
        "shapes.html",
        site=site(),
        iri=iri,
        shapes=[{"iri": str(s), "name": str(s)[len(namespace):], "rows": presenter.rows(s)} for s in shapes],
        alternates=alternates(iri),
        jsonld=schemaorg.script_tag(
            {"@context": schemaorg.SCHEMA_CONTEXT, "@id": iri, "@type": "CreativeWork", "name": "scograph SHACL shapes", "url": site().absolute(site().page_url(iri))}
        ),
    )
