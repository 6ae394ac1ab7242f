"""Dereferencing: every IRI under the base answers, as a page for people and RDF for machines.

URL design (see ``docs/web.md``), with the canonical base mapped onto this host:

- ``/id/{path}`` names a thing (a clause, a state). It answers ``303 See Other``
  to the document about it, in the representation chosen by ``Accept``:
  ``/doc/{path}.html``, ``.ttl``, ``.jsonld``, ``.nt`` or ``.rdf``.
- ``/doc/{path}`` (no extension) negotiates and answers 200 with
  ``Content-Location`` naming the extension URL it chose.
- ``/doc/{path}.{ext}`` is one fixed representation, for people who cannot set headers.
- Every other IRI under the base is itself a document (``/ontology``,
  ``/shapes``, ``/dataset``, ``/graph/data``...): it negotiates in place (200 +
  ``Content-Location``) and has extension URLs too. Hash IRIs
  (``ontology#Clause``) are described by their document (``/ontology``).
- ``/browse`` lists what the dataset holds, searches labels (``?q=``) and shows
  IRIs from elsewhere that the dataset describes (``?iri=``).

``Vary: Accept``, CORS, ETags and 304 come from :mod:`scograph.web.http`.
Unknown IRIs get a 404 page with search suggestions; ``Accept`` that nothing
satisfies gets 406 with the list of what is available.
"""

from __future__ import annotations

import re
from collections import defaultdict
from urllib.parse import quote

import pyoxigraph as ox
import rdflib
from flask import Blueprint, Response, abort, current_app, redirect, render_template, request
from rdflib import Literal, URIRef
from rdflib.namespace import RDF

from scograph import describe
from scograph.jsonld import jsonld_context
from scograph.namespaces import ELI, PREFIXES
from scograph.rdfconvert import from_rdflib, to_rdflib
from scograph.store.base import Store
from scograph.web import diagram, i18n, origin, schemaorg
from scograph.web.citations import citable_document, citation_links, citation_response
from scograph.web.negotiation import (
    CITATIONS,
    HTML,
    REPRESENTATIONS,
    Representation,
    acceptable_list,
    negotiate,
    split_extension,
)
from scograph.web.presentation import (
    OUTBOUND_PREDICATES,
    Label,
    Presenter,
    Site,
    Value,
    choose_labels,
    compact,
    labels_in,
    term_labels,
)

bp = Blueprint("resources", __name__)

#: Predicates from a clause to the things drawn in the document diagram.
DIAGRAM_PREDICATES = ("http://data.europa.eu/eli/ontology#cites", "mentions", "commitsTo", "committedBy")

#: How many search hits the 404 page and /browse?q= show.
SEARCH_LIMIT = 50


def _store() -> Store:
    return current_app.extensions["scograph.store"]


def site() -> Site:
    return Site(base=_store().base_iri, root=origin.link_root(), public=origin.public_root())


def _scog(term: str) -> str:
    return f"{_store().base_iri}ontology#{term}"


# -- routes -----------------------------------------------------------------------------


@bp.get("/")
def landing() -> str:
    """The base IRI itself: what the dataset is, and the ways in (document, SPARQL, downloads)."""
    store = _store()
    s = site()
    dataset = store.base_iri + "dataset"
    # Only what the page shows: the full description (every distribution) is 5x slower to fetch.
    graph = store.construct(
        f"""CONSTRUCT {{ <{dataset}> ?p ?o }} WHERE {{
  VALUES ?p {{ <http://purl.org/dc/terms/title> <http://purl.org/dc/terms/description> <http://purl.org/dc/terms/license>
             <http://rdfs.org/ns/void#triples> <http://rdfs.org/ns/void#entities> <{RDF.type}> }}
  <{dataset}> ?p ?o }}"""
    )
    rows = store.select(
        f"""SELECT DISTINCT ?doc WHERE {{ ?doc a/<{describe.RDFS_SUBCLASS}>* <{_scog("PolicyDocument")}> }} ORDER BY ?doc"""
    )
    documents = [str(r["doc"]) for r in rows]
    labels = describe.labels(store, documents)
    void = "http://rdfs.org/ns/void#"
    subject = URIRef(dataset)
    return render_template(
        "landing.html",
        site=s,
        dataset=dataset,
        title=choose_labels(labels_in(graph, subject)),
        description=choose_labels(graph.objects(subject, URIRef("http://purl.org/dc/terms/description"))),
        # Written as the downloads page writes them (3,125): the same numbers, said the same way.
        triples=_count(graph.value(subject, URIRef(void + "triples"))),
        entities=_count(graph.value(subject, URIRef(void + "entities"))),
        documents=[{"iri": d, "href": s.page_url(d), "labels": choose_labels(labels.get(d, []))} for d in documents],
        version=store.version,
        jsonld=_schema_script(graph, dataset),
    )


