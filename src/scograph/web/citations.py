"""Citations by content negotiation: a document or clause IRI answers in CSL-JSON, BibTeX or RIS.

``Accept: application/x-bibtex`` on ``/id/...`` gets a 303 to ``/doc/....bib``
like any other representation; the document URL answers with one citation per
language version, or only one with ``?lang=zh`` / ``?lang=en``. The citations
are read from the store with the same code the build uses for the release's
citation files (:mod:`scograph.exports.citations`), so both say the same.
"""

from __future__ import annotations

from flask import Response, abort, request

from scograph.exports import citations
from scograph.exports.model import Document, load_document, value
from scograph.store.base import Store
from scograph.web.negotiation import BIBTEX, CITATIONS, CSL_JSON, RIS, Representation

_WRITERS = {CSL_JSON: citations.csl_json, BIBTEX: citations.bibtex, RIS: citations.ris}


def citable_document(store: Store, iri: str) -> str | None:
    """The policy document ``iri`` is (or is a part of), or ``None`` when there is nothing to cite."""
    base = store.base_iri
    rows = store.select(
        f"""SELECT ?doc WHERE {{
  {{ BIND(<{iri}> AS ?doc) }} UNION {{ <{iri}> <http://data.europa.eu/eli/ontology#is_part_of>+ ?doc }}
  ?doc a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* <{base}ontology#PolicyDocument> .
}} ORDER BY ?doc LIMIT 1"""
    )
    return value(rows[0]["doc"]) if rows else None


def _document(store: Store, iri: str) -> Document:
    return load_document(store.select, store.base_iri, iri)


def citation_response(store: Store, iri: str, representation: Representation) -> Response | None:
    """The citations of ``iri`` in ``representation``; ``None`` when ``iri`` is not a document or clause."""
    document_iri = citable_document(store, iri)
    if document_iri is None:
        return None
    lang = request.args.get("lang")
    doc = _document(store, document_iri)
    if lang is not None and lang not in doc.expressions:
        abort(400, description=f"The lang parameter must be one of: {', '.join(doc.expressions)} (got {lang!r}).")
    cites = citations.citations(doc, store.version, iri=iri, languages=[lang] if lang else None)
    if not cites:
        return None
    response = Response(_WRITERS[representation](cites), content_type=representation.content_type)
    if lang:
        response.headers["Content-Language"] = lang
    return response


def citation_links(site, iri: str) -> list[tuple[str, str, str]]:
    """(label, URL, media type) of the three citation formats, for the cite box."""
    labels = {CSL_JSON: "CSL-JSON", BIBTEX: "BibTeX", RIS: "RIS"}
    return [(labels[r], site.document_url(iri, r.extension), r.media_type) for r in CITATIONS]
