"""The routes of dereferencing: which IRI a path names, which representation answers, 303s and 406s.

The package docstring (:mod:`scograph.web.resources`) gives the URL design;
what a page shows lives in :mod:`.pages`, the RDF bytes in :mod:`.serialization`.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request
from rdflib import Literal, URIRef
from rdflib.namespace import RDF

from scograph import describe
from scograph.web import i18n
from scograph.web.citations import citable_document, citation_response
from scograph.web.negotiation import (
    CITATIONS,
    HTML,
    REPRESENTATIONS,
    Representation,
    acceptable_list,
    negotiate,
    split_extension,
)
from scograph.web.presentation import choose_labels, labels_in, term_labels
from scograph.web.resources.context import current_store, safe_iri, scog_term, site
from scograph.web.resources.listings import class_index, class_members, search_labels
from scograph.web.resources.not_found import not_found
from scograph.web.resources.page_parts import labels_of, schema_script
from scograph.web.resources.pages import html_page
from scograph.web.resources.serialization import serialize

bp = Blueprint("resources", __name__)


# -- routes -----------------------------------------------------------------------------


@bp.get("/")
def landing() -> str:
    """The base IRI itself: what the dataset is, and the ways in (document, SPARQL, downloads)."""
    store = current_store()
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
        f"""SELECT DISTINCT ?doc WHERE {{ ?doc a/<{describe.RDFS_SUBCLASS}>* <{scog_term("PolicyDocument")}> }} ORDER BY ?doc"""
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
        jsonld=schema_script(graph, dataset),
    )


def _count(value: Literal | None) -> str | None:
    return f"{int(value.toPython()):,}" if value is not None else None


@bp.get("/id/<path:path>")
def identifier(path: str) -> Response:
    """A thing's IRI: 303 to the document about it, in the representation ``Accept`` asks for."""
    base = current_store().base_iri
    resolved = _resolve(base + "id/", path)
    if resolved is None:
        return not_found(base + "id/" + path)
    iri, forced = resolved
    representation = forced or negotiate(request.headers.get("Accept"), REPRESENTATIONS + CITATIONS)
    if representation is None or (representation in CITATIONS and citable_document(current_store(), iri) is None):
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
    base = current_store().base_iri
    resolved = _resolve(base + "id/", path)
    if resolved is None:
        return not_found(base + "id/" + path)
    return _serve(*resolved)


@bp.get("/browse")
def browse() -> Response | str:
    """Index by class, label search (``?q=``) and pages for described IRIs from elsewhere (``?iri=``)."""
    iri = request.args.get("iri")
    if iri:
        if not iri.startswith(("http://", "https://")) or not safe_iri(iri):
            abort(400, description=i18n.text("error.bad_iri_parameter"))
        if site().is_local(iri):
            return redirect(i18n.with_language(site().page_url(iri)), code=303)
        if not describe.exists(current_store(), iri):
            return not_found(iri)
        fmt = request.args.get("format")
        forced = next((r for r in REPRESENTATIONS if r.extension == fmt), None)
        if fmt and forced is None:
            abort(400, description=i18n.text("error.unknown_format", format=repr(fmt), choices=", ".join(r.extension for r in REPRESENTATIONS)))
        return _serve(iri, forced)
    query = (request.args.get("q") or "").strip()
    class_iri = request.args.get("class")
    if class_iri and not safe_iri(class_iri):
        abort(400, description=i18n.text("error.bad_class_parameter"))
    return render_template(
        "browse.html",
        site=site(),
        query=query,
        hits=search_labels(query) if query else [],
        classes=[] if (query or class_iri) else class_index(),
        class_iri=class_iri,
        class_labels=(labels_of(class_iri) or term_labels(class_iri)) if class_iri else [],
        members=class_members(class_iri) if class_iri else [],
    )


@bp.get("/<path:path>")
def in_place(path: str) -> Response:
    """Any other IRI under the base (``ontology``, ``shapes``, ``dataset``, ``graph/...``) is its own document."""
    base = current_store().base_iri
    stem, forced = split_extension(path)
    if stem in describe.NAMESPACE_DOCUMENTS:
        return _serve(base + stem, forced, namespace=stem)
    if path in describe.NAMESPACE_DOCUMENTS:
        return _serve(base + path, None, namespace=path)
    # A version IRI (ontology/1.0.0) is the ontology as of that version: the current one is served whole.
    for candidate, fixed in ((path, None), (stem, forced)):
        namespace = describe.namespace_of_version(current_store(), base + candidate)
        if namespace is not None:
            return _serve(base + candidate, fixed, namespace=namespace)
    resolved = _resolve(base, path)
    if resolved is None:
        return not_found(base + path)
    return _serve(*resolved)


# -- resolution and negotiation ------------------------------------------------------------


def _resolve(prefix: str, path: str) -> tuple[str, Representation | None] | None:
    """The IRI a request path names, and the representation its extension fixes (if any).

    The whole path wins when the store knows it (an IRI may contain a dot);
    otherwise a trailing ``.ttl``/``.html``... is read as an extension.
    """
    store = current_store()
    whole = prefix + path
    if safe_iri(whole) and describe.exists(store, whole):
        return whole, None
    stem, forced = split_extension(path)
    if forced is not None and safe_iri(prefix + stem) and describe.exists(store, prefix + stem):
        return prefix + stem, forced
    return None


def _serve(iri: str, forced: Representation | None, namespace: str | None = None) -> Response:
    representation = forced or negotiate(request.headers.get("Accept"), REPRESENTATIONS + CITATIONS)
    if representation is None:
        return _not_acceptable()
    if representation in CITATIONS:
        response = citation_response(current_store(), iri, representation)
        if response is None:
            return _not_acceptable()
    elif representation.is_rdf:
        graph = describe.describe_namespace(current_store(), namespace) if namespace else describe.describe(current_store(), iri)
        response = Response(serialize(graph, representation), content_type=representation.content_type)
    else:
        response = Response(html_page(iri, namespace), content_type=HTML.content_type)
    if forced is None:
        # The negotiated answer says which fixed URL holds the same bytes.
        response.headers["Content-Location"] = site().document_url(iri, representation.extension)
        response.vary.add("Accept")
    response.headers["Link"] = ", ".join(
        f'<{site().document_url(iri, r.extension)}>; rel="alternate"; type="{r.media_type}"' for r in REPRESENTATIONS
    )
    return response


def _not_acceptable() -> Response:
    body = (
        "406 Not Acceptable: nothing here matches your Accept header.\n"
        "Available representations:\n" + acceptable_list() + "\n"
    )
    response = Response(body, status=406, content_type="text/plain; charset=utf-8")
    response.vary.add("Accept")
    return response


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
