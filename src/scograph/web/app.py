"""The Flask application factory.

One blueprint a responsibility: ``sparql`` (the SPARQL 1.1 endpoint and its
query page), ``resources`` (dereferenceable URIs and their pages),
``downloads`` (release files, VoID, sitemap). The app never parses source
files: everything comes from the release through ``app.extensions["scograph.store"]``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from flask import Flask

from scograph.store.base import Store
from scograph.web import fast_path, http, i18n, origin


@dataclass(frozen=True)
class WebConfig:
    """Serving limits and behaviour; every field has a CLI option in ``scograph serve``."""

    query_timeout: float = 10.0
    max_query_bytes: int = 64 * 1024
    max_results: int = 10_000
    max_concurrent_queries: int = 4
    #: Where clients reach this server's root (absolute URLs: sitemap, sd:endpoint); None: the base IRI.
    public_url: str | None = None
    #: Read X-Forwarded-Proto/Host/Port/Prefix (set only when a proxy in front of us sets them).
    trust_forwarded_headers: bool = False
    max_result_bytes: int = 16 * 1024 * 1024  # bytes per answer; longer answers are cut and say so


def create_app(store: Store, config: WebConfig | None = None, search_index: Path | None = None) -> Flask:
    """The app over ``store``. Search and reconciliation read ``search_index`` (default: the
    index of the store's own release, when the store has one: the embedded store)."""
    app = Flask(__name__)
    app.extensions["scograph.store"] = store
    app.extensions["scograph.search"] = _open_search_index(store, search_index)
    app.extensions["scograph.config"] = config or WebConfig()
    app.json.ensure_ascii = False  # Chinese stays readable in JSON responses
    # The site's own URLs come from configuration, never from the request's Host header.
    origin.install(app, app.extensions["scograph.config"].public_url, app.extensions["scograph.config"].trust_forwarded_headers)
    # CORS, ETag/304, Cache-Control, gzip, Vary and the JSON/HTML error pages, for every response.
    http.install(app)
    # The interface language (?lang=, Accept-Language) and its message catalogue, for every template.
    i18n.install(app)
    # Repeated GET queries answered before Flask runs, with the bytes Flask sent the first time.
    fast_path.install(app)
    # Blueprints are registered here as they are written (sparql, resources, downloads).
    from scograph.web import downloads, exports, reconcile, resources, search, sparql

    app.register_blueprint(sparql.bp)
    app.register_blueprint(downloads.bp)
    app.register_blueprint(exports.bp)  # /akn/..., the Atom feed, /.well-known/sparql-examples
    app.register_blueprint(search.bp)
    app.register_blueprint(reconcile.bp)
    app.register_blueprint(resources.bp)  # last: its catch-all serves every other IRI under the base
    return app


def _open_search_index(store: Store, path: Path | None):
    from scograph.search.index import IndexMissing, SearchIndex

    if path is None:
        release = getattr(store, "release", None)
        path = release.search_index_path if release is not None else None
    if path is None:
        logging.getLogger("scograph.web").warning("no search index: /search and /reconcile answer 503")
        return None
    try:
        return SearchIndex(path)
    except IndexMissing as exc:
        logging.getLogger("scograph.web").warning("%s: /search and /reconcile answer 503", exc)
        return None


def store_of(app: Flask) -> Store:
    return app.extensions["scograph.store"]
