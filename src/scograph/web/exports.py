"""Web entry points of the exports: Akoma Ntoso IRIs, the Atom feed of releases, the described examples.

- ``/akn/...``: an Akoma Ntoso work, expression, manifestation or portion IRI
  (``.../eng@/!main~para_3``) answers ``303 See Other`` to the release file that
  holds it; the release's description graph says which (``rdfs:seeAlso`` /
  ``dcterms:isPartOf`` to ``/download/...``).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, redirect, request

from scograph.store.base import Store

bp = Blueprint("exports", __name__)


def _store() -> Store:
    return current_app.extensions["scograph.store"]


def _safe(iri: str) -> bool:
    return not any(ch in iri for ch in '<>"{}|^`\\ \n\r\t')


@bp.get("/akn/<path:rest>")
def akn(rest: str) -> Response:
    store = _store()
    base = store.base_iri
    iri = base + "akn/" + rest
    rows = []
    if _safe(iri):
        rows = store.select(
            f"""SELECT ?file WHERE {{ <{iri}> <http://purl.org/dc/terms/isPartOf>|<http://www.w3.org/2000/01/rdf-schema#seeAlso> ?file .
  FILTER(STRSTARTS(STR(?file), "{base}download/")) }} ORDER BY ?file LIMIT 1"""
        )
    if not rows:
        return Response(
            f"404 Not Found: no Akoma Ntoso file of this release holds <{iri}>; see {_root()}downloads\n",
            status=404,
            content_type="text/plain; charset=utf-8",
        )
    file_iri = str(rows[0]["file"])
    return redirect(_root() + file_iri[len(base) :], code=303)


def _root() -> str:
    return request.url_root
