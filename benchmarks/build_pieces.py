"""CPU seconds of each piece of work the build process does beside the validation workers.

The build's ``validate`` phase line says how long the phase took, not what the build
process spent it on; this times the pieces of ``build.prepare.prepare_release`` one by one, in
one process, on a corpus from ``scograph synthetic`` (no validation, nothing written
but the export files, into a temporary directory)::

    python benchmarks/build_pieces.py /tmp/scale-run/sources-1000000

REPORT-scale.md quotes its output (issue 14, "After the merge").
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from scograph import build, dumps
from scograph.config import Settings
from scograph.description import description_triples, provenance_triples
from scograph.exports.files import akn_link_triples, export_description_triples, export_files
from scograph.exports.model import load_documents, oxigraph_select
from scograph.namespaces import graph_iri


def timed(name: str, work):
    wall, cpu = time.monotonic(), time.process_time()
    result = work()
    print(f"{name:34s} wall {time.monotonic() - wall:6.1f} s   CPU {time.process_time() - cpu:6.1f} s", flush=True)
    return result


def main(source_root: Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        pieces(Settings(source_root=source_root, build_dir=Path(scratch)))


def pieces(settings: Settings) -> None:
    base = settings.base_iri
    sources = timed("read sources", lambda: build.load_sources(settings))
    checksums = build.source_checksums(sources, settings)
    version = build.release_version(checksums, settings)
    graphs = {
        graph_iri(base, "ontology"): list(sources.ontology.triples),
        graph_iri(base, "data"): list(sources.data.triples),
        graph_iri(base, "shapes"): list(sources.shapes.triples),
        graph_iri(base, "provenance"): provenance_triples(checksums, settings, version),
    }
    select = timed("store of data + ontology", lambda: oxigraph_select(sources.data.triples + sources.ontology.triples))
    documents = timed("load_documents", lambda: load_documents(select, base))
    exports = timed("export_files (plan)", lambda: export_files(documents, base, version))
    record = timed("export and AKN link triples", lambda: list(sources.record.triples)
                   + export_description_triples(exports, base) + akn_link_triples(documents, base))
    description = graph_iri(base, "description")
    graphs[description] = timed("description_triples (VoID)", lambda: description_triples(graphs, settings, version, description, record=record))
    with tempfile.TemporaryDirectory() as out:
        timed("write_exports", lambda: build.write_exports(Path(out), exports))
    timed("document digests", lambda: {doc.iri: doc.digest() for doc in documents})
    timed("canonical_quads", lambda: dumps.canonical_quads(graphs, settings.build_dir))
    print(f"{len(documents)} documents, {len(exports)} export files, {len(graphs[description]):,} description triples")


USAGE = "usage: python benchmarks/build_pieces.py SOURCES (a directory from scograph synthetic)"

if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip() + "\n\n" + USAGE)
        sys.exit(0)
    if len(sys.argv) != 2 or not Path(sys.argv[1]).is_dir():
        sys.exit(USAGE)
    main(Path(sys.argv[1]))