def _count(value: Literal | None) -> str | None:
    return f"{int(value.toPython()):,}" if value is not None else None


@bp.get("/id/<path:path>")
def identifier(path: str) -> Response:
    """A thing's IRI: 303 to the document about it, in the representation ``Accept`` asks for."""
    base = _store().base_iri
    resolved = _resolve(base + "id/", path)
    if resolved is None:
        return _not_found(base + "id/" + path)
    iri, forced = resolved
    representation = forced or negotiate(request.headers.get("Accept"), REPRESENTATIONS + CITATIONS)
    if representation is None or (representation in CITATIONS and citable_document(_store(), iri) is None):
        return _not_acceptable()
    location = site().document_url(iri, representation.extension)
    if representation is HTML:
        location = i18n.with_language(location)  # a reader who chose a language keeps it
    response = redirect(location, code=303)
    response.vary.add("Accept")
    return response


@bp.get("/doc/<path:path>")
def document(path: str) -> Response:
    """The document about ``/id/{path}``: negotiated, or fixed by its extension."""
    base = _store().base_iri
    resolved = _resolve(base + "id/", path)
    if resolved is None:
        return _not_found(base + "id/" + path)
    return _serve(*resolved)


@bp.get("/browse")
def browse() -> Response | str:
    """Index by class, label search (``?q=``) and pages for described IRIs from elsewhere (``?iri=``)."""
    iri = request.args.get("iri")
    if iri:
        if not iri.startswith(("http://", "https://")) or not _safe_iri(iri):
            abort(400, description=i18n.text("error.bad_iri_parameter"))
        if site().is_local(iri):
            return redirect(i18n.with_language(site().page_url(iri)), code=303)
        if not describe.exists(_store(), iri):
            return _not_found(iri)
        fmt = request.args.get("format")
        forced = next((r for r in REPRESENTATIONS if r.extension == fmt), None)
        if fmt and forced is None:
            abort(400, description=i18n.text("error.unknown_format", format=repr(fmt), choices=", ".join(r.extension for r in REPRESENTATIONS)))
        return _serve(iri, forced)
    query = (request.args.get("q") or "").strip()
    class_iri = request.args.get("class")
    if class_iri and not _safe_iri(class_iri):
        abort(400, description=i18n.text("error.bad_class_parameter"))
    return render_template(
        "browse.html",
        site=site(),
        query=query,
        hits=_search(query) if query else [],
        classes=[] if (query or class_iri) else _classes(),
        class_iri=class_iri,
        class_labels=(_labels_of(class_iri) or term_labels(class_iri)) if class_iri else [],
        members=_members(class_iri) if class_iri else [],
    )


@bp.get("/<path:path>")
def in_place(path: str) -> Response:
    """Any other IRI under the base (``ontology``, ``shapes``, ``dataset``, ``graph/...``) is its own document."""
    base = _store().base_iri
    stem, forced = split_extension(path)
    if stem in describe.NAMESPACE_DOCUMENTS:
        return _serve(base + stem, forced, namespace=stem)
    if path in describe.NAMESPACE_DOCUMENTS:
        return _serve(base + path, None, namespace=path)
    # A version IRI (ontology/1.0.0) is the ontology as of that version: the current one is served whole.
    for candidate, fixed in ((path, None), (stem, forced)):
        namespace = describe.namespace_of_version(_store(), base + candidate)
        if namespace is not None:
            return _serve(base + candidate, fixed, namespace=namespace)
    resolved = _resolve(base, path)
    if resolved is None:
        return _not_found(base + path)
    return _serve(*resolved)


# -- resolution and negotiation ------------------------------------------------------------


