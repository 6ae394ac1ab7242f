"""Which export files a release holds, and what its description says about them.

:func:`export_files` plans the files (name, media type, a function making the
bytes) from the documents read out of the validated graph; ``scograph build``
writes them next to the dumps and lists them in the manifest, ``SHA256SUMS``
and ``void.ttl``. :func:`export_description_triples` adds them to the
description graph as DCAT distributions of the dataset.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyoxigraph as ox

from scograph.exports import aligned, citations
from scograph.exports.model import Document
from scograph.description import media_type_triples
from scograph.namespaces import DCAT, DCTERMS, RDF, RDFS

_N = ox.NamedNode


@dataclass(frozen=True)
class ExportFile:
    name: str
    media_type: str
    description: str
    content: Callable[[], bytes]


def export_files(documents: list[Document], base: str, version: str) -> list[ExportFile]:
    files = [
        ExportFile("scograph-aligned.tmx", "application/x-tmx+xml", "Clause-aligned zh-en text, TMX 1.4", lambda: aligned.tmx(documents)),
        ExportFile("scograph-aligned.csv", "text/csv; charset=utf-8", "Clause-aligned zh-en text, CSV", lambda: aligned.csv_bytes(documents)),
        ExportFile("scograph-aligned.jsonl", "application/jsonl", "Clause-aligned zh-en text, JSON Lines", lambda: aligned.jsonl(documents)),
    ]
    cites = [c for doc in documents for c in citations.citations(doc, version)]
    for fmt, (media_type, write, extension) in citations.FORMATS.items():
        label = {"csl": "CSL-JSON", "bib": "BibTeX", "ris": "RIS"}[fmt]
        files.append(
            ExportFile(f"scograph-citations.{extension}", media_type, f"Citations of every document and clause, one per language version, {label}", lambda write=write: write(cites))
        )
    return files


def export_description_triples(files: list[ExportFile], base: str) -> list[ox.Triple]:
    """Each export file as a ``dcat:Distribution`` of the dataset (sizes and sums are added in void.ttl)."""
    dataset = _N(base + "dataset")
    t = ox.Triple
    out: list[ox.Triple] = []
    for f in files:
        dist = _N(f"{base}dataset/distribution/{f.name}")
        download = _N(f"{base}download/{f.name}")
        out += [
            t(dataset, _N(str(DCAT.distribution)), dist),
            t(dist, _N(str(RDF.type)), _N(str(DCAT.Distribution))),
            t(dist, _N(str(DCTERMS.title)), ox.Literal(f.description, language="en")),
            t(dist, _N(str(DCAT.downloadURL)), download),
            t(dist, _N(str(DCAT.accessURL)), download),
            t(dist, _N(str(RDFS.comment)), ox.Literal("Generated from the validated data graph of this release.", language="en")),
        ]
        out += media_type_triples(dist, f.media_type)
    return out
