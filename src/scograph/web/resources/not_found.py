"""The 404 answer for an IRI the dataset says nothing about, with search suggestions for people.

Separate because guessing what was meant (words of the path searched as
labels) is its own small job, shared by every route that resolves an IRI.
"""

from __future__ import annotations

import re

from flask import Response, render_template, request

from scograph.web import origin
from scograph.web.negotiation import HTML, negotiate
from scograph.web.resources.context import site
from scograph.web.resources.listings import search_labels


def not_found(iri: str) -> Response:
    words = [w for w in re.split(r"[/#\-_.]+", iri.rsplit("/id/", 1)[-1]) if len(w) > 2 and not w.isdigit()]
    hits = search_labels(" ".join(words[-2:])) if words else []
    if not hits and words:
        hits = search_labels(words[-1])
    html = render_template("not_found.html", site=site(), iri=iri, hits=_distinct_names(hits)[:12], query=" ".join(words[-2:]))
    if HTML is negotiate(request.headers.get("Accept")) or request.accept_mimetypes.accept_html:
        return Response(html, status=404, content_type=HTML.content_type)
    return Response(
        f"404 Not Found: the dataset says nothing about <{iri}>.\nTry the SPARQL endpoint at {origin.public_root()}sparql\n",
        status=404,
        content_type="text/plain; charset=utf-8",
    )


def _distinct_names(hits: list[dict]) -> list[dict]:
    """Search hits with one entry per name, ignoring case ("policy document" = "Policy document")."""
    seen: set[str] = set()
    distinct = []
    for hit in hits:
        name = hit["label"].text.casefold().strip()
        if name not in seen:
            seen.add(name)
            distinct.append(hit)
    return distinct
