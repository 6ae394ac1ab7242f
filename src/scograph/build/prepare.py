"""What the validate phase prepares beside the workers: the release's canonical quads, its
description graph, and the export files read from the data."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from scograph import dumps
from scograph.build.failures import BuildError
from scograph.build.inputs import LoadedSources
from scograph.config import Settings
from scograph.description import SourceChecksum, description_triples, provenance_triples
from scograph.exports.files import ExportFile, akn_link_triples, export_description_triples, export_files
from scograph.exports.model import load_documents, oxigraph_select
from scograph.namespaces import graph_iri


@dataclass(frozen=True)
class WrittenExport:
    """An export file already in the staging directory, as the manifest will list it."""

    entry: dumps.FileEntry
    media_type: str
    description: str


@dataclass
class PreparedRelease:
    """What the validate phase makes beside the workers: everything the writing phases need
    but the parsed sources and the documents (freed before the dumps)."""

    quads: dumps.CanonicalQuads
    description_graph: list[ox.Triple]
    exports: list[WrittenExport]
    #: Per document IRI, the digest of what the exports say about it (manifest "documents").
    digests: dict[str, str]


def write_exports(out: Path, exports: list[ExportFile]) -> list[WrittenExport]:
    """Write each export file into ``out``; its size and SHA-256 come from the bytes written."""
    written = []
    for export in exports:
        try:
            content = export.content()
        except ValueError as exc:  # e.g. an example query SHACL cannot describe: one sentence naming the file
            raise BuildError(f"{export.name} could not be written: {exc}") from None
        (out / export.name).write_bytes(content)
        entry = dumps.FileEntry(export.name, len(content), hashlib.sha256(content).hexdigest())
        written.append(WrittenExport(entry, export.media_type, export.description))
    return written


def prepare_release(
    sources: LoadedSources, checksums: list[SourceChecksum], settings: Settings, version: str, scratch: Path, out: Path
) -> PreparedRelease:
    """Every quad of the release, canonical and sorted, the description graph's triples,
    and the export files (written into ``out``) read from the data graph (the description lists them)."""
    base = settings.base_iri
    graphs: dict[str, list[ox.Triple]] = {
        graph_iri(base, "ontology"): list(sources.ontology.triples),
        graph_iri(base, "data"): list(sources.data.triples),
        graph_iri(base, "shapes"): list(sources.shapes.triples),
        graph_iri(base, "provenance"): provenance_triples(checksums, settings, version),
    }
    # The exports (aligned text, citations, Akoma Ntoso...) are read from the validated data graph only.
    documents = load_documents(oxigraph_select(sources.data.triples + sources.ontology.triples), base)
    exports = export_files(documents, base, version)
    description = graph_iri(base, "description")
    graphs[description] = description_triples(
        graphs, settings, version, description,
        record=list(sources.record.triples) + export_description_triples(exports, base) + akn_link_triples(documents, base),
    )
    written = write_exports(out, exports)
    digests = {doc.iri: doc.digest() for doc in documents}
    return PreparedRelease(dumps.canonical_quads(graphs, scratch), graphs[description], written, digests)
