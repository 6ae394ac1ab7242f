"""Content negotiation for resource descriptions: which representation a client gets.

A resource has one HTML page and four RDF serializations. A client chooses
with ``Accept`` (q-values and wildcards honoured, parsed by Werkzeug) or,
when it cannot set headers, with a file extension on the document URL
(``/doc/state/chn.ttl``). ``*/*`` gets HTML: a browser or a curious human is
the likeliest caller that does not say what it wants.
"""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header


@dataclass(frozen=True)
class Representation:
    """One way of writing a resource description."""

    extension: str  # without the dot; also the key used in URLs
    media_type: str  # the type we answer with
    rdflib_format: str | None  # None for HTML
    aliases: tuple[str, ...] = ()  # other media types a client may ask for

    @property
    def is_rdf(self) -> bool:
        return self.rdflib_format is not None

    @property
    def content_type(self) -> str:
        # Turtle, N-Triples, JSON-LD and HTML are UTF-8 by definition or by our choice; say so.
        return self.media_type if self.media_type == "application/rdf+xml" else f"{self.media_type}; charset=utf-8"


HTML = Representation("html", "text/html", None, ("application/xhtml+xml",))
# rdflib's Graph.parse(url) asks for N3 as ``text/n3`` and for N-Triples as ``text/plain``
# (each with ``*/*;q=0.1``): Turtle is N3 without N3's extensions.
TURTLE = Representation("ttl", "text/turtle", "turtle", ("application/x-turtle", "text/n3", "text/rdf+n3"))
JSON_LD = Representation("jsonld", "application/ld+json", "json-ld", ("application/json",))
N_TRIPLES = Representation("nt", "application/n-triples", "nt", ("text/plain",))
RDF_XML = Representation("rdf", "application/rdf+xml", "xml", ("application/xml", "text/xml"))

#: Order matters: on equal quality the first listed wins (HTML, then Turtle).
REPRESENTATIONS: tuple[Representation, ...] = (HTML, TURTLE, JSON_LD, N_TRIPLES, RDF_XML)
RDF_REPRESENTATIONS: tuple[Representation, ...] = tuple(r for r in REPRESENTATIONS if r.is_rdf)
BY_EXTENSION: dict[str, Representation] = {r.extension: r for r in REPRESENTATIONS}

# Citations of a document or clause (scograph.web.citations): offered only where there is something to cite.
CSL_JSON = Representation("csl.json", "application/vnd.citationstyles.csl+json", None)
BIBTEX = Representation("bib", "application/x-bibtex", None)
RIS = Representation("ris", "application/x-research-info-systems", None)
CITATIONS: tuple[Representation, ...] = (CSL_JSON, BIBTEX, RIS)


def _offers(candidates: tuple[Representation, ...]) -> list[tuple[str, Representation]]:
    return [(media_type, r) for r in candidates for media_type in (r.media_type, *r.aliases)]


def negotiate(accept_header: str | None, candidates: tuple[Representation, ...] = REPRESENTATIONS) -> Representation | None:
    """The best representation for an ``Accept`` header, or ``None`` when nothing is acceptable (406).

    A missing or empty header means "anything", as RFC 9110 says.
    """
    if not accept_header or not accept_header.strip():
        return candidates[0]
    accept = parse_accept_header(accept_header, MIMEAccept)
    offers = _offers(candidates)
    best = accept.best_match([media_type for media_type, _ in offers])
    if best is None:
        return None
    return next(r for media_type, r in offers if media_type == best)


def split_extension(path: str) -> tuple[str, Representation | None]:
    """``"state/chn.ttl"`` -> ``("state/chn", TURTLE)``; a path without a known extension is returned whole."""
    for citation in CITATIONS:  # first: ".csl.json" has a dot of its own
        if path.endswith("." + citation.extension) and len(path) > len(citation.extension) + 1:
            return path[: -len(citation.extension) - 1], citation
    stem, dot, extension = path.rpartition(".")
    if dot and "/" not in extension and extension in BY_EXTENSION:
        return stem, BY_EXTENSION[extension]
    return path, None


def acceptable_list(candidates: tuple[Representation, ...] = REPRESENTATIONS) -> str:
    """Human-readable list of what we can serve, for 406 bodies."""
    return "\n".join(f"  {r.media_type:24} (or the .{r.extension} URL)" for r in candidates)
