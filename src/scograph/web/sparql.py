"""``/sparql``: the SPARQL 1.1 Protocol endpoint, its query page, ``/healthz``, and refusals of updates.

A query request goes through, in order:

1. :func:`scograph.sparql.protocol.parse_query_request`: GET / POST form /
   POST query, sizes, charset, updates refused (400, 403, 413, 415);
2. :func:`scograph.sparql.guard.check_query`: no update, SERVICE, LOAD or
   remote FROM (403), and the query form;
3. :func:`scograph.sparql.formats.negotiate`: ``format=`` or ``Accept`` (406);
4. :meth:`Store.run`: bounded in time (503), in concurrency (429) and in
   result size, rows and bytes (``X-Result-Truncated``, ``X-Result-Limit``,
   ``X-Result-Byte-Limit``, ``X-Result-Count``).

The whole result is buffered before the status is sent, so a query stopped by
its time limit is always a clean 503, never a 200 cut short.

``GET /sparql`` without a query answers the query page to browsers and the
SPARQL Service Description (Turtle) to everyone else. Each request to
``/sparql`` writes one line to the ``scograph.access`` log with its duration.
"""

from __future__ import annotations

import logging
import time

from flask import Blueprint, Response, current_app, g, render_template, request
from markupsafe import Markup

from scograph.sparql.formats import GRAPH_FORMATS, RESULTS_FORMATS, NotAcceptable, negotiate_header
from scograph.sparql.guard import check_query
from scograph.sparql.protocol import ProtocolError, parse_query_request
from scograph.sparql.service_description import service_description
from scograph.store.base import (
    QueryError,
    QueryRefused,
    ResultTooLarge,
    Store,
    StoreBusy,
    StoreUnavailable,
)
from scograph.web import fast_path, first_answer, i18n, origin, query_page, store_errors
from scograph.web.http import error_response

bp = Blueprint("sparql", __name__)
access_log = logging.getLogger("scograph.access")

#: Paths where other servers accept SPARQL Update or Graph Store writes; here they only say no.
UPDATE_PATHS = ("/update", "/sparql/update", "/sparql-update", "/statements", "/sparql/statements", "/sparql/graph", "/rdf-graph-store")
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"]


def _store() -> Store:
    return current_app.extensions["scograph.store"]


def _config():
    return current_app.extensions["scograph.config"]


def _graphs(store: Store) -> frozenset[str]:
    """The graph IRIs FROM / default-graph-uri / named-graph-uri may name."""
    graphs = getattr(store, "graph_iris", None)
    if graphs is not None:
        return frozenset(graphs)
    cached = current_app.extensions.get("scograph.sparql.graphs")
    if cached is None:  # a store that does not know its graphs (remote): ask it once
        rows = store.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")
        cached = frozenset(str(row["g"]) for row in rows)
        current_app.extensions["scograph.sparql.graphs"] = cached
    return cached


def _graph_sizes(store: Store) -> dict[str, int]:
    release = getattr(store, "release", None)
    if release is not None:
        return release.graphs
    return {graph: 0 for graph in _graphs(store)}


# -- access log ------------------------------------------------------------------------


@bp.before_request
def _start_clock() -> None:
    g.sparql_started = time.perf_counter()


@bp.after_request
def _log_access(response: Response) -> Response:
    started = g.get("sparql_started")
    if started is not None and request.endpoint == "sparql.endpoint":
        duration_ms = (time.perf_counter() - started) * 1000
        response.headers["X-Query-Duration-Ms"] = f"{duration_ms:.1f}"
        access_log.info(
            '%s "%s %s" %d %s form=%s rows=%s truncated=%s %.1fms',
            request.remote_addr or "-",
            request.method,
            request.path,
            response.status_code,
            response.content_length if response.content_length is not None else "-",
            g.get("sparql_form", "-"),
            response.headers.get("X-Result-Count", "-"),
            response.headers.get("X-Result-Truncated", "-"),
            duration_ms,
        )
    return response


# -- the endpoint ----------------------------------------------------------------------


def _refuse(status: int, message: str, retry_after: str | None = None) -> Response:
    headers = [("Retry-After", retry_after)] if retry_after else []
    return error_response(status, _TITLES.get(status, "Error"), message, headers)


