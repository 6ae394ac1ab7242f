"""Reading a SPARQL 1.1 Protocol query request (https://www.w3.org/TR/sparql11-protocol/#query-operation).

Three ways to send a query, all decoded here into a :class:`QueryRequest`:

- ``GET /sparql?query=...&default-graph-uri=...&named-graph-uri=...``
- ``POST`` with ``Content-Type: application/x-www-form-urlencoded`` and the
  same parameters in the body,
- ``POST`` with ``Content-Type: application/sparql-query``, the query as the
  body and the dataset parameters in the URL.

Parameters are decoded here, not by Werkzeug, because Werkzeug silently
replaces invalid UTF-8 and does not limit sizes per parameter; every problem is
a :class:`ProtocolError` with a status and a message naming the parameter.
The decoding is ``urllib.parse.parse_qsl``'s (strict UTF-8), done by ada
(``ada-url``, the WHATWG URL parser Node.js uses): a percent-encoded query
took ``parse_qsl`` 57-80 us, the largest cost of an uncached request in the web
process, and ada 5 us (benchmarks/REPORT-endpoint.md, "Fourth pass").
``tests/test_protocol_decoding.py`` holds the two to the same answer on
hostile strings.
Updates are refused whichever way they arrive (``update=``,
``application/sparql-update``).

``format`` / ``output`` / ``results`` are not protocol parameters: every value
is kept, in order, for :func:`scograph.sparql.formats.negotiate` to use the
ones it understands (clients such as SPARQLWrapper repeat them).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl

import ada_url
from flask import Request

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
ACCEPTED_CONTENT_TYPES = (FORM, SPARQL_QUERY)
_UTF8_NAMES = ("utf-8", "utf8")
#: Result-format parameters of various servers (Virtuoso, Joseki, Fuseki, ...), none of them standard.
FORMAT_PARAMETERS = ("format", "output", "results")

#: More name=value pairs than this in one query string or form is a 400 (as parse_qsl's max_num_fields).
MAX_FIELDS = 1000
#: A form-encoded query may grow to three times its size by percent-encoding.
FORM_OVERHEAD = 3
FORM_SLACK = 8 * 1024


class ProtocolError(Exception):
    """The request is not a valid SPARQL protocol query request: answered with ``status``."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class UpdateRefused(ProtocolError):
    def __init__(self, how: str):
        super().__init__(403, f"SPARQL Update is not accepted ({how}): this endpoint is read-only")


@dataclass(frozen=True)
class QueryRequest:
    """A decoded query request; ``query`` is None for a GET without a query (service description)."""

    query: str | None
    default_graph_uris: tuple[str, ...] = ()
    named_graph_uris: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()  # every format= / output= / results= value, in order
    download: bool = False  # answer as an attachment (the query page's download links)

    @property
    def has_dataset(self) -> bool:
        return bool(self.default_graph_uris or self.named_graph_uris)


def parse_pairs(text: str) -> list[tuple[str, str]]:
    """``parse_qsl(text, keep_blank_values=True, errors="strict")``, by ada: split at ``&``, then at
    the first ``=``, ``+`` read as a space, percent-decoded, UTF-8 decoded strictly
    (UnicodeDecodeError otherwise); ValueError past :data:`MAX_FIELDS` pairs."""
    if text.count("&") >= MAX_FIELDS:  # parse_qsl counts the same way: one more pair than separators
        raise ValueError("Max number of fields exceeded")
    if text.startswith("?"):
        # The only difference the differential test finds: a URLSearchParams drops a leading "?".
        return parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    return list(ada_url.URLSearchParams(text).items())


