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
from scograph.web import http, i18n, origin


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


def create_app(store: Store, config: WebConfig | None = None) -> Flask:
    app = Flask(__name__)
    app.extensions["scograph.store"] = store
    app.extensions["scograph.config"] = config or WebConfig()
    app.json.ensure_ascii = False  # Chinese stays readable in JSON responses
    # The site's own URLs come from configuration, never from the request's Host header.
    origin.install(app, app.extensions["scograph.config"].public_url, app.extensions["scograph.config"].trust_forwarded_headers)
    # CORS, ETag/304, Cache-Control, gzip, Vary and the JSON/HTML error pages, for every response.
    http.install(app)
    # The interface language (?lang=, Accept-Language) and its message catalogue, for every template.
    i18n.install(app)
    # Blueprints are registered here as they are written (sparql, resources, downloads).
    from scograph.web import downloads, resources, sparql

    app.register_blueprint(sparql.bp)
    app.register_blueprint(downloads.bp)
    app.register_blueprint(resources.bp)  # last: its catch-all serves every other IRI under the base
    return app


def store_of(app: Flask) -> Store:
    return app.extensions["scograph.store"]