def _safe_iri(iri: str) -> bool:
    return not re.search(r'[<>"{}|^`\\\s]', iri)


def _resolve(prefix: str, path: str) -> tuple[str, Representation | None] | None:
    """The IRI a request path names, and the representation its extension fixes (if any).

    The whole path wins when the store knows it (an IRI may contain a dot);
    otherwise a trailing ``.ttl``/``.html``... is read as an extension.
    """
    store = _store()
    whole = prefix + path
    if _safe_iri(whole) and describe.exists(store, whole):
        return whole, None
    stem, forced = split_extension(path)
    if forced is not None and _safe_iri(prefix + stem) and describe.exists(store, prefix + stem):
        return prefix + stem, forced
    return None


def _serve(iri: str, forced: Representation | None, namespace: str | None = None) -> Response:
    representation = forced or negotiate(request.headers.get("Accept"), REPRESENTATIONS + CITATIONS)
    if representation is None:
        return _not_acceptable()
    if representation in CITATIONS:
        response = citation_response(_store(), iri, representation)
        if response is None:
            return _not_acceptable()
    elif representation.is_rdf:
        graph = describe.describe_namespace(_store(), namespace) if namespace else describe.describe(_store(), iri)
        response = Response(serialize(graph, representation), content_type=representation.content_type)
    else:
        response = Response(_html(iri, namespace), content_type=HTML.content_type)
    if forced is None:
        # The negotiated answer says which fixed URL holds the same bytes.
        response.headers["Content-Location"] = site().document_url(iri, representation.extension)
        response.vary.add("Accept")
    response.headers["Link"] = ", ".join(
        f'<{site().document_url(iri, r.extension)}>; rel="alternate"; type="{r.media_type}"' for r in REPRESENTATIONS
    )
    return response


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
    base = _store().base_iri
    graph = _stable(graph)
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)
    graph.bind("id", base + "id/", override=True, replace=True)
    if representation.rdflib_format == "json-ld":
        context = jsonld_context(base)["@context"]
        return graph.serialize(format="json-ld", context=context, auto_compact=True, sort_keys=True, encoding="utf-8")
    return graph.serialize(format=representation.rdflib_format, encoding="utf-8")


def _not_acceptable() -> Response:
    body = (
        "406 Not Acceptable: nothing here matches your Accept header.\n"
        "Available representations:\n" + acceptable_list() + "\n"
    )
    response = Response(body, status=406, content_type="text/plain; charset=utf-8")
    response.vary.add("Accept")
    return response


def _not_found(iri: str) -> Response:
    words = [w for w in re.split(r"[/#\-_.]+", iri.rsplit("/id/", 1)[-1]) if len(w) > 2 and not w.isdigit()]
    hits = _search(" ".join(words[-2:])) if words else []
    if not hits and words:
        hits = _search(words[-1])
    html = render_template("not_found.html", site=site(), iri=iri, hits=_distinct_names(hits)[:12], query=" ".join(words[-2:]))
    if HTML is negotiate(request.headers.get("Accept")) or request.accept_mimetypes.accept_html:
        return Response(html, status=404, content_type=HTML.content_type)
    return Response(
        f"404 Not Found: the dataset says nothing about <{iri}>.\nTry the SPARQL endpoint at {origin.public_root()}sparql\n",
        status=404,
        content_type="text/plain; charset=utf-8",
    )


def _distinct_names(hits: list[dict]) -> list[dict]:
    """Search hits with one entry per name, ignoring case ("policy document" = "Policy document")."""
    seen: set[str] = set()
    distinct = []
    for hit in hits:
        name = hit["label"].text.casefold().strip()
        if name not in seen:
            seen.add(name)
            distinct.append(hit)
    return distinct


# -- HTML ---------------------------------------------------------------------------------


def _html(iri: str, namespace: str | None) -> str:
    store = _store()
    if namespace == "ontology":
        return _ontology_page(iri)
    if namespace == "shapes":
        return _shapes_page(iri)
    if describe.is_policy_document(store, iri):
        return _document_page(iri)
    return _resource_page(iri)


def _presenter(graph: rdflib.Graph) -> Presenter:
    store = _store()
    predicates = {str(p) for p in graph.predicates()}
    return Presenter(site(), graph, describe.labels(store, predicates), _described_externals(graph))


