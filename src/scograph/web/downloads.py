"""Release files for everyone, and the files that help others find the data.

- ``/downloads``: every release file with size, triple count and SHA-256 (from ``manifest.json``).
- ``/download/{name}``: the file itself, with its media type; ``SHA256SUMS`` and
  ``manifest.json`` too. An uncompressed dump asked for by a client that
  accepts gzip is sent from its pre-built ``.gz`` sibling with
  ``Content-Encoding: gzip`` (no compression at request time).
- ``/download/{dump}.gz`` negotiates. A person (a browser, ``curl``, ``Accept: */*``)
  gets the file as listed: ``application/gzip``, no ``Content-Encoding``, so the
  bytes received are the bytes whose SHA-256 is listed. An RDF client that asks
  for the dump's own media type more than for ``application/gzip`` (Jena,
  Comunica, rdflib: ``Accept: text/turtle, */*;q=0.1``) gets the RDF media type,
  with ``Content-Encoding: gzip`` (the same bytes) if it accepts gzip, else
  uncompressed: a ``.gz`` URL can be loaded as a source directly.
- ``/.well-known/void``: the VoID/DCAT description (``void.ttl``), negotiable to other RDF syntaxes.
- ``/context.jsonld``: the JSON-LD context of ``scograph.jsonld`` at a stable URL.
- ``/sitemap.xml`` and ``/robots.txt``.

The files come from the release directory: ``app.extensions["scograph.release"]``
when the serve command sets it (a remote store), else the embedded store's release.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

import pyoxigraph as ox
from flask import Blueprint, Flask, Response, abort, current_app, render_template, request, send_file

from scograph.rdfconvert import to_rdflib
from scograph.release import Release, ReleaseFile
from scograph.store.base import Store
from scograph.web import origin
from scograph.web.negotiation import RDF_REPRESENTATIONS, TURTLE, negotiate

bp = Blueprint("downloads", __name__)

#: Downloads never change within a release; let caches keep them for a day.
DOWNLOAD_MAX_AGE = 86400


def release_of(app: Flask) -> Release | None:
    """The release whose files are offered, or ``None`` when the app serves a store without one."""
    release = app.extensions.get("scograph.release")
    if release is None:
        release = getattr(app.extensions["scograph.store"], "release", None)
    return release


def _store() -> Store:
    return current_app.extensions["scograph.store"]


def _release() -> Release:
    release = release_of(current_app)
    if release is None:
        abort(404, description="This server has no release directory configured, so it has no files to download.")
    return release


#: Release files the manifest does not list (it cannot list itself or the sums of the listed files).
UNLISTED_FILES = {"manifest.json": "application/json", "SHA256SUMS": "text/plain; charset=utf-8"}

GZIP = "application/gzip"


def _path(release: Release, name: str) -> Path:
    path = release.path / name
    # Only files the manifest lists (and the manifest and the sums) are served: no path tricks, no store files.
    if (release.file(name) is None and name not in UNLISTED_FILES) or not path.is_file():
        abort(404, description=f"The release has no file called {name!r}; see the downloads page.")
    return path


@bp.get("/downloads")
def downloads_page() -> str:
    release = release_of(current_app)
    files = release.files if release else []
    return render_template(
        "downloads.html",
        files=files,
        groups=_group(files),
        version=_store().version,
        manifest=release.manifest if release else None,
    )


def _group(files: list[ReleaseFile]) -> list[tuple[ReleaseFile, ReleaseFile | None]]:
    """Each file beside its ``.gz`` copy, in manifest order."""
    by_name = {f.name: f for f in files}
    return [(f, by_name.get(f.name + ".gz")) for f in files if not f.name.endswith(".gz")]


@bp.get("/download/<name>")
def download(name: str) -> Response:
    release = _release()
    path = _path(release, name)
    listed = release.file(name)
    inner = release.file(name.removesuffix(".gz")) if name.endswith(".gz") else None
    if inner is not None and _wants_rdf_not_archive(inner.media_type):
        response = _send(release, inner)
        response.vary.add("Accept")
        return response
    if listed is None:
        response = send_file(path, mimetype=UNLISTED_FILES[name].split(";")[0], conditional=True, etag=True, max_age=DOWNLOAD_MAX_AGE)
        response.headers["Content-Type"] = UNLISTED_FILES[name]
    else:
        response = _send(release, listed)
    if name.endswith(".gz"):
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        if inner is not None:
            response.vary.add("Accept")  # an RDF client gets the dump itself (above)
    return response


def _wants_rdf_not_archive(media_type: str) -> bool:
    """True when ``Accept`` prefers the dump's RDF media type to the gzip archive (``*/*`` does not)."""
    accept = request.accept_mimetypes
    return accept.quality(media_type.split(";")[0]) > accept.quality(GZIP)