_TITLES = {
    400: "Bad Request",
    403: "Forbidden",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response:
    config = _config()
    store = _store()
    try:
        query_request = parse_query_request(request, config.max_query_bytes)
    except ProtocolError as exc:
        return _refuse(exc.status, exc.message)
    if query_request.query is None:
        return _describe_service(store)

    graphs = _graphs(store)
    if query_page.wants_page(query_request):
        # A shared query link opened in a browser: the page, the query in the editor, its results.
        result = query_page.run_for_page(store, config, query_request, graphs)
        return Response(_query_page(store, result), status=result.status, content_type="text/html; charset=utf-8")
    try:
        info = check_query(query_request.query, graphs)
        g.sparql_form = info.form
        request.environ[fast_path.FORM_KEY] = info.form  # for the access-log line of a replayed answer
        for name, iris in (("default-graph-uri", query_request.default_graph_uris), ("named-graph-uri", query_request.named_graph_uris)):
            for iri in iris:
                if iri not in graphs:
                    raise QueryRefused(
                        f"{name}=<{iri}> is not a graph of this dataset; this endpoint never fetches remote data"
                    )
        result_format = negotiate_header(request.headers.get("Accept"), info.returns_graph, query_request.formats)
    except NotAcceptable as exc:
        return _refuse(406, str(exc))
    except QueryRefused as exc:
        return _refuse(403, str(exc))
    except QueryError as exc:
        return _refuse(400, str(exc))

    try:
        failed = request.environ.pop(first_answer.RUN_ERROR, None)
        if failed is not None:  # the query already ran, before Flask (first_answer), and failed so
            raise failed
        outcome = store.run(
            query_request.query,
            results_media_type=result_format.media_type if not info.returns_graph else RESULTS_FORMATS[0].media_type,
            graph_media_type=result_format.media_type if info.returns_graph else GRAPH_FORMATS[0].media_type,
            default_graph_uris=query_request.default_graph_uris,
            named_graph_uris=query_request.named_graph_uris,
            timeout=config.query_timeout,
            max_results=config.max_results,
        )
    except store_errors.HANDLED as exc:
        status, retry_after = store_errors.status_of(exc)
        plain = isinstance(exc, (QueryRefused, ResultTooLarge)) or not isinstance(exc, QueryError)
        return _refuse(status, str(exc) if plain else f"malformed query: {exc}", retry_after)

    response = Response(outcome.body, status=200, content_type=result_format.content_type)
    response.headers["X-Result-Limit"] = str(config.max_results)
    response.headers["X-Result-Byte-Limit"] = str(config.max_result_bytes)
    response.headers["X-Result-Truncated"] = "true" if outcome.truncated else "false"
    if outcome.count is not None:
        response.headers["X-Result-Count"] = str(outcome.count)
    if query_request.download:
        response.headers["Content-Disposition"] = f'attachment; filename="query-result.{result_format.extension}"'
    return response


def _wants_page() -> bool:
    """A browser (HTML preferred over Turtle) gets the query page; anyone else the description."""
    accept = request.accept_mimetypes
    return accept.quality("text/html") > accept.quality("text/turtle")


def _describe_service(store: Store) -> Response:
    if _wants_page():
        return Response(_query_page(store), content_type="text/html; charset=utf-8")
    config = _config()
    limits = (
        f"Limits: {config.query_timeout:g} s per query, {config.max_results} rows or triples per result "
        f"and {config.max_result_bytes} bytes per answer (X-Result-Truncated says when a result was cut), "
        f"{config.max_query_bytes} bytes per query, "
        f"{config.max_concurrent_queries} queries at once (429 beyond)."
    )
    # sd:endpoint is absolute: the public URL, never the request's Host (see scograph.web.origin).
    body = service_description(origin.public_root() + "sparql", _graph_sizes(store), store.base_iri + "dataset", limits)
    return Response(body, content_type="text/turtle; charset=utf-8")


def _query_page(store: Store, result: query_page.PageResult | None = None) -> str:
    from scograph.examples import example_queries

    return render_template(
        "sparql.html",
        result=result,
        script_messages=i18n.script_messages(),
        results_keys=Markup(", ").join(Markup("<code>{}</code>").format(f.key) for f in RESULTS_FORMATS),
        graph_keys=Markup(", ").join(Markup("<code>{}</code>").format(f.key) for f in GRAPH_FORMATS),
        examples=example_queries(),
        base_iri=store.base_iri,
        release_version=store.version,
        config=_config(),
        results_formats=RESULTS_FORMATS,
        graph_formats=GRAPH_FORMATS,
    )


# -- refusals and health -----------------------------------------------------------------


def _read_only() -> Response:
    return _refuse(403, "this server is read-only: SPARQL Update and graph writes are not accepted; query /sparql instead")


for _path in UPDATE_PATHS:
    bp.add_url_rule(_path, f"read_only{_path.replace('/', '_').replace('-', '_')}", _read_only, methods=ALL_METHODS)


#: Seconds /healthz gives a real query (waiting for a worker included) before it answers 503.
HEALTH_DEADLINE = 5.0


@bp.route("/healthz")
def healthz() -> Response:
    """Liveness and readiness: a real read of the store through a worker, never the result cache.

    200 ``ok``; 200 ``busy`` when every worker is taken (alive, just saturated: a
    load balancer should not restart us); 503 ``error`` with the reason when the
    store cannot be read or no worker can start."""
    store = _store()
    status_of = getattr(store, "status", None)
    body: dict = {}
    try:
        body["release"] = store.version
        store.check(HEALTH_DEADLINE)
        body["status"] = "ok"
        code = 200
    except StoreUnavailable as exc:
        body["status"] = "error"
        body["error"] = str(exc)
        code = 503
    except StoreBusy:
        body["status"] = "busy"
        code = 200
    except Exception as exc:  # report, do not crash: health checks must always answer
        body["status"] = "error"
        body["error"] = f"{type(exc).__name__}: {exc}"
        code = 503
    if status_of is not None:
        try:
            body["queries"] = status_of()
        except Exception as exc:  # a remote store that went away
            body["queries"] = {"error": f"{type(exc).__name__}: {exc}"}
    response = current_app.response_class(current_app.json.dumps(body) + "\n", status=code, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response