def _described_externals(graph: rdflib.Graph) -> set[str]:
    """IRIs outside the base that the store describes (so they get a local page, e.g. SDGs)."""
    base = _store().base_iri
    candidates = {str(o) for o in graph.objects() if isinstance(o, URIRef) and not str(o).startswith(base)}
    described = describe.labels(_store(), candidates)
    return set(described)


def _labels_of(iri: str) -> list[Label]:
    return choose_labels(describe.labels(_store(), [iri]).get(iri, []))


def _alternates(iri: str) -> list[tuple[Representation, str]]:
    return [(r, site().document_url(iri, r.extension)) for r in REPRESENTATIONS if r.is_rdf]


def _incoming_groups(iri: str) -> list[tuple[list[Label], list[Value]]]:
    store = _store()
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
    values = " ".join(f"<{i}>" for i in sorted(iris) if _safe_iri(i))
    position = _scog("position")
    rows = _store().select(
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


def _cite(iri: str, labels: list[Label]) -> dict:
    """What the "cite this" box shows: URI, title, document, release version and document date."""
    rows = _store().select(
        f"""SELECT ?doc ?date WHERE {{
  <{iri}> <{ELI.is_part_of}>* ?doc . ?doc <{ELI.date_document}> ?date .
}} LIMIT 1"""
    )
    document = str(rows[0]["doc"]) if rows else None
    return {
        "iri": iri,
        "title": labels,
        "document": document,
        "document_labels": _labels_of(document) if document and document != iri else [],
        "date": str(rows[0]["date"]) if rows else None,
        "version": _store().version,
        "formats": citation_links(site(), iri),
    }


def _schema_script(graph: rdflib.Graph, iri: str) -> str:
    s = site()
    data = schemaorg.structured_data(graph, URIRef(iri), s.absolute(s.page_url(iri)), lambda i: s.absolute(s.page_url(i)) if s.is_local(i) else None)
    return schemaorg.script_tag(data)


def _resource_page(iri: str) -> str:
    store = _store()
    graph = describe.describe(store, iri)
    subject = URIRef(iri)
    presenter = _presenter(graph)
    title = choose_labels(labels_in(graph, subject))
    text_predicate = _scog("text")
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
        incoming=_incoming_groups(iri),
        cite=_cite(iri, title) if texts else None,
        context_url=context_url,
        alternates=_alternates(iri),
        jsonld=_schema_script(graph, iri),
    )


# -- the document page ----------------------------------------------------------------------


def _document_page(iri: str) -> str:
    store = _store()
    s = site()
    graph = describe.describe(store, iri)
    parts = describe.document_parts(store, iri)
    subject = URIRef(iri)
    presenter = _presenter(graph)
    part_presenter = Presenter(s, parts, describe.labels(store, {str(p) for p in parts.predicates()}), _described_externals(parts))
    title = choose_labels(labels_in(graph, subject))
    position = URIRef(_scog("position"))
    text = URIRef(_scog("text"))
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
        incoming=_incoming_groups(iri),
        alternates=_alternates(iri),
        jsonld=_document_schema(graph, parts, iri, clauses),
        version=store.version,
    )


def _diagram(clauses: list[dict], parts: rdflib.Graph, title: list[Label]):
    s = site()
    wanted = {p if p.startswith("http") else _scog(p) for p in DIAGRAM_PREDICATES}
    edges_raw = [
        (c["anchor"], str(o))
        for c in clauses
        for p, o in parts.predicate_objects(URIRef(c["iri"]))
        if str(p) in wanted and isinstance(o, URIRef)
    ]
    kinds = describe.categories(_store(), {target for _, target in edges_raw})
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


# -- ontology and shapes --------------------------------------------------------------------


def _ontology_page(iri: str) -> str:
    store = _store()
    graph = describe.describe_namespace(store, "ontology")
    presenter = _presenter(graph)
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
        alternates=_alternates(iri),
        jsonld=_schema_script(graph, iri),
    )


