"""The store and site of the current request, shared by every part of dereferencing.

Separate so that the routes, the pages and the searches can all reach them
without importing one another.
"""

from __future__ import annotations

import re

from flask import current_app

from scograph.store.base import Store
from scograph.web import origin
from scograph.web.presentation import Site


def current_store() -> Store:
    return current_app.extensions["scograph.store"]


def site() -> Site:
    return Site(base=current_store().base_iri, root=origin.link_root(), public=origin.public_root())


def scog_term(term: str) -> str:
    """The IRI of a term of scograph's own ontology (``position``, ``PolicyDocument``...)."""
    return f"{current_store().base_iri}ontology#{term}"


def safe_iri(iri: str) -> bool:
    """Whether ``iri`` can be written between ``<...>`` in a query without escaping."""
    return not re.search(r'[<>"{}|^`\\\s]', iri)