def _decode_params(raw: bytes, where: str) -> list[tuple[str, str]]:
    try:
        return parse_pairs(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ProtocolError(400, f"the {where} is not valid UTF-8 (percent-encode the query as UTF-8)") from None
    except ValueError as exc:
        raise ProtocolError(400, f"cannot read the {where}: {exc}") from None


def _check_charset(request: Request) -> None:
    charset = request.mimetype_params.get("charset")
    if charset is not None and charset.strip().lower() not in _UTF8_NAMES:
        raise ProtocolError(415, f"charset={charset} is not supported in Content-Type; send the request in UTF-8")


def _read_body(request: Request, limit: int) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        raise ProtocolError(413, f"the request body is {request.content_length} bytes; the limit is {limit} bytes")
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        raise ProtocolError(413, f"the request body is larger than the limit of {limit} bytes")
    return body


def _single(params: list[tuple[str, str]], name: str) -> str | None:
    values = [v for k, v in params if k == name]
    if len(values) > 1:
        raise ProtocolError(400, f"the {name!r} parameter was given {len(values)} times; give it once")
    return values[0] if values else None


def _all(params: list[tuple[str, str]], name: str) -> tuple[str, ...]:
    values = tuple(v.strip() for k, v in params if k == name)
    for value in values:
        if not value.startswith(("http://", "https://", "urn:")):
            raise ProtocolError(400, f"{name}={value!r} is not an absolute IRI")
    return values


def parse_query_request(request: Request, max_query_bytes: int) -> QueryRequest:
    """Decode ``request`` into a QueryRequest or raise ProtocolError."""
    url_params = _decode_params(request.query_string, "URL query string")
    if any(k == "update" for k, _ in url_params):
        raise UpdateRefused("update parameter")

    if request.method in ("GET", "HEAD"):
        params = url_params
        query = _single(params, "query")
    elif request.method == "POST":
        mimetype = request.mimetype
        if mimetype == SPARQL_UPDATE:
            raise UpdateRefused(f"Content-Type {SPARQL_UPDATE}")
        if mimetype not in ACCEPTED_CONTENT_TYPES:
            shown = mimetype or "none"
            raise ProtocolError(
                415, f"Content-Type {shown} is not accepted for a query; use {FORM} or {SPARQL_QUERY}"
            )
        _check_charset(request)
        if mimetype == FORM:
            body = _read_body(request, FORM_OVERHEAD * max_query_bytes + FORM_SLACK)
            body_params = _decode_params(body, "request body")
            if any(k == "update" for k, _ in body_params):
                raise UpdateRefused("update parameter")
            if _single(url_params, "query") is not None:
                raise ProtocolError(400, "the query was given both in the URL and in the form body; give it once")
            params = body_params + [(k, v) for k, v in url_params if k != "query"]
            query = _single(body_params, "query")
        else:
            if _single(url_params, "query") is not None:
                raise ProtocolError(
                    400, f"with Content-Type {SPARQL_QUERY} the query is the body; do not also pass query= in the URL"
                )
            body = _read_body(request, max_query_bytes)
            try:
                query = body.decode("utf-8")
            except UnicodeDecodeError:
                raise ProtocolError(400, "the query (request body) is not valid UTF-8") from None
            params = url_params
    else:  # routing only lets GET/HEAD/POST through; be explicit anyway
        raise ProtocolError(405, f"method {request.method} is not allowed")

    default_graphs = _all(params, "default-graph-uri")
    named_graphs = _all(params, "named-graph-uri")
    formats = tuple(v for k, v in params if k in FORMAT_PARAMETERS)

    if query is None:
        if request.method == "POST" or default_graphs or named_graphs:
            raise ProtocolError(400, "missing query: pass the SPARQL query in the 'query' parameter")
        return QueryRequest(None, formats=formats)
    size = len(query.encode("utf-8"))
    if size > max_query_bytes:
        raise ProtocolError(413, f"the query is {size} bytes; the limit is {max_query_bytes} bytes")
    if not query.strip():
        raise ProtocolError(400, "the query is empty")
    download = (_single(params, "download") or "").lower() not in ("", "0", "false", "no")
    return QueryRequest(query, default_graphs, named_graphs, formats, download)
