"""``scograph build``: validate the sources and write an immutable release.

The build is deterministic (the same sources give byte-identical dump files:
blank nodes are canonicalised with RDFC-1.0, quads are sorted, gzip headers
carry no time stamp) and atomic (everything is written to a staging directory
beside the releases; only a complete, validated release is renamed into place
and ``current`` is switched with a single ``rename``). A failed build leaves
the previous release untouched; what a killed build leaves behind is removed
by the next one (:func:`remove_stale_leftovers`).
"""

from __future__ import annotations

import contextlib
import fcntl
import gzip
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from scograph import __version__
from scograph.config import Settings
from scograph.description import (
    DUMP_FORMATS,
    SourceChecksum,
    description_triples,
    distribution_triples,
    provenance_triples,
)
from scograph.exports.files import akn_link_triples, export_description_triples, export_files
from scograph.exports.model import load_documents, oxigraph_select
from scograph.jsonld import jsonld_context, write_compacted_jsonld
from scograph.namespaces import PREFIXES, graph_iri
from scograph.search.indexer import SEARCH_INDEX, write_index
from scograph.release import CURRENT, MANIFEST, RELEASES, STORE_DIR, Release
from scograph.sources import SourceError, SourceSet, load_source_set, parse_turtle_file, turtle_files
from scograph.validate import ShapesError, ValidationOutcome
from scograph.validate_fast import validate_graphs_fast
from scograph.validate_partitioned import validate_partitioned

Log = Callable[[str], None]

#: Source file routed to the description graph instead of the data graph.
DATASET_RECORD = "dataset.ttl"

#: Directory under data/ holding the primary source texts (``*.txt``): copied into the release
#: as downloads, never parsed (the data points at them with prov:hadPrimarySource).
PRIMARY_SOURCES = "sources"
PRIMARY_SOURCE_MEDIA_TYPE = "text/plain; charset=utf-8"


class BuildError(Exception):
    """The build stopped; the previous release is untouched. ``str()`` says why."""


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


def load_sources(settings: Settings) -> LoadedSources:
    base = settings.base_iri
    data_files = turtle_files(settings.data_dir)
    parsed = {path: parse_turtle_file(path, base) for path in data_files}
    record_files = tuple(p for p in data_files if p.name == DATASET_RECORD)
    other_files = tuple(p for p in data_files if p.name != DATASET_RECORD)
    data_dir = settings.data_dir.resolve()
    partition_files = tuple(p for p in other_files if p.resolve().parent != data_dir)
    return LoadedSources(
        ontology=load_source_set("ontology", settings.ontology_dir, base),
        data=SourceSet("data", other_files, tuple(t for p in other_files for t in parsed[p])),
        record=SourceSet("description", record_files, tuple(t for p in record_files for t in parsed[p])),
        shapes=load_source_set("shapes", settings.shapes_dir, base),
        partitions=tuple(tuple(parsed[p]) for p in partition_files),
        shared=tuple(t for p in other_files if p not in partition_files for t in parsed[p]),
    )


def validate_sources(sources: LoadedSources) -> ValidationOutcome:
    """SHACL-validate the sources (results equal pyshacl's: tests/test_validate_fast.py).

    The bulk validator runs each SPARQL constraint once in Oxigraph instead of once per
    node (hours -> minutes at 1M triples). With two or more partitions (files in
    subdirectories of data/), each is validated with the shared data in a process
    pool: faster on several cores, and memory bounded by one partition.
    """
    common = sources.ontology.triples + sources.record.triples
    if len(sources.partitions) >= 2:
        return validate_partitioned(sources.partitions, sources.shared + common, sources.shapes.triples)
    return validate_graphs_fast(sources.data.triples + common, sources.shapes.triples)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _term_key(term) -> str:
    return "" if isinstance(term, ox.DefaultGraph) else str(term)


