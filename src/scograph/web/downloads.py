"""Release files for everyone, and the files that help others find the data.

- ``/downloads``: every release file with size, triple count and SHA-256 (from ``manifest.json``).
- ``/download/{name}``: the file itself, with its media type. ``.gz`` files are
  served as ``application/gzip`` *without* ``Content-Encoding``: the bytes
  received are the bytes listed (SHA-256 matches) and no client unpacks them
  behind the user's back. An uncompressed dump asked for by a client that
  accepts gzip is sent from its pre-built ``.gz`` sibling with
  ``Content-Encoding: gzip`` (no compression at request time).
- ``/.well-known/void``: the VoID/DCAT description (``void.ttl``), negotiable to other RDF syntaxes.
- ``/context.jsonld``: the JSON-LD context of ``scograph.jsonld`` at a stable URL.
- ``/sitemap.xml`` and ``/robots.txt``.

The files come from the release directory: ``app.extensions["scograph.release"]``
when the serve command sets it (a remote store), else the embedded store's release.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

import rdflib
from flask import Blueprint, Flask, Response, abort, current_app, render_template, request, send_file

from scograph.release import Release, ReleaseFile
from scograph.store.base import Store
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


def _path(release: Release, name: str) -> Path:
    path = release.path / name
    # Only files the manifest lists (and the manifest and its sums) are served: no path tricks, no store files.
    if (release.file(name) is None and name not in ("manifest.json", "SHA256SUMS")) or not path.is_file():
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
    media_type = listed.media_type if listed else "text/plain; charset=utf-8" if name == "SHA256SUMS" else "application/json"
    gz = release.file(name + ".gz")
    if gz is not None and request.accept_encodings["gzip"] > 0:
        response = send_file(
            path.with_name(gz.name), mimetype=media_type, conditional=True, etag=gz.sha256 + "-gz", max_age=DOWNLOAD_MAX_AGE
        )
        response.headers["Content-Encoding"] = "gzip"
    else:
        response = send_file(
            path, mimetype=media_type, conditional=True, etag=listed.sha256 if listed else True, max_age=DOWNLOAD_MAX_AGE
        )
    response.vary.add("Accept-Encoding")
    if name.endswith(".gz"):
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
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
        graph = rdflib.Graph().parse(path, format="turtle")
        response = Response(graph.serialize(format=representation.rdflib_format, encoding="utf-8"), content_type=representation.content_type)
    response.vary.add("Accept")
    return response


@bp.get("/robots.txt")
def robots() -> Response:
    root = request.url_root
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
    root = request.url_root
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
