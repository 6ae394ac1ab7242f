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

from scograph.exports import akn, aligned, citations, examples_rdf
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
    files.append(
        ExportFile(
            examples_rdf.FILE_NAME,
            "text/turtle",
            "The example queries as SHACL SPARQL executables (labels and comments in en and zh), as at /.well-known/sparql-examples",
            lambda: examples_rdf.examples_turtle(base),
        )
    )
    cites = [c for doc in documents for c in citations.citations(doc, version)]
    for fmt, (media_type, write, extension) in citations.FORMATS.items():
        label = {"csl": "CSL-JSON", "bib": "BibTeX", "ris": "RIS"}[fmt]
        files.append(
            ExportFile(f"scograph-citations.{extension}", media_type, f"Citations of every document and clause, one per language version, {label}", lambda write=write: write(cites))
        )
    for doc in documents:
        # The file with both versions orders them as the source text does (Chinese first), as the aligned files do.
        both = sorted(doc.expressions, key=lambda lang: (aligned.LANGUAGES.index(lang) if lang in aligned.LANGUAGES else 99, lang))
        versions = [[lang] for lang in doc.expressions] + ([both] if len(both) > 1 else [])
        for langs in versions:
            code = doc.expressions[langs[0]][1] if len(langs) == 1 else akn.MULTILINGUAL
            which = doc.expressions[langs[0]][1] if len(langs) == 1 else "all language versions in one file"
            files.append(
                ExportFile(
                    akn.file_name(doc, code),
                    "application/xml",
                    f"Akoma Ntoso 3.0 of {doc.slug} ({which})",
                    lambda doc=doc, langs=langs: akn.akn_document(doc, base, langs),
                )
            )
    return files


def akn_link_triples(documents: list[Document], base: str) -> list[ox.Triple]:
    """Each clause -> its Akoma Ntoso element (``rdfs:seeAlso``), which is part of a downloadable file.

    The element's IRI is an AKN portion IRI (``.../eng@/!main~para_3``); ``/akn/...``
    answers 303 to the file holding it.
    """
    t = ox.Triple
    out: list[ox.Triple] = []
    for doc in documents:
        iris = akn.akn_iris(doc, base)
        codes = {code: lang for lang, (_expr, code) in doc.expressions.items()}
        for code, lang in codes.items():
            download = _N(f"{base}download/{akn.file_name(doc, code)}")
            out += [
                t(_N(iris.expression(code)), _N(str(RDFS.seeAlso)), download),
                t(_N(iris.manifestation(code)), _N(str(RDFS.seeAlso)), download),
                t(_N(doc.expressions[lang][0]), _N(str(RDFS.seeAlso)), _N(iris.expression(code))),
            ]
        for clause, lang, portion in akn.element_links(doc, base):
            code = doc.expressions[lang][1]
            out += [
                t(_N(clause), _N(str(RDFS.seeAlso)), _N(portion)),
                t(_N(portion), _N(str(DCTERMS.isPartOf)), _N(f"{base}download/{akn.file_name(doc, code)}")),
                t(_N(portion), _N(str(DCTERMS.identifier)), ox.Literal(portion.rsplit("~", 1)[-1])),
                t(_N(portion), _N(str(DCTERMS.language)), ox.Literal(lang)),
            ]
    return out


def export_description_triples(files: list[ExportFile], base: str) -> list[ox.Triple]:
    """Each export file as a ``dcat:Distribution`` of the dataset (sizes and sums are added in void.ttl)."""
    dataset = _N(base + "dataset")
    t = ox.Triple
    out: list[ox.Triple] = []
    for f in files:
        if f.name.startswith("akn-"):
            out.append(t(_N(f"{base}dataset/distribution/{f.name}"), _N(str(DCTERMS.conformsTo)), _N(akn.AKN_NS)))
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