def _send(release: Release, listed: ReleaseFile) -> Response:
    """A listed file with its own media type; from its ``.gz`` sibling, gzip-encoded, when the client takes gzip."""
    path = release.path / listed.name
    gz = release.file(listed.name + ".gz")
    # mimetype is always given: left to guess, send_file would call a .gz file Content-Encoding: gzip.
    mimetype = listed.media_type.split(";")[0]
    if gz is not None and request.accept_encodings["gzip"] > 0:
        response = send_file(
            path.with_name(gz.name), mimetype=mimetype, conditional=True, etag=gz.sha256 + "-gz", max_age=DOWNLOAD_MAX_AGE, download_name=listed.name
        )
        response.headers["Content-Encoding"] = "gzip"
    else:
        response = send_file(path, mimetype=mimetype, conditional=True, etag=listed.sha256, max_age=DOWNLOAD_MAX_AGE, download_name=listed.name)
    response.headers["Content-Type"] = listed.media_type  # as listed (send_file would add a second charset)
    response.vary.add("Accept-Encoding")
    return response


@bp.get("/context.jsonld")
def context() -> Response:
    release = _release()
    return send_file(_path(release, "context.jsonld"), mimetype="application/ld+json", conditional=True, max_age=DOWNLOAD_MAX_AGE)


@bp.get("/.well-known/void")
def void() -> Response:
    """VoID for machines: Turtle as built, or another RDF syntax when ``Accept`` asks for one."""
    release = _release()
    path = _path(release, "void.ttl")
    representation = negotiate(request.headers.get("Accept"), RDF_REPRESENTATIONS) or TURTLE
    if representation is TURTLE:
        response = Response(path.read_bytes(), content_type=TURTLE.content_type)
    else:
        # Parsed by Oxigraph, which keeps the file's canonical blank-node labels: same request, same bytes.
        graph = to_rdflib(sorted(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE), key=lambda t: (str(t.subject), str(t.predicate), str(t.object))))
        response = Response(graph.serialize(format=representation.rdflib_format, encoding="utf-8"), content_type=representation.content_type)
    response.vary.add("Accept")
    return response


@bp.get("/robots.txt")
def robots() -> Response:
    root = origin.public_root()  # Sitemap: must be absolute; never from the request's Host
    body = (
        "# scograph: open data, crawl freely; query results are not pages.\n"
        "User-agent: *\n"
        "Disallow: /sparql?\n"
        "Disallow: /browse?q=\n"
        "Allow: /\n"
        f"Sitemap: {root}sitemap.xml\n"
    )
    return Response(body, content_type="text/plain; charset=utf-8")


@bp.get("/sitemap.xml")
def sitemap() -> Response:
    """Every page: the landing page, fixed pages and one page per resource under the base."""
    store = _store()
    base = store.base_iri
    rows = store.select(
        f'SELECT DISTINCT ?s WHERE {{ ?s ?p ?o . FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{base}")) }} ORDER BY ?s'
    )
    root = origin.public_root()  # a sitemap lists absolute URLs; never from the request's Host
    urls = [root, root + "downloads", root + "sparql", root + "browse", root + "ontology", root + "shapes"]
    for row in rows:
        iri = str(row["s"])
        if "#" in iri:
            continue  # ontology and shape terms live on /ontology and /shapes
        rest = iri[len(base) :]
        urls.append(root + ("doc/" + rest[3:] if rest.startswith("id/") else rest))
    seen: set[str] = set()
    unique = [u for u in urls if not (u in seen or seen.add(u))]
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "".join(f"  <url><loc>{escape(u)}</loc></url>\n" for u in unique)
        + "</urlset>\n"
    )
    return Response(body, content_type="application/xml; charset=utf-8")