def _shapes_page(iri: str) -> str:
    graph = describe.describe_namespace(_store(), "shapes")
    presenter = _presenter(graph)
    namespace = iri + "#"
    shapes = sorted({s for s in graph.subjects() if isinstance(s, URIRef) and str(s).startswith(namespace)}, key=str)
    return render_template(
        "shapes.html",
        site=site(),
        iri=iri,
        shapes=[{"iri": str(s), "name": str(s)[len(namespace):], "rows": presenter.rows(s)} for s in shapes],
        alternates=_alternates(iri),
        jsonld=schemaorg.script_tag(
            {"@context": schemaorg.SCHEMA_CONTEXT, "@id": iri, "@type": "CreativeWork", "name": "scograph SHACL shapes", "url": site().absolute(site().page_url(iri))}
        ),
    )


# -- browse -----------------------------------------------------------------------------------


def _string_literal(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("\r", " ")
    return f'"{escaped}"'


def _search(query: str) -> list[dict]:
    """Resources whose label contains ``query`` (case-insensitive), best (shortest) labels first."""
    query = query.strip()[:100]
    if not query:
        return []
    values = " ".join(f"<{p}>" for p in describe.LABEL_PROPERTIES)
    rows = _store().select(
        f"""SELECT ?s (SAMPLE(?label) AS ?l) WHERE {{
  VALUES ?lp {{ {values} }}
  ?s ?lp ?label .
  FILTER(isIRI(?s) && CONTAINS(LCASE(STR(?label)), LCASE({_string_literal(query)})))
}} GROUP BY ?s ORDER BY STRLEN(STR(?l)) LIMIT {SEARCH_LIMIT}"""
    )
    s = site()
    # Each hit by its name in the reader's language when it has one (the matching name may be the other one).
    names = describe.labels(_store(), [str(r["s"]) for r in rows])
    hits = []
    for r in rows:
        matched = Label(str(r["l"]), r["l"].language)
        preferred = choose_labels(names.get(str(r["s"]), []))
        label = matched if matched.lang == i18n.current_language() or not preferred else preferred[0]
        hits.append({"iri": str(r["s"]), "href": s.page_url(str(r["s"])), "label": label})
    return hits


def _classes() -> list[dict]:
    rows = _store().select(
        "SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class ORDER BY DESC(?n) ?class"
    )
    labels = describe.labels(_store(), [str(r["class"]) for r in rows])
    base = _store().base_iri
    own = base + "ontology#"
    # The kinds the documents are made of (scograph's own classes) come first, then the reused
    # vocabularies' classes (skos:Concept, owl:Class, sh:NodeShape...); each part by how many.
    rows = sorted(rows, key=lambda r: not str(r["class"]).startswith(own))
    return [
        {
            "iri": str(r["class"]),
            "labels": choose_labels(labels.get(str(r["class"]), [])) or term_labels(str(r["class"])),
            "compact": compact(str(r["class"]), base),
            "count": int(r["n"].toPython()),
            "href": f"{origin.link_root()}browse?class={quote(str(r['class']), safe='')}",
        }
        for r in rows
    ]


def _members(class_iri: str) -> list[dict]:
    rows = _store().select(f"SELECT DISTINCT ?s WHERE {{ ?s a <{class_iri}> . FILTER(isIRI(?s)) }} ORDER BY ?s LIMIT 1000")
    iris = [str(r["s"]) for r in rows]
    labels = describe.labels(_store(), iris)
    s = site()
    members = [{"iri": i, "href": s.page_url(i), "labels": choose_labels(labels.get(i, [])), "compact": compact(i, s.base)} for i in iris]
    return sorted(members, key=lambda m: (m["labels"][0].text.lower() if m["labels"] else m["compact"]))


# -- shared template context -------------------------------------------------------------------


@bp.app_context_processor
def _navigation() -> dict:
    """``nav_document_url`` (the first policy document's page) and ``release_version`` for every page."""
    store = current_app.extensions["scograph.store"]
    cache = current_app.extensions.setdefault("scograph.navigation", {})
    if store.version not in cache:
        rows = store.select(
            f"SELECT ?doc WHERE {{ ?doc a/<{describe.RDFS_SUBCLASS}>* <{store.base_iri}ontology#PolicyDocument> }} ORDER BY ?doc LIMIT 1"
        )
        cache[store.version] = str(rows[0]["doc"]) if rows else None
    document_iri = cache[store.version]
    return {
        "nav_document_url": site().page_url(document_iri) if document_iri else None,
        "release_version": store.version,
    }
