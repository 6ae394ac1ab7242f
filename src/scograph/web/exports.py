"""Web entry points of the exports: Akoma Ntoso IRIs, the Atom feed of releases, the described examples.

- ``/akn/...``: an Akoma Ntoso work, expression, manifestation or portion IRI
  (``.../eng@/!main~para_3``) answers ``303 See Other`` to the release file that
  holds it; the release's description graph says which (``rdfs:seeAlso`` /
  ``dcterms:isPartOf`` to ``/download/...``).
- ``/feed.atom``: the releases of the build directory (:mod:`scograph.exports.feed`);
  ``/release/{version}/download/{name}`` serves a file of an older release.
- ``/.well-known/sparql-examples``: the example queries as SHACL SPARQL
  executables (the release's ``sparql-examples.ttl``), negotiable like VoID.

Nothing here reads the request's ``Host`` (:mod:`scograph.web.origin`): the
redirects and the 404's pointer are relative (``link_root``); the feed's links
and ids, and the examples' ``schema:target``, are absolute under ``public_root``.
"""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Response, abort, current_app, redirect, request, send_file

from scograph.exports import examples_rdf
from scograph.exports import feed as atom_feed
from scograph.rdfconvert import to_rdflib
from scograph.release import Release, ReleaseNotFound
from scograph.store.base import Store
from scograph.web import origin
from scograph.web.downloads import DOWNLOAD_MAX_AGE, UNLISTED_FILES, release_of
from scograph.web.negotiation import RDF_REPRESENTATIONS, TURTLE, negotiate

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
            f"404 Not Found: no Akoma Ntoso file of this release holds <{iri}>; see {origin.link_root()}downloads\n",
            status=404,
            content_type="text/plain; charset=utf-8",
        )
    file_iri = str(rows[0]["file"])
    return redirect(origin.link_root() + file_iri[len(base) :], code=303)


def _current() -> Release:
    release = release_of(current_app)
    if release is None:
        abort(404, description="This server has no release directory configured, so it has no releases to list.")
    return release


@bp.get("/feed.atom")
def feed() -> Response:
    root = origin.public_root()  # Atom wants absolute links and ids; never from the request's Host
    body = atom_feed.atom(_current(), root, root + "feed.atom")
    return Response(body, content_type=atom_feed.ATOM_TYPE + "; charset=utf-8")


@bp.get("/release/<version>/download/<name>")
def release_file(version: str, name: str) -> Response:
    """A file of any complete release in the build directory (the feed links older releases' files here)."""
    current = _current()
    if not version.isalnum():
        abort(404, description=f"There is no release {version!r}; see /feed.atom.")
    try:
        release = Release.open(current.path.parent / version)
    except ReleaseNotFound:
        abort(404, description=f"There is no release {version!r}; see /feed.atom.")
    listed = release.file(name)
    if (listed is None and name not in UNLISTED_FILES) or not (release.path / name).is_file():
        abort(404, description=f"Release {version} has no file called {name!r}.")
    media_type = listed.media_type if listed else UNLISTED_FILES[name]
    # mimetype always given: left to guess, send_file would call a .gz file Content-Encoding: gzip.
    response = send_file(release.path / name, mimetype=media_type.split(";")[0], conditional=True, max_age=DOWNLOAD_MAX_AGE)
    response.headers["Content-Type"] = media_type
    return response


@bp.get("/.well-known/sparql-examples")
def sparql_examples() -> Response:
    """The example queries as RDF: Turtle, or another RDF syntax when ``Accept`` asks for one.

    ``schema:target`` names this server's endpoint under the public URL, not the
    request's host; the rest is the release file as built.
    """
    release = _current()
    path = release.path / examples_rdf.FILE_NAME
    if release.file(examples_rdf.FILE_NAME) is None or not path.is_file():
        abort(404, description="This release has no sparql-examples.ttl; rebuild it with this version of scograph.")
    triples = examples_rdf.with_endpoint(list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)), origin.public_root() + "sparql")
    representation = negotiate(request.headers.get("Accept"), RDF_REPRESENTATIONS) or TURTLE
    if representation is TURTLE:
        response = Response(examples_rdf.turtle(triples), content_type=TURTLE.content_type)
    else:
        graph = to_rdflib(triples)
        response = Response(graph.serialize(format=representation.rdflib_format, encoding="utf-8"), content_type=representation.content_type)
    response.vary.add("Accept")
    return response