def canonical_quads(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """Blank nodes renamed by RDFC-1.0, then sorted: the basis of byte-identical dumps."""
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(dataset, key=lambda q: (_term_key(q.graph_name), str(q.subject), str(q.predicate), str(q.object)))


def _gzip(path: Path) -> Path:
    target = path.with_name(path.name + ".gz")
    with path.open("rb") as src, target.open("wb") as raw:
        # filename="" and mtime=0 keep the gzip header free of names and clocks.
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
            shutil.copyfileobj(src, gz)
    return target


def primary_source_files(settings: Settings) -> tuple[Path, ...]:
    """The primary source texts (``data/sources/*.txt``), in name order."""
    directory = settings.data_dir / PRIMARY_SOURCES
    return tuple(sorted(p for p in directory.glob("*.txt") if p.is_file())) if directory.is_dir() else ()


def source_checksums(sources: LoadedSources, settings: Settings) -> list[SourceChecksum]:
    """SHA-256 of every source file, read once: names the release and feeds its provenance."""
    root = settings.source_root.resolve()
    turtle = [
        SourceChecksum(source_set.name, path.resolve().relative_to(root).as_posix(), _sha256(path))
        for source_set in (sources.ontology, sources.data, sources.record, sources.shapes)
        for path in source_set.files
    ]
    texts = [
        SourceChecksum(PRIMARY_SOURCES, path.resolve().relative_to(root).as_posix(), _sha256(path), PRIMARY_SOURCE_MEDIA_TYPE)
        for path in primary_source_files(settings)
    ]
    return turtle + texts


def _release_version(checksums: list[SourceChecksum], settings: Settings) -> str:
    """Name a release by a hash of its source files, the base IRI and the builder version.

    Hashing the files' bytes (not their canonicalised triples) costs nothing at any
    size; a change of layout alone gives a new version, which is harmless.
    """
    digest = hashlib.sha256()
    digest.update(f"scograph {__version__}\n{settings.base_iri}\n".encode())
    for checksum in checksums:
        digest.update(f"{checksum.graph}:{checksum.path}\n{checksum.sha256}\n".encode())
    return digest.hexdigest()[:12]


@contextlib.contextmanager
def _build_lock(build_dir: Path):
    build_dir.mkdir(parents=True, exist_ok=True)
    with (build_dir / ".lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildError(f"another build is running in {build_dir}") from None
        yield


def _switch_current(build_dir: Path, version: str) -> None:
    tmp = build_dir / f".{CURRENT}.{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    tmp.symlink_to(Path(RELEASES) / version)
    os.replace(tmp, build_dir / CURRENT)  # atomic on POSIX


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def remove_stale_leftovers(build_dir: Path, log: Log) -> None:
    """Remove what interrupted builds left behind: staging directories, old releases moved
    aside by ``--force``, half-made ``current`` links.

    Called with the build lock held: no other build of this directory is running,
    so every such leftover belongs to a build that died (``kill -9``, power loss).
    A release moved aside whose replacement never arrived is moved back, not removed.
    """
    releases = build_dir / RELEASES
    for tmp in build_dir.glob(f".{CURRENT}.*"):
        if tmp.is_symlink():
            tmp.unlink()
    if not releases.is_dir():
        return
    for path in sorted(releases.iterdir()):
        if path.name.startswith(".old-") and path.is_dir():
            version = path.name[len(".old-"):].rsplit("-", 1)[0]
            if not (releases / version).exists():
                os.replace(path, releases / version)
                log(f"restored release {version}, moved aside by an interrupted build")
                continue
        if path.name.startswith((".staging-", ".old-")) and path.is_dir() and not path.is_symlink():
            size = _size(path)
            shutil.rmtree(path)
            log(f"removed {path.name} ({size / 1e6:.1f} MB), left by an interrupted build")


def _os_error(exc: OSError, build_dir: Path) -> str:
    """One line for a failed file operation: why (disk full, permissions, ...) and where."""
    if exc.filename:
        where = str(exc.filename) + (f" -> {exc.filename2}" if exc.filename2 else "")
    else:  # pyoxigraph's errors name no file
        where = f"writing in {build_dir}"
    return f"{exc.strerror or exc} ({where}); the previous release, if any, is still current"


def build(settings: Settings, *, force: bool = False, log: Log = lambda _msg: None) -> Release:
    """Validate the sources and make the current release. Raise :class:`BuildError` on failure.

    Any operating-system error (disk full, permissions, a file where a directory
    must be) becomes a one-line BuildError; the previous release stays current.
    """
    try:
        return _build(settings, force=force, log=log)
    except OSError as exc:
        raise BuildError(_os_error(exc, Path(settings.build_dir))) from None
    except BrokenProcessPool:
        raise BuildError(
            "a validation process died (out of memory, or killed); nothing was written"
        ) from None


def _build(settings: Settings, *, force: bool, log: Log) -> Release:
    build_dir = Path(settings.build_dir)
    with _build_lock(build_dir):
        remove_stale_leftovers(build_dir, log)
        try:
            sources = load_sources(settings)
        except SourceError as exc:
            raise BuildError(str(exc)) from None
        log(
            f"read {len(sources.ontology.files) + len(sources.data.files) + len(sources.record.files) + len(sources.shapes.files)} source files"
        )
        try:
            outcome = validate_sources(sources)
        except ShapesError as exc:
            raise BuildError(str(exc)) from None
        if not outcome.releasable:
            raise BuildError("validation failed; the release was not written:\n\n" + outcome.format())
        log(f"validated: {len(outcome.warnings)} warning(s), no violation")

        checksums = source_checksums(sources, settings)
        version = _release_version(checksums, settings)
        releases = build_dir / RELEASES
        final = releases / version
        # A release from before the search index existed is rebuilt rather than reused.
        if final.is_dir() and (final / MANIFEST).is_file() and not force and Release.open(final).search_index_path is not None:
            log(f"release {version} is already built")
            _switch_current(build_dir, version)
            return Release.open(final)

        releases.mkdir(parents=True, exist_ok=True)
        staging = releases / f".staging-{version}-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        try:
            _write_release(staging, sources, checksums, outcome, settings, version, log)
            if final.exists():
                # Same version rebuilt with --force: move the old one aside first.
                trash = releases / f".old-{version}-{os.getpid()}"
                os.replace(final, trash)
                os.replace(staging, final)
                shutil.rmtree(trash, ignore_errors=True)
            else:
                os.replace(staging, final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        _switch_current(build_dir, version)
        log(f"release {version} written to {final}")
        return Release.open(final)


def _write_release(
    out: Path,
    sources: LoadedSources,
    checksums: list[SourceChecksum],
    outcome: ValidationOutcome,
    settings: Settings,
    version: str,
    log: Log,
) -> None:
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
    quads = canonical_quads(
        ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(g)) for g, triples in graphs.items() for t in triples
    )
    union = sorted({q.triple for q in quads}, key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    graph_counts = {g: sum(1 for q in quads if q.graph_name.value == g) for g in graphs}
    prefixes = dict(PREFIXES)
    prefixes["id"] = base + "id/"

    files: list[dict] = []

    def record(name: str, media_type: str, triples: int | None, description: str) -> None:
        path = out / name
        files.append(
            {
                "name": name,
                "media_type": media_type,
                "bytes": path.stat().st_size,
                "sha256": _sha256(path),
                "triples": triples,
                "description": description,
            }
        )

    for fmt in DUMP_FORMATS:
        path = out / fmt.filename
        if fmt.name == "jsonld":
            write_compacted_jsonld(union, path, base)
        elif fmt.quads:
            ox.serialize(quads, path, format=fmt.ox_format, prefixes=prefixes if fmt.name == "trig" else None)
        else:
            ox.serialize(union, path, format=fmt.ox_format, prefixes=prefixes if fmt.name in ("ttl", "rdf") else None)
        count = len(quads) if fmt.quads else len(union)
        record(fmt.filename, fmt.media_type, count, fmt.description)
        gz = _gzip(path)
        record(gz.name, "application/gzip", count, fmt.description + " (gzip)")
    log(f"wrote dumps: {len(union)} triples, {len(quads)} quads in {len(graphs)} graphs")

    for text in primary_source_files(settings):
        shutil.copyfile(text, out / text.name)
        record(text.name, PRIMARY_SOURCE_MEDIA_TYPE, None, f"Primary source text, as published (data/{PRIMARY_SOURCES}/{text.name}); the clause texts quote it")

    (out / "context.jsonld").write_text(json.dumps(jsonld_context(base), indent=2, sort_keys=True) + "\n", "utf-8")
    record("context.jsonld", "application/ld+json", None, "JSON-LD context used by scograph.jsonld")

    for export in exports:
        try:
            content = export.content()
        except ValueError as exc:  # e.g. an example query SHACL cannot describe: one sentence naming the file
            raise BuildError(f"{export.name} could not be written: {exc}") from None
        (out / export.name).write_bytes(content)
        record(export.name, export.media_type, None, export.description)
    log(f"wrote {len(exports)} export files for {len(documents)} document(s)")

    report_quads = canonical_quads(
        ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph())
        for t in _report_triples(outcome)
    )
    ox.serialize([q.triple for q in report_quads], out / "validation-report.ttl", format=ox.RdfFormat.TURTLE, prefixes=prefixes)
    record("validation-report.ttl", "text/turtle", len(report_quads), "SHACL validation report (W3C SHACL vocabulary)")
    (out / "validation-report.txt").write_text(outcome.format() + "\n", "utf-8")
    record("validation-report.txt", "text/plain; charset=utf-8", None, "SHACL validation report, plain text")

    # The stand-alone description adds what the dumps cannot say about themselves: sizes and checksums.
    void = canonical_quads(
        ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph())
        for t in graphs[graph_iri(base, "description")] + distribution_triples(files, settings)
    )
    ox.serialize([q.triple for q in void], out / "void.ttl", format=ox.RdfFormat.TURTLE, prefixes=prefixes)
    record("void.ttl", "text/turtle", len(void), "VoID and DCAT description of the dataset and its distributions")

    (out / "SHA256SUMS").write_text("".join(f"{f['sha256']}  {f['name']}\n" for f in files), "utf-8")

    store_path = out / STORE_DIR
    store = ox.Store(str(store_path))
    store.bulk_load(path=str(out / "scograph.nq"), format=ox.RdfFormat.N_QUADS)
    store.flush()
    store.optimize()
    loaded = len(store)
    # The search index is read from the loaded store; it is not a dump, so it is listed apart
    # (manifest "search") and not in SHA256SUMS/VoID, which describe the data's distributions.
    search = write_index(store, out / SEARCH_INDEX, base, log)
    del store  # closes RocksDB before the directory is renamed
    if loaded != len(quads):
        raise BuildError(f"store holds {loaded} quads, expected {len(quads)}")
    log(f"loaded store: {loaded} quads")

    manifest = {
        "version": version,
        "base_iri": base,
        "scograph_version": __version__,
        "graphs": graph_counts,
        "triples": len(union),
        "quads": len(quads),
        "files": files,
        # Per document, a digest of what the exports say about it: the Atom feed lists what changed.
        "documents": {doc.iri: doc.digest() for doc in documents},
        "store": STORE_DIR,
        "search": {"file": SEARCH_INDEX, "bytes": (out / SEARCH_INDEX).stat().st_size, "sha256": _sha256(out / SEARCH_INDEX), **search},
        "validation": {"violations": len(outcome.violations), "warnings": len(outcome.warnings)},
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n", "utf-8")


def _report_triples(outcome: ValidationOutcome) -> list[ox.Triple]:
    from scograph.rdfconvert import from_rdflib

    return from_rdflib(outcome.report)
