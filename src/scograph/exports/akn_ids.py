"""Identifiers of the Akoma Ntoso exports: FRBR IRIs, file names and element ids (``eId``).

``eid`` computes an element's ``eId`` from the key of the clause IRI and
``key_from_eid`` goes back; docs/uri-policy.md ("Akoma Ntoso IRIs") has the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scograph.exports.model import Document, Part

#: The multilingual expression's language code (ISO 639-2 "multiple languages").
MULTILINGUAL = "mul"


def clause_key(doc: Document, part: Part) -> str:
    """``op-1/item/2`` for ``.../green-development-initiative/clause/op-1/item/2``."""
    prefix = doc.iri + "/clause/"
    return part.iri[len(prefix) :] if part.iri.startswith(prefix) else part.iri.rsplit("/", 1)[-1]


def eid(key: str, type_name: str = "") -> str:
    """The AKN ``eId`` of a clause, from the key of its IRI (see docs/uri-policy.md).

    ``op-3`` -> ``para_3``; ``op-1/item/2`` -> ``para_1__list_1__item_2``;
    ``pre-2`` -> ``recitals__recital_2``; ``chapeau`` -> ``formula_chapeau``;
    any other key -> ``container_{key}``.
    """
    if m := re.fullmatch(r"op-(\d+)/item/(\d+)", key):
        return f"para_{m[1]}__list_1__item_{m[2]}"
    if m := re.fullmatch(r"op-(\d+)", key):
        return f"para_{m[1]}"
    if m := re.fullmatch(r"pre-(\d+)", key):
        return f"recitals__recital_{m[1]}"
    if type_name == "Chapeau":
        return f"formula_{key}"
    return f"container_{key}"


def key_from_eid(value: str) -> str:
    """The inverse of :func:`eid`: the clause key (after ``/clause/`` in its IRI)."""
    if m := re.fullmatch(r"para_(\d+)__list_1__item_(\d+)", value):
        return f"op-{m[1]}/item/{m[2]}"
    if m := re.fullmatch(r"para_(\d+)", value):
        return f"op-{m[1]}"
    if m := re.fullmatch(r"recitals__recital_(\d+)", value):
        return f"pre-{m[1]}"
    return value.split("_", 1)[1]


def tlc_eid(referent_iri: str) -> str:
    """``.../id/organization/sco`` -> ``organization-sco`` (eIds are NCNames)."""
    local = referent_iri.split("/id/", 1)[-1]
    return re.sub(r"[^A-Za-z0-9_.-]", "-", local)


@dataclass(frozen=True)
class AknIris:
    """FRBR IRIs of one document (AKN Naming Convention, AKN4UN's use of it)."""

    work: str

    def expression(self, code: str) -> str:
        return f"{self.work}/{code}@"

    def manifestation(self, code: str) -> str:
        return f"{self.expression(code)}/!main.xml"

    def portion(self, code: str, element_id: str) -> str:
        return f"{self.expression(code)}/!main~{element_id}"


def akn_iris(doc: Document, base: str) -> AknIris:
    """``{base}akn/sco/statement/initiative/{author}/{date}/{slug}``: jurisdiction ``sco`` (as AKN4UN uses ``un``)."""
    author = (doc.creator or "unknown").rstrip("/").rsplit("/", 1)[-1]
    return AknIris(f"{base}akn/sco/statement/{subtype(doc)}/{author}/{doc.date or 'undated'}/{doc.slug}")


def subtype(doc: Document) -> str:
    """AKN subtype of a document: every scograph document so far is an initiative."""
    return "initiative"


def file_name(doc: Document, code: str) -> str:
    return f"akn-{doc.slug}-{code}.xml"
