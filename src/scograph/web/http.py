"""HTTP policies applied to every response of the app, and the app-wide error pages.

One place decides, for every response (pages, downloads, the SPARQL endpoint,
errors included):

- **CORS**: ``Access-Control-Allow-Origin: *`` so that any web page may query
  the open data; preflight answers name the methods and headers we accept.
- **Caching**: a release is immutable, so a ``GET`` answer is a function of the
  release version and the request (path, query string, ``Accept``,
  ``Accept-Language``, whether gzip is used). The ETag is derived from exactly
  that, which lets :func:`_answer_revalidation` send ``304 Not Modified``
  *before* the view runs (a revalidated SPARQL query is never re-executed).
- **Cache-Control**: public and short-lived for successful answers (a new
  release may replace the data), ``no-store`` for server errors and busy answers.
- **gzip** for sizeable textual bodies when the client accepts it.
- **Vary** on the request headers the answer depends on.

Views can opt out: a response that already has an ``ETag``/``Cache-Control``
keeps it, and ``Cache-Control: no-store`` disables the ETag (``/healthz``).

Error handlers answer 4xx/5xx as JSON for API clients and as a small HTML
page for browsers, and never show a stack trace.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
from collections.abc import Iterable

from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import HTTPException, InternalServerError

from scograph.web import origin

log = logging.getLogger("scograph.web")

#: Response headers a cross-origin script may read (beyond the CORS-safelisted ones).
EXPOSED_HEADERS = (
    "ETag",
    "Content-Length",
    "Content-Disposition",
    "Retry-After",
    "X-Result-Count",
    "X-Result-Limit",
    "X-Result-Truncated",
    "X-Query-Duration-Ms",
    "X-Release-Version",
)
_EXPOSED = ", ".join(EXPOSED_HEADERS)
ALLOWED_REQUEST_HEADERS = "Accept, Accept-Language, Content-Type, If-None-Match, If-Modified-Since, Cache-Control"
ALLOWED_METHODS = "GET, HEAD, POST, OPTIONS"
PREFLIGHT_MAX_AGE = "86400"

#: Successful GET answers may be cached this long; a new release may replace the data.
DEFAULT_MAX_AGE = 300

#: Bodies smaller than this are not worth compressing (gzip framing costs ~20 bytes).
GZIP_MIN_BYTES = 1024
GZIP_LEVEL = 5
_COMPRESSIBLE_PREFIXES = ("text/", "application/")
_COMPRESSIBLE_SUFFIXES = ("json", "xml", "javascript", "turtle", "n-triples", "n-quads", "trig", "csv", "tab-separated-values", "ld+json")

_VARY = ("Accept", "Accept-Encoding", "Accept-Language")


def install(app: Flask) -> None:
    """Register the response policies and error handlers on ``app``."""
    app.before_request(_answer_revalidation)
    app.after_request(apply_policies)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)


# -- caching --------------------------------------------------------------------------


def _release_version() -> str:
    store = current_app.extensions.get("scograph.store")
    return getattr(store, "version", "unversioned")


def _client_accepts_gzip() -> bool:
    return request.accept_encodings["gzip"] > 0


def representation_etag(gzipped: bool) -> str:
    """The ETag of the answer to the current GET request for the current release.

    Stable for a release: the same request always gets the same bytes, so the tag
    can be computed before the view runs.
    """
    parts = [
        request.path,
        request.query_string.decode("latin-1"),
        request.headers.get("Accept", ""),
        request.headers.get("Accept-Language", ""),
    ]
    if origin.trusts_forwarded_headers():  # then absolute URLs in the answer follow the proxy's headers
        parts.append(request.url_root)
    return etag_of(parts, _release_version(), gzipped)


def etag_of(parts: list[str], release_version: str, gzipped: bool) -> str:
    """The ETag for the request ``parts`` (path, query string, Accept, Accept-Language[, root])."""
    key = "\x1f".join(parts)
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=9).hexdigest()
    return f'"{release_version[:16]}-{digest}{"-gz" if gzipped else ""}"'


def _is_cacheable_request() -> bool:
    return request.method in ("GET", "HEAD")


def _answer_revalidation() -> Response | None:
    """Answer ``If-None-Match`` with 304 before doing any work (no query is re-run)."""
    if not _is_cacheable_request() or not request.if_none_match:
        return None
    for gzipped in (_client_accepts_gzip(), False):
        tag = representation_etag(gzipped)
        if request.if_none_match.contains_raw(tag):
            response = Response(status=304)
            response.headers["ETag"] = tag
            g.scograph_revalidated = True
            return response
    return None


def _set_cache_headers(response: Response, gzipped: bool) -> None:
    status = response.status_code
    if status >= 500 or status == 429:
        response.headers.setdefault("Cache-Control", "no-store")
        return
    if status >= 400:
        response.headers.setdefault("Cache-Control", "no-cache")
        return
    if not _is_cacheable_request():
        response.headers.setdefault("Cache-Control", "no-store")
        return
    response.headers.setdefault("Cache-Control", f"public, max-age={DEFAULT_MAX_AGE}")
    no_store = "no-store" in response.headers.get("Cache-Control", "")
    if status == 200 and not no_store and "ETag" not in response.headers:
        response.headers["ETag"] = representation_etag(gzipped)


# -- compression ----------------------------------------------------------------------


def _compressible(response: Response) -> bool:
    if response.status_code < 200 or response.status_code in (204, 304):
        return False
    if response.direct_passthrough or response.is_streamed or "Content-Encoding" in response.headers:
        return False
    return compressible_type(response.mimetype or "")


def compressible_type(mimetype: str) -> bool:
    """Whether a body of this media type (no parameters) is worth gzipping when large enough."""
    if not mimetype.startswith(_COMPRESSIBLE_PREFIXES):
        return False
    return mimetype.startswith("text/") or mimetype.endswith(_COMPRESSIBLE_SUFFIXES)


def _maybe_gzip(response: Response) -> bool:
    if request.method == "HEAD" or not _client_accepts_gzip() or not _compressible(response):
        return False
    body = response.get_data()
    if len(body) < GZIP_MIN_BYTES:
        return False
    response.set_data(gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    return True


# -- the hook -------------------------------------------------------------------------


_VARY_HEADER = ", ".join(_VARY)


def _add_vary(response: Response, values: Iterable[str]) -> None:
    current = response.headers.get("Vary")
    if not current:  # the common case, kept cheap: this runs on every response
        response.headers["Vary"] = _VARY_HEADER
        return
    present = {v.strip().lower() for v in current.split(",") if v.strip()}
    if "*" in present:
        return
    missing = [v for v in values if v.lower() not in present]
    if missing:
        response.headers["Vary"] = ", ".join([current, *missing])


def _add_cors(response: Response) -> None:
    headers = response.headers
    headers["Access-Control-Allow-Origin"] = "*"
    headers["Access-Control-Expose-Headers"] = _EXPOSED
    if request.method == "OPTIONS":
        headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        headers["Access-Control-Allow-Headers"] = request.headers.get(
            "Access-Control-Request-Headers", ALLOWED_REQUEST_HEADERS
        )
        headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE


def apply_policies(response: Response) -> Response:
    """The ``after_request`` hook: CORS, gzip, cache headers and Vary on every response."""
    _add_cors(response)
    _add_vary(response, _VARY)
    if origin.trusts_forwarded_headers():
        _add_vary(response, origin.FORWARDED_HEADERS)
    response.headers.setdefault("X-Release-Version", _release_version())
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if g.get("scograph_revalidated"):
        response.headers.setdefault("Cache-Control", f"public, max-age={DEFAULT_MAX_AGE}")
        return response
    gzipped = _maybe_gzip(response)
    _set_cache_headers(response, gzipped)
    return response


# -- errors ---------------------------------------------------------------------------


def wants_html() -> bool:
    """Whether an error answer is a page (the client prefers HTML) rather than JSON."""
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html" and request.accept_mimetypes["text/html"] > request.accept_mimetypes["application/json"]


def error_response(status: int, title: str, message: str, headers: Iterable[tuple[str, str]] = ()) -> Response:
    """An error answer for people (HTML) or programs (JSON, the default), never a traceback."""
    if wants_html():
        response = Response(_html_error(status, title, message), status=status, mimetype="text/html")
    else:
        response = current_app.response_class(
            current_app.json.dumps({"status": status, "error": title, "message": message}) + "\n",
            status=status,
            mimetype="application/json",
        )
    for name, value in headers:
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _html_error(status: int, title: str, message: str) -> str:
    from markupsafe import escape

    try:
        return current_app.jinja_env.get_template("error.html").render(
            status=status, title=title, message=message, link_root=origin.link_root(), public_root=origin.public_root()
        )
    except Exception:  # no shared error template yet, or it failed: a plain page still says what happened
        return (
            "<!doctype html><html lang=en><meta charset=utf-8>"
            f"<title>{status} {escape(title)}</title>"
            f"<h1>{status} {escape(title)}</h1><p>{escape(message)}</p>"
            f'<p><a href="{escape(origin.link_root())}">Home</a> · <a href="{escape(origin.link_root())}sparql">SPARQL endpoint</a></p></html>\n'
        )


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    headers = list(exc.get_headers()) if exc.response is None else list(exc.response.headers.items())
    return error_response(status, exc.name, exc.description or exc.name, headers)


def _unexpected_error(exc: Exception) -> Response:
    if isinstance(exc, HTTPException):  # pragma: no cover - routed to _http_error by Flask
        return _http_error(exc)
    log.exception("unhandled error on %s %s", request.method, request.path)
    server_error = InternalServerError()
    return error_response(500, server_error.name, "The server hit an unexpected error; it has been logged.")
