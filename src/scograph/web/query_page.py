"""A shared query link opened in a browser: the query page with the query in the editor and its results.

``/sparql?query=…`` is how researchers share a query (as with YASGUI). A
browser (``Accept`` prefers ``text/html`` to every SPARQL result type) gets the
query page with the query, run on the server and rendered as a table, so the
link works without JavaScript and the URL stays the link. Programs keep
getting SPARQL results: this module is only used when a page is wanted.

The query goes through the same guard and limits as the endpoint (time,
rows, concurrency); a refusal or an error is shown on the page with the
status the endpoint would have answered.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlencode

from flask import request
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from scograph.sparql.formats import GRAPH_FORMATS, RESULTS_FORMATS
from scograph.sparql.guard import check_query
from scograph.sparql.protocol import QueryRequest
from scograph.store.base import Store
from scograph.web import i18n, origin, store_errors

#: Longest query whose page link is offered as a ``GET`` URL (longer ones exceed common URL limits).
MAX_LINK_QUERY_CHARS = 3000


def wants_page(query_request: QueryRequest) -> bool:
    """A browser asking for a query without choosing a format: show the page, not the raw result."""
    if any(query_request.formats) or query_request.download:
        return False
    return _html_preferred(request.headers.get("Accept") or "")


@lru_cache(maxsize=256)
def _html_preferred(accept_header: str) -> bool:
    """Whether ``Accept`` prefers HTML to every result format (remembered per distinct header)."""
    accept = parse_accept_header(accept_header, MIMEAccept)
    html = accept.quality("text/html")
    others = [f.media_type for f in (*RESULTS_FORMATS, *GRAPH_FORMATS)]
    return html > 0 and html > max(accept.quality(media_type) for media_type in others)


@dataclass
class PageError:
    status: int
    message: str


@dataclass
class PageResult:
    """What the page shows for one query: a table, a yes/no, Turtle, or an error."""

    query: str
    kind: str = "select"  # "select", "ask" or "graph"
    vars: list[str] = field(default_factory=list)
    rows: list[list[dict | None]] = field(default_factory=list)
    boolean: bool | None = None
    turtle: str = ""
    summary: str = ""
    share_url: str | None = None
    error: PageError | None = None

    @property
    def status(self) -> int:
        return self.error.status if self.error else 200


def share_url(query: str) -> str | None:
    """The ``GET`` link to this query (in the reader's language), or None when too long for a URL."""
    if len(query) > MAX_LINK_QUERY_CHARS:
        return None
    # Absolute, since it is made to be copied elsewhere; from the public root, never from Host.
    return i18n.with_language(origin.public_root() + "sparql?" + urlencode({"query": query}))


def run_for_page(store: Store, config, query_request: QueryRequest, graphs: frozenset[str]) -> PageResult:
    """Run ``query_request`` for the page, with the endpoint's guard, limits and error statuses."""
    query = query_request.query or ""
    result = PageResult(query=query, share_url=share_url(query))
    started = time.perf_counter()
    try:
        info = check_query(query, graphs)
        outcome = store.run(
            query,
            results_media_type=RESULTS_FORMATS[0].media_type,  # SPARQL JSON
            graph_media_type=GRAPH_FORMATS[0].media_type,  # Turtle
            default_graph_uris=query_request.default_graph_uris,
            named_graph_uris=query_request.named_graph_uris,
            timeout=config.query_timeout,
            max_results=config.max_results,
        )
    except store_errors.HANDLED as exc:  # the statuses the endpoint would give
        result.error = PageError(store_errors.status_of(exc)[0], str(exc))
        return result
    ms = round((time.perf_counter() - started) * 1000)
    if info.returns_graph:
        result.kind = "graph"
        result.turtle = outcome.body.decode("utf-8")
        result.summary = i18n.text("sparql.summary_triples", count=outcome.count if outcome.count is not None else "?", ms=ms)
    else:
        data = json.loads(outcome.body)
        if "boolean" in data:
            result.kind = "ask"
            result.boolean = bool(data["boolean"])
            result.summary = i18n.text("sparql.summary_ask", ms=ms)
        else:
            result.vars = list(data["head"].get("vars", []))
            result.rows = [[_cell(store, binding.get(name)) for name in result.vars] for binding in data["results"]["bindings"]]
            result.summary = i18n.text("sparql.summary_rows", count=len(result.rows), ms=ms)
    if outcome.truncated:
        result.summary += i18n.text("sparql.summary_cut", limit=config.max_results)
    return result


def _cell(store: Store, term: dict | None) -> dict | None:
    """One SPARQL JSON term, ready for the template (which escapes every value)."""
    if term is None:
        return None
    kind = term.get("type")
    value = term.get("value", "")
    if kind == "uri":
        local = value.startswith(store.base_iri)
        href = origin.link_root() + value[len(store.base_iri) :] if local else value
        return {"kind": "uri", "value": value, "href": i18n.with_language(href) if local else href, "external": not local}
    if kind == "bnode":
        return {"kind": "bnode", "value": value}
    if kind == "triple":
        parts = [term["value"][k].get("value", "") for k in ("subject", "predicate", "object")]
        return {"kind": "literal", "value": "<< " + " ".join(parts) + " >>", "lang": None, "datatype": None}
    return {"kind": "literal", "value": value, "lang": term.get("xml:lang"), "datatype": term.get("datatype")}
