"""Result media types and how a client chooses one.

SELECT and ASK answer in SPARQL Results JSON (default), XML, CSV or TSV;
CONSTRUCT and DESCRIBE in Turtle (default), JSON-LD, N-Triples or RDF/XML.

A client chooses with ``Accept`` (q-values and wildcards honoured by
Werkzeug). A missing ``Accept`` or ``*/*`` gets the default; an ``Accept`` that
nothing satisfies gets 406.

``format`` / ``output`` / ``results`` are not part of the protocol but many
clients send them (a short name such as ``csv``, ``ttl``, ``n3`` or a media
type). SPARQLWrapper sends all three, some twice (``format=tsv&format=text/
tab-separated-values``), and whatever the query form (``format=n3`` for a
SELECT). So: the first value that names a format of this query form wins over
``Accept``; values we do not understand, or that do not fit the query form,
are ignored and ``Accept`` decides, as it would without them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header


@dataclass(frozen=True)
class ResultFormat:
    key: str  # short name for ``format=`` and download file extensions
    media_type: str  # what we answer with
    label: str  # for people (the query page's download links)
    extension: str
    aliases: tuple[str, ...] = ()  # other media types and short names a client may use

    @property
    def content_type(self) -> str:
        textual = self.media_type.startswith("text/") or self.media_type.endswith(("+json", "+xml", "/json", "/n-triples"))
        return f"{self.media_type}; charset=utf-8" if textual else self.media_type


# Order matters: the first format of each list is the default.
RESULTS_FORMATS = (
    ResultFormat("json", "application/sparql-results+json", "SPARQL JSON", "srj", ("application/json", "srj", "sparql-json")),
    ResultFormat("xml", "application/sparql-results+xml", "SPARQL XML", "srx", ("application/xml", "text/xml", "srx", "sparql-xml")),
    ResultFormat("csv", "text/csv", "CSV", "csv"),
    ResultFormat("tsv", "text/tab-separated-values", "TSV", "tsv"),
)
# Turtle is N3 without N3's extensions, so a client asking for N3 (rdflib sends
# ``text/n3``, SPARQLWrapper ``format=n3``) can read it; N-Triples is the RDF
# format rdflib asks for as ``text/plain``.
GRAPH_FORMATS = (
    ResultFormat(
        "turtle", "text/turtle", "Turtle", "ttl",
        ("application/x-turtle", "application/turtle", "text/n3", "text/rdf+n3", "application/n3", "ttl", "n3"),
    ),
    ResultFormat("jsonld", "application/ld+json", "JSON-LD", "jsonld", ("application/json", "application/x-json+ld", "json-ld", "json")),
    ResultFormat("ntriples", "application/n-triples", "N-Triples", "nt", ("text/plain", "nt", "n-triples")),
    ResultFormat("rdfxml", "application/rdf+xml", "RDF/XML", "rdf", ("application/xml", "text/xml", "rdf", "rdf+xml", "xml")),
)
# ``format=json``/``format=xml`` mean SPARQL JSON/XML for SELECT, JSON-LD/RDF-XML for CONSTRUCT.


class NotAcceptable(Exception):
    """No result format satisfies the request; ``str()`` says what is available."""


def _candidates(formats: tuple[ResultFormat, ...]) -> tuple[list[str], dict[str, ResultFormat]]:
    names: list[str] = []
    by_name: dict[str, ResultFormat] = {}
    for fmt in formats:
        for name in (fmt.media_type, *(a for a in fmt.aliases if "/" in a)):
            if name not in by_name:
                names.append(name)
                by_name[name] = fmt
    return names, by_name


_RESULTS_CANDIDATES = _candidates(RESULTS_FORMATS)
_GRAPH_CANDIDATES = _candidates(GRAPH_FORMATS)


def formats_for(returns_graph: bool) -> tuple[ResultFormat, ...]:
    return GRAPH_FORMATS if returns_graph else RESULTS_FORMATS


def by_format_parameter(value: str, returns_graph: bool) -> ResultFormat | None:
    """The format a ``format=`` value names for this query form, or None."""
    wanted = value.strip().lower().split(";")[0].strip()
    if not wanted:
        return None
    formats = formats_for(returns_graph)
    for fmt in formats:
        if wanted in (fmt.key, fmt.media_type, fmt.extension, *fmt.aliases):
            return fmt
    if not returns_graph and wanted in ("json-ld", "jsonld"):
        return formats[0]  # a generic "JSON please" from a tool that does not know the query form
    return None


def negotiate(
    accept: MIMEAccept, returns_graph: bool, format_parameters: str | Sequence[str] | None = ()
) -> ResultFormat:
    """The result format for a query form: the first understood ``format=`` value, else ``Accept``."""
    if isinstance(format_parameters, str):
        format_parameters = (format_parameters,)
    for value in format_parameters or ():
        chosen = by_format_parameter(value, returns_graph)
        if chosen is not None:
            return chosen
    formats = formats_for(returns_graph)
    if not accept:  # no Accept header: the default
        return formats[0]
    names, by_name = _GRAPH_CANDIDATES if returns_graph else _RESULTS_CANDIDATES
    best = accept.best_match(names)
    if best is None:
        kind = "CONSTRUCT/DESCRIBE" if returns_graph else "SELECT/ASK"
        raise NotAcceptable(
            f"none of the accepted media types ({accept.to_header()}) is available for {kind} results; "
            "available: " + ", ".join(f.media_type for f in formats)
        )
    return by_name[best]


def negotiate_header(accept_header: str | None, returns_graph: bool, format_parameters: Sequence[str] = ()) -> ResultFormat:
    """:func:`negotiate` for the raw ``Accept`` header, remembered: clients send a handful of
    distinct headers, and parsing and matching one took longer than the rest of a cached answer."""
    chosen = _negotiated(accept_header or "", returns_graph, tuple(format_parameters))
    if isinstance(chosen, str):
        raise NotAcceptable(chosen)
    return chosen


@lru_cache(maxsize=256)
def _negotiated(accept_header: str, returns_graph: bool, format_parameters: tuple[str, ...]) -> ResultFormat | str:
    try:
        return negotiate(parse_accept_header(accept_header, MIMEAccept), returns_graph, format_parameters)
    except NotAcceptable as exc:
        return str(exc)
