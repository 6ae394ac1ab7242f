"""What a build reads: the source sets, the checksums of their files, and the release
version those name."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from scograph import __version__, dumps
from scograph.config import Settings
from scograph.description import SourceChecksum
from scograph.sources import SourceSet, load_source_set, parse_turtle_file, turtle_files

#: Source file routed to the description graph instead of the data graph.
DATASET_RECORD = "dataset.ttl"

#: Directory under data/ holding the primary source texts (``*.txt``): copied into the release
#: as downloads, never parsed (the data points at them with prov:hadPrimarySource).
PRIMARY_SOURCES = "sources"
PRIMARY_SOURCE_MEDIA_TYPE = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class LoadedSources:
    ontology: SourceSet
    data: SourceSet
    record: SourceSet
    shapes: SourceSet
    #: Triples of each file in a subdirectory of data/: self-contained documents that
    #: can be validated apart from each other (with the shared data).
    partitions: tuple[tuple[ox.Triple, ...], ...] = ()
    #: Triples of the files directly in data/ (reference data every document may use).
    shared: tuple[ox.Triple, ...] = ()


def source_file_count(settings: Settings) -> int:
    return sum(len(turtle_files(d)) for d in (settings.ontology_dir, settings.data_dir, settings.shapes_dir))


def load_sources(settings: Settings, on_file: Callable[[int], None] = lambda _n: None) -> LoadedSources:
    base = settings.base_iri
    data_files = turtle_files(settings.data_dir)
    parsed = {}
    for path in data_files:
        parsed[path] = parse_turtle_file(path, base)
        on_file(1)
    record_files = tuple(p for p in data_files if p.name == DATASET_RECORD)
    other_files = tuple(p for p in data_files if p.name != DATASET_RECORD)
    data_dir = settings.data_dir.resolve()
    partition_files = tuple(p for p in other_files if p.resolve().parent != data_dir)
    ontology = load_source_set("ontology", settings.ontology_dir, base)
    shapes = load_source_set("shapes", settings.shapes_dir, base)
    on_file(len(ontology.files) + len(shapes.files))
    return LoadedSources(
        ontology=ontology,
        data=SourceSet("data", other_files, tuple(t for p in other_files for t in parsed[p])),
        record=SourceSet("description", record_files, tuple(t for p in record_files for t in parsed[p])),
        shapes=shapes,
        partitions=tuple(tuple(parsed[p]) for p in partition_files),
        shared=tuple(t for p in other_files if p not in partition_files for t in parsed[p]),
    )


def primary_source_files(settings: Settings) -> tuple[Path, ...]:
    """The primary source texts (``data/sources/*.txt``), in name order."""
    directory = settings.data_dir / PRIMARY_SOURCES
    return tuple(sorted(p for p in directory.glob("*.txt") if p.is_file())) if directory.is_dir() else ()


def source_checksums(sources: LoadedSources, settings: Settings) -> list[SourceChecksum]:
    """SHA-256 of every source file, read once: names the release and feeds its provenance."""
    root = settings.source_root.resolve()
    turtle = [
        SourceChecksum(source_set.name, path.resolve().relative_to(root).as_posix(), dumps.sha256_file(path))
        for source_set in (sources.ontology, sources.data, sources.record, sources.shapes)
        for path in source_set.files
    ]
    texts = [
        SourceChecksum(PRIMARY_SOURCES, path.resolve().relative_to(root).as_posix(), dumps.sha256_file(path), PRIMARY_SOURCE_MEDIA_TYPE)
        for path in primary_source_files(settings)
    ]
    return turtle + texts


def release_version(checksums: list[SourceChecksum], settings: Settings) -> str:
    """Name a release by a hash of its source files, the base IRI and the builder version.

    Hashing the files' bytes (not their canonicalised triples) costs nothing at any
    size; a change of layout alone gives a new version, which is harmless.
    """
    digest = hashlib.sha256()
    digest.update(f"scograph {__version__}\n{settings.base_iri}\n".encode())
    for checksum in checksums:
        digest.update(f"{checksum.graph}:{checksum.path}\n{checksum.sha256}\n".encode())
    return digest.hexdigest()[:12]
