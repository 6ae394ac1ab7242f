"""The Flask application factory.

One blueprint a responsibility: ``sparql`` (the SPARQL 1.1 endpoint and its
query page), ``resources`` (dereferenceable URIs and their pages),
``downloads`` (release files, VoID, sitemap). The app never parses source
files: everything comes from the release through ``app.extensions["scograph.store"]``.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from scograph.store.base import Store
from scograph.web import http


@dataclass(frozen=True)
class WebConfig:
    """Serving limits and behaviour; every field has a CLI option in ``scograph serve``."""

    query_timeout: float = 10.0
    max_query_bytes: int = 64 * 1024
    max_results: int = 10_000
    max_concurrent_queries: int = 4


def create_app(store: Store, config: WebConfig | None = None) -> Flask:
    app = Flask(__name__)
    app.extensions["scograph.store"] = store
    app.extensions["scograph.config"] = config or WebConfig()
    app.json.ensure_ascii = False  # Chinese stays readable in JSON responses
    # CORS, ETag/304, Cache-Control, gzip, Vary and the JSON/HTML error pages, for every response.
    http.install(app)
    # Blueprints are registered here as they are written (sparql, resources, downloads).
    from scograph.web import downloads, exports, resources, sparql

    app.register_blueprint(sparql.bp)
    app.register_blueprint(downloads.bp)
    app.register_blueprint(exports.bp)  # /akn/..., the Atom feed, /.well-known/sparql-examples
    app.register_blueprint(resources.bp)  # last: its catch-all serves every other IRI under the base
    return app


def store_of(app: Flask) -> Store:
    return app.extensions["scograph.store"]
