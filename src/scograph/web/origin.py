"""Where the site's own URLs come from: configuration, never the request's ``Host`` header.

Answers are cached (``public, max-age=300``) by anyone in between. If the URLs in
them came from ``Host``, one request with ``Host: evil.example`` would plant
links to that host in every cache that keeps the answer. So:

- **Links are relative**: page links and the ``Location``, ``Content-Location``
  and ``Link`` headers are paths (``/doc/state/chn``) below the site's prefix,
  right whatever host the client reached us by.
- **Absolute URLs use the public URL** (the sitemap, ``robots.txt``,
  ``sd:endpoint``, schema.org ``url``, the examples on pages). It is configured
  (``scograph serve --public-url``); without one the app uses the base IRI, whose
  ``{base}x`` is designed to reach this server's ``/x``.
- **Forwarded headers only from a trusted proxy**: with
  ``trust_forwarded_headers`` (``--trust-forwarded-headers``) werkzeug's
  ``ProxyFix`` reads ``X-Forwarded-Proto/Host/Port/Prefix`` (one proxy), and the
  URL the proxy names is the public URL. Without it, the WSGI environ is pinned
  to the public URL before the app sees it, so nothing downstream (Flask,
  ``url_for``, a template that reads ``request.url_root``) can pick up ``Host``.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Flask, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

#: Request headers an answer depends on when a proxy is trusted (for Vary and the ETag).
FORWARDED_HEADERS = ("X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Port", "X-Forwarded-Prefix")

_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def check_public_url(value: str, option: str = "--public-url") -> str:
    """``value`` normalised to end with ``/``; ``ValueError`` (one sentence) if it is not a usable site URL."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{option} must be an absolute http(s) URL such as https://data.example.org/, got {value!r}")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"{option} must not have a query, fragment or user name, got {value!r}")
    bad = next((c for c in value.strip() if c in '<>"{}|\\^` ' or ord(c) < 32), None)
    if bad is not None:
        raise ValueError(f"{option} must not contain {bad!r}, got {value!r}")
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise ValueError(f"{option} has a port that is not a number: {value!r}") from None
    url = value.strip()
    return url if url.endswith("/") else url + "/"


def default_public_url(host: str, port: int) -> str | None:
    """The public URL when none is configured: the listening address if only this machine can reach it.

    A server bound to loopback can only be reached at that address, so it is the
    one URL that works for every client. On any other interface the listening
    address says nothing about the name clients use; ``None`` lets the app fall
    back to the base IRI.
    """
    if host in _LOOPBACK and port:
        return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"
    return None


class _PinnedOrigin:
    """WSGI middleware: the environ names the public URL, whatever ``Host`` the client sent."""

    def __init__(self, app, public_url: Callable[[], str], prefix: str):
        self.app = app
        self.public_url = public_url  # called at the first request: a remote store's base IRI needs the store
        self.origin: tuple[str, str, str, str] | None = None
        self.prefix = prefix

    def _origin(self) -> tuple[str, str, str, str]:
        if self.origin is None:
            parts = urlsplit(self.public_url())
            port = str(parts.port or (443 if parts.scheme == "https" else 80))
            self.origin = (parts.scheme, parts.netloc, parts.hostname or "", port)
        return self.origin

    def __call__(self, environ, start_response):
        scheme, host, server_name, server_port = self._origin()
        environ["HTTP_HOST"] = host
        environ["SERVER_NAME"] = server_name
        environ["SERVER_PORT"] = server_port
        environ["wsgi.url_scheme"] = scheme
        environ["SCRIPT_NAME"] = self.prefix
        for name in FORWARDED_HEADERS:  # not believed, so not seen either
            environ.pop("HTTP_" + name.upper().replace("-", "_"), None)
        return self.app(environ, start_response)


def install(app: Flask, public_url: str | None, trust_forwarded_headers: bool) -> None:
    """Wrap ``app.wsgi_app`` so the request knows the site's origin, and give templates the roots."""
    if public_url is not None and trust_forwarded_headers:
        raise ValueError("a public URL and trusted forwarded headers both say where the site is; give one of them")
    if public_url is not None:
        public_url = check_public_url(public_url)
    app.extensions["scograph.public_url"] = public_url
    app.extensions["scograph.trust_forwarded"] = trust_forwarded_headers
    if trust_forwarded_headers:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_port=1, x_prefix=1)
    else:
        # A configured URL with a path (https://example.org/scograph/) means a proxy maps that
        # path onto our root, so links carry it; the base IRI fallback reaches us by redirect.
        prefix = urlsplit(public_url).path.rstrip("/") if public_url else ""
        store = app.extensions["scograph.store"]
        app.wsgi_app = _PinnedOrigin(app.wsgi_app, (lambda: public_url) if public_url else (lambda: store.base_iri), prefix)
    app.context_processor(lambda: {"link_root": link_root(), "public_root": public_root()})


def trusts_forwarded_headers() -> bool:
    return bool(current_app.extensions.get("scograph.trust_forwarded"))


def link_root() -> str:
    """The path every relative link starts with: ``/``, or the prefix the site is mounted at."""
    return request.script_root + "/"


def public_root() -> str:
    """The absolute URL of the site's root, for the few answers that need absolute URLs."""
    if trusts_forwarded_headers():
        return request.url_root
    configured = current_app.extensions.get("scograph.public_url")
    return configured or current_app.extensions["scograph.store"].base_iri


def absolute(link: str) -> str:
    """A relative link (``/doc/state/chn``) as an absolute URL under the public root."""
    root = link_root()
    if link.startswith(root):
        return public_root() + link[len(root):]
    return link  # already absolute (an outbound IRI)
