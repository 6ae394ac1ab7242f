"""Dereferencing: every IRI under the base answers, as a page for people and RDF for machines.

URL design (see ``docs/web.md``), with the canonical base mapped onto this host:

- ``/id/{path}`` names a thing (a clause, a state). It answers ``303 See Other``
  to the document about it, in the representation chosen by ``Accept``:
  ``/doc/{path}.html``, ``.ttl``, ``.jsonld``, ``.nt`` or ``.rdf``.
- ``/doc/{path}`` (no extension) negotiates and answers 200 with
  ``Content-Location`` naming the extension URL it chose.
- ``/doc/{path}.{ext}`` is one fixed representation, for people who cannot set headers.
- Every other IRI under the base is itself a document (``/ontology``,
  ``/shapes``, ``/dataset``, ``/graph/data``...): it negotiates in place (200 +
  ``Content-Location``) and has extension URLs too. Hash IRIs
  (``ontology#Clause``) are described by their document (``/ontology``).
- ``/browse`` lists what the dataset holds, searches labels (``?q=``) and shows
  IRIs from elsewhere that the dataset describes (``?iri=``).

``Vary: Accept``, CORS, ETags and 304 come from :mod:`scograph.web.http`.
Unknown IRIs get a 404 page with search suggestions; ``Accept`` that nothing
satisfies gets 406 with the list of what is available.

The modules: :mod:`.views` (the routes and negotiation), :mod:`.pages` and
:mod:`.policy_document` (the HTML), :mod:`.page_parts` (what the pages share),
:mod:`.serialization` (the RDF bytes), :mod:`.listings` (browse and label
search), :mod:`.not_found` (the 404 with suggestions), :mod:`.context` (the
request's store and site).
"""

from scograph.web.resources.context import site
from scograph.web.resources.listings import SEARCH_LIMIT
from scograph.web.resources.policy_document import DIAGRAM_PREDICATES
from scograph.web.resources.serialization import serialize
from scograph.web.resources.views import bp

__all__ = ["DIAGRAM_PREDICATES", "SEARCH_LIMIT", "bp", "serialize", "site"]
