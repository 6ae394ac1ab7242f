"""The first answer to a plain ``GET /sparql?query=...``, built without Flask.

:mod:`scograph.web.fast_path` replays answers it has seen; this module makes the
ones it has not, for the common case only: a ``GET`` or ``HEAD`` with a query,
no ``If-None-Match``, no query page wanted, a query the guard lets through and a
format negotiated, and a store that answers. It runs the same functions as the
endpoint (:func:`parse_query_request`, :func:`check_query`,
:func:`negotiate_header`, ``Store.run``) and writes the headers the endpoint and
:mod:`scograph.web.http` write, in their order (``tests/test_fast_path.py``
compares every answer with the Flask path's, header by header).

Everything else is left to Flask, which answers it as before: returns ``None``
before the query runs (a protocol error, a refusal, 406, the page), or, when the
store raised (time limit, busy, crash), puts the exception in the environ under
:data:`RUN_ERROR` so the endpoint answers it without running the query again.
"""

from __future__ import annotations

import gzip
import logging
import time
from types import SimpleNamespace

from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from scograph.sparql.formats import GRAPH_FORMATS, RESULTS_FORMATS, NotAcceptable, negotiate_header
from scograph.sparql.guard import check_query, screen
from scograph.sparql.protocol import ProtocolError, parse_query_request
from scograph.store.base import QueryError
from scograph.web import http, query_page
from scograph.web.fast_path import FORM_KEY

#: The forms whose answer is a graph (negotiated among the RDF formats).
GRAPH_FORMS = ("CONSTRUCT", "DESCRIBE")

#: The environ key under which a store's exception goes to the endpoint (see ``sparql.endpoint``).
RUN_ERROR = "scograph.first_answer.run_error"

access_log = logging.getLogger("scograph.access")


class FirstAnswer:
    """``answer(environ)`` -> ``(status, headers, body)`` of the endpoint, or None for Flask to answer."""

    def __init__(self, store, config):
        self.store = store
        self.config = config
        self.graphs = frozenset(store.graph_iris)
        version = store.version
        # Everything that does not depend on the request, once.
        self._limits = [("X-Result-Limit", str(config.max_results)), ("X-Result-Byte-Limit", str(config.max_result_bytes))]
        self._policies = [
            ("Access-Control-Allow-Origin", "*"),
            ("Access-Control-Expose-Headers", http._EXPOSED),
            ("Vary", http._VARY_HEADER),
            ("X-Release-Version", version),
            ("X-Content-Type-Options", "nosniff"),
        ]
        self._cache_control = ("Cache-Control", f"public, max-age={http.DEFAULT_MAX_AGE}")
        self._version = version
        self._gzip_of: dict[str, bool] = {}
        self.built = 0  # answers made here (the rest went to Flask)

    def _accepts_gzip(self, header: str) -> bool:
        accepted = self._gzip_of.get(header)
        if accepted is None:
            accepted = parse_accept_header(header or None)["gzip"] > 0
            if len(self._gzip_of) < 256:
                self._gzip_of[header] = accepted
        return accepted

    def answer(self, environ: dict) -> tuple[str, list[tuple[str, str]], bytes] | None:
        method = environ["REQUEST_METHOD"]
        if "HTTP_IF_NONE_MATCH" in environ:
            return None  # revalidations: http._answer_revalidation decides
        started = time.perf_counter()
        query_string = environ.get("QUERY_STRING", "")
        shim = SimpleNamespace(query_string=query_string.encode("latin-1"), method=method)
        try:
            query_request = parse_query_request(shim, self.config.max_query_bytes)
        except ProtocolError:
            return None
        if query_request.query is None:
            return None
        accept = environ.get("HTTP_ACCEPT")
        if not (any(query_request.formats) or query_request.download) and query_page._html_preferred(accept or ""):
            return None
        query = query_request.query
        try:
            # A query the screen clears goes to the store unread (it screens it the same
            # way); its form, and so its format, is known once it has run.
            info = None if screen(query) else check_query(query, self.graphs)
            for iri in (*query_request.default_graph_uris, *query_request.named_graph_uris):
                if iri not in self.graphs:
                    return None
            if info is None:  # either form may come back; a format refused for one is settled after the run
                results_format = _negotiated_or_none(accept, False, query_request.formats)
                graph_format = _negotiated_or_none(accept, True, query_request.formats)
                if results_format is None and graph_format is None:
                    return None
            elif info.returns_graph:
                results_format, graph_format = RESULTS_FORMATS[0], negotiate_header(accept, True, query_request.formats)
            else:
                results_format, graph_format = negotiate_header(accept, False, query_request.formats), GRAPH_FORMATS[0]
        except (QueryError, NotAcceptable):  # QueryRefused is a QueryError
            return None
        try:
            outcome = self.store.run(
                query,
                results_media_type=(results_format or RESULTS_FORMATS[0]).media_type,
                graph_media_type=(graph_format or GRAPH_FORMATS[0]).media_type,
                default_graph_uris=query_request.default_graph_uris,
                named_graph_uris=query_request.named_graph_uris,
                timeout=self.config.query_timeout,
                max_results=self.config.max_results,
            )
        except Exception as exc:  # the endpoint answers it (503, 429, 500, 400) as it always has
            environ[RUN_ERROR] = exc
            return None
        result_format = graph_format if outcome.form in GRAPH_FORMS else results_format
        if result_format is None:
            return None  # Accept allows no format of this form: the endpoint answers 406
        environ[FORM_KEY] = outcome.form

        body = outcome.body
        content_type = result_format.content_type
        gzipped = (
            method != "HEAD" and len(body) >= http.GZIP_MIN_BYTES and http.compressible_type(result_format.media_type)
            and self._accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", ""))
        )
        if gzipped:
            body = gzip.compress(body, compresslevel=http.GZIP_LEVEL, mtime=0)
        headers = [("Content-Type", content_type), ("Content-Length", str(len(body))), *self._limits,
                   ("X-Result-Truncated", "true" if outcome.truncated else "false")]
        if outcome.count is not None:
            headers.append(("X-Result-Count", str(outcome.count)))
        if query_request.download:
            headers.append(("Content-Disposition", f'attachment; filename="query-result.{result_format.extension}"'))
        duration_ms = (time.perf_counter() - started) * 1000
        headers.append(("X-Query-Duration-Ms", f"{duration_ms:.1f}"))
        headers += self._policies
        if gzipped:
            headers.append(("Content-Encoding", "gzip"))
        headers.append(self._cache_control)
        etag_parts = [environ.get("PATH_INFO", ""), query_string, accept or "", environ.get("HTTP_ACCEPT_LANGUAGE", "")]
        headers.append(("ETag", http.etag_of(etag_parts, self._version, gzipped)))
        access_log.info(
            '%s "%s %s" %d %s form=%s rows=%s truncated=%s %.1fms',
            environ.get("REMOTE_ADDR") or "-", method, environ.get("PATH_INFO", ""), 200, len(body), outcome.form,
            outcome.count if outcome.count is not None else "-", "true" if outcome.truncated else "false", duration_ms,
        )
        self.built += 1
        return "200 OK", headers, body if method != "HEAD" else b""


def _negotiated_or_none(accept: str | None, returns_graph: bool, formats: tuple[str, ...]):
    try:
        return negotiate_header(accept, returns_graph, formats)
    except NotAcceptable:
        return None
