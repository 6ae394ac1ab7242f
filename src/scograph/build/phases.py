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
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
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
from scograph import dumps
from scograph.exports.files import ExportFile, akn_link_triples, export_description_triples, export_files
from scograph.exports.model import load_documents, oxigraph_select
from scograph.jsonld import jsonld_context
from scograph.namespaces import PREFIXES, graph_iri
from scograph.pool import return_free_memory, spawned_worker, stage_pool, worker_pool
from scograph.progress import Progress
from scograph.search.indexer import SEARCH_INDEX, write_store_index
from scograph.release import CURRENT, MANIFEST, RELEASES, STORE_DIR, Release
from scograph.sources import SourceError, SourceSet, load_source_set, parse_turtle_file, turtle_files
from scograph.validate import ShapesError, ValidationOutcome
from scograph.validate_fast import validate_graphs_fast
from scograph.validate_partitioned import submit_partitioned

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


def validate_sources(
    sources: LoadedSources, *, pool: Executor | None = None, on_progress: Callable[[int], None] = lambda _n: None
) -> ValidationOutcome:
    """SHACL-validate the sources (results equal pyshacl's: tests/test_validate_fast.py); see ``start_validation``."""
    if pool is None and len(sources.partitions) >= 2:
        with worker_pool() as own:
            return start_validation(sources, pool=own, on_progress=on_progress)()
    return start_validation(sources, pool=pool, on_progress=on_progress)()


def start_validation(
    sources: LoadedSources, *, pool: Executor | None, on_progress: Callable[[int], None] = lambda _n: None
) -> Callable[[], ValidationOutcome]:
    """Start SHACL-validating the sources (results equal pyshacl's: tests/test_validate_fast.py).

    The bulk validator runs each SPARQL constraint once in Oxigraph instead of once per
    node (hours -> minutes at 1M triples). With two or more partitions (files in
    subdirectories of data/), each is validated with the shared data in a process
    pool: faster on several cores, and memory bounded by one job. ``on_progress``
    gets the data triples of each finished job.

    Call the returned function for the outcome: partitions are queued in ``pool`` and
    validated while the caller goes on; a corpus without partitions is validated
    when the outcome is asked for, in this process.
    """
    common = sources.ontology.triples + sources.record.triples
    if len(sources.partitions) >= 2 and pool is not None:
        return submit_partitioned(
            sources.partitions, sources.shared + common, sources.shapes.triples, pool, on_progress
        )

    def in_this_process() -> ValidationOutcome:
        outcome = validate_graphs_fast(sources.data.triples + common, sources.shapes.triples)
        on_progress(len(sources.data.triples))
        return outcome

    return in_this_process



def _term_key(term) -> str:
    return "" if isinstance(term, ox.DefaultGraph) else str(term)


def canonical_quads(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """Blank nodes renamed by RDFC-1.0, then sorted: the basis of byte-identical dumps."""
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(dataset, key=lambda q: (_term_key(q.graph_name), str(q.subject), str(q.predicate), str(q.object)))


def write_canonical_turtle(triples: Iterable[ox.Triple], path: Path, prefixes: dict[str, str]) -> int:
    """Write one graph as Turtle, blank nodes renamed by RDFC-1.0 and triples sorted (the bytes of
    ``canonical_quads`` serialised); return how many distinct triples it holds.

    As in ``dumps.canonical_quads``, only the triples with a blank node go through the
    canonicaliser and the rest are sorted as N-Triples lines: the description at 1M
    triples holds ~300k triples, of which ~5 % have blank nodes (checksums, partitions).
    """
    with_blank_nodes = ox.Dataset()
    plain: list[ox.Triple] = []
    for t in triples:
        if isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode):
            with_blank_nodes.add(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()))
        else:
            plain.append(t)
    with_blank_nodes.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    # Default-graph N-Quads lines are N-Triples lines.
    body = (ox.serialize(plain, format=ox.RdfFormat.N_TRIPLES) or b"") + (ox.serialize(with_blank_nodes, format=ox.RdfFormat.N_QUADS) or b"")
    lines = sorted(set(body.splitlines()))
    sorted_triples = ox.parse(b"".join(line + b"\n" for line in lines), format=ox.RdfFormat.N_TRIPLES)
    ox.serialize(sorted_triples, str(path), format=ox.RdfFormat.TURTLE, prefixes=prefixes)
    return len(lines)


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


def build(
    settings: Settings, *, force: bool = False, log: Log = lambda _msg: None, progress: Progress | None = None
) -> Release:
    """Validate the sources and make the current release. Raise :class:`BuildError` on failure.

    What it does is reported to ``progress`` (bars on a terminal: ``Progress.for_stream``),
    or else as one line per phase, with its duration, to ``log``.
    Any operating-system error (disk full, permissions, a file where a directory
    must be) becomes a one-line BuildError; the previous release stays current.
    """
    try:
        return _build(settings, force=force, progress=progress or Progress(log))
    except OSError as exc:
        raise BuildError(_os_error(exc, Path(settings.build_dir))) from None
    except BrokenProcessPool:
        raise BuildError(
            "a worker process of the build died (out of memory, or killed); nothing was written"
        ) from None


def _build(settings: Settings, *, force: bool, progress: Progress) -> Release:
    """The phases of a build, each reported to ``progress``; see ``_write_release`` for the
    phases that write files (where new outputs hook in)."""
    build_dir = Path(settings.build_dir)
    with _build_lock(build_dir):
        staging: Path | None = None
        try:
            with stage_pool() as pool:  # validation workers, forked while this process is still small
                remove_stale_leftovers(build_dir, progress.note)
                try:
                    files = source_file_count(settings)
                    with progress.phase("read sources", total=files, unit="files") as phase:
                        sources = load_sources(settings, on_file=phase.advance)
                        phase.summary = f"{phase.done} files, {_triple_count(sources):,} triples"
                except SourceError as exc:
                    raise BuildError(str(exc)) from None
                checksums = source_checksums(sources, settings)
                version = _release_version(checksums, settings)
                releases = build_dir / RELEASES
                final = releases / version
                # A release from before the search index existed is rebuilt rather than reused.
                rebuild = force or not (
                    final.is_dir() and (final / MANIFEST).is_file() and Release.open(final).search_index_path is not None
                )
                if rebuild:
                    # Made now: the export files are written into it while the workers validate.
                    releases.mkdir(parents=True, exist_ok=True)
                    staging = releases / f".staging-{version}-{os.getpid()}"
                    shutil.rmtree(staging, ignore_errors=True)
                    staging.mkdir()
                with progress.phase("validate", total=len(sources.data.triples), unit="triples") as phase:
                    try:
                        finish_validation = start_validation(sources, pool=pool, on_progress=phase.advance)
                        # While the workers validate, this process canonicalises what a release needs.
                        try:
                            prepared = _prepare_release(sources, checksums, settings, version, build_dir, staging) if staging else None
                        except Exception:
                            # The exports read data not yet validated: if it is invalid, the report says why.
                            _releasable_or_raise(finish_validation())
                            raise
                        outcome = finish_validation()
                    except ShapesError as exc:
                        raise BuildError(str(exc)) from None
                    _releasable_or_raise(outcome)
                    phase.summary = f"{len(sources.data.triples):,} triples; {len(outcome.warnings)} warning(s), no violation"
                    if prepared is not None:
                        phase.summary += f"; {prepared.quads.quad_count:,} quads canonicalised meanwhile"
            # The validation workers have exited (their memory is the system's again); the
            # parsed sources are not needed any more either: the quads are canonical lines now.
            del sources, finish_validation
            return_free_memory()
            if prepared is None:
                progress.note(f"release {version} is already built")
                _switch_current(build_dir, version)
                return Release.open(final)

            _write_release(staging, prepared, outcome, settings, version, progress)
            if final.exists():
                # Same version rebuilt with --force: move the old one aside first.
                trash = releases / f".old-{version}-{os.getpid()}"
                os.replace(final, trash)
                os.replace(staging, final)
                shutil.rmtree(trash, ignore_errors=True)
            else:
                os.replace(staging, final)
        except BaseException:
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
            raise
        _switch_current(build_dir, version)
        return Release.open(final)


def _releasable_or_raise(outcome: ValidationOutcome) -> None:
    # releasable, not conforms: SHACL's conforms is false whenever there is a warning.
    if not outcome.releasable:
        raise BuildError("validation failed; the release was not written:\n\n" + outcome.format())


def _triple_count(sources: LoadedSources) -> int:
    return len(sources.ontology.triples) + len(sources.data.triples) + len(sources.record.triples)


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


def _prepare_release(
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


def _write_release(
    out: Path,
    prepared: PreparedRelease,
    outcome: ValidationOutcome,
    settings: Settings,
    version: str,
    progress: Progress,
) -> None:
    """Write the release into ``out``, phase by phase.

    A new output is a new phase here: after "dumps and store" every dump file and
    the store exist in ``out`` (read ``scograph.nq`` or open the store); work that can
    run beside the dumps is a job for their pool (a job per process, like ``dumps.write_dumps``)
    or, if it reads the store, ``write_dumps``'s ``after_load``.
    Every file the manifest lists goes through ``record``.
    """
    base = settings.base_iri
    prefixes = dict(PREFIXES)
    prefixes["id"] = base + "id/"
    quads = prepared.quads
    graph_counts, quad_count, triple_count = quads.graph_counts, quads.quad_count, quads.triple_count

    files: list[dict] = []

    def record(entry: dumps.FileEntry, media_type: str, triples: int | None, description: str) -> None:
        files.append(
            {
                "name": entry.name,
                "media_type": media_type,
                "bytes": entry.bytes,
                "sha256": entry.sha256,
                "triples": triples,
                "description": description,
            }
        )

    def record_file(name: str, media_type: str, triples: int | None, description: str) -> None:
        record(dumps.file_entry(out / name), media_type, triples, description)

    # The search index is read from the store as soon as it is loaded, by a process of its
    # own, beside the dump jobs. It is not a dump, so it is listed apart (manifest "search"),
    # not in SHA256SUMS/VoID, which describe the data's distributions.
    with contextlib.ExitStack() as indexer_running:
        with progress.phase("dumps and store", total=len(DUMP_FORMATS) + 1, unit="files") as phase:
            dumps.write_line_files(out, quads)  # before the fork: then the lines' memory is free for good
            with stage_pool() as pool:  # dump writers; they exit with the phase (and their memory with them)
                # Spawned after the fork, so that no thread of its pool is running when the workers are forked.
                indexer = indexer_running.enter_context(spawned_worker())

                def search_index() -> dict:
                    return indexer.submit(write_store_index, out / STORE_DIR, out / SEARCH_INDEX, base).result()

                entries, loaded, indexed = dumps.write_dumps(out, base, prefixes, STORE_DIR, pool,
                                                             on_done=lambda _name: phase.advance(), after_load=search_index)
                if loaded != quad_count:
                    raise BuildError(f"store holds {loaded} quads, expected {quad_count}")
                formats = {fmt.filename: fmt for fmt in DUMP_FORMATS}
                for entry in entries:
                    fmt = formats.get(entry.name) or formats[entry.name.removesuffix(".gz")]
                    count = quad_count if fmt.quads else triple_count
                    if entry.name in formats:
                        record(entry, fmt.media_type, count, fmt.description)
                    else:
                        record(entry, "application/gzip", count, fmt.description + " (gzip)")
                phase.summary = f"{len(DUMP_FORMATS)} formats and gzips; store of {loaded:,} quads"
        return_free_memory()  # what the dump workers' results and the store's loading left behind

        with progress.phase("search index") as phase:
            search = indexed.result()  # written beside the dumps; here only what is left of it
            phase.summary = f"{search['resources']:,} resources, {search['rows']:,} text rows; written beside the dumps"

    with progress.phase("sources and exports", total=len(prepared.exports), unit="files") as phase:
        for text in primary_source_files(settings):
            shutil.copyfile(text, out / text.name)
            record_file(text.name, PRIMARY_SOURCE_MEDIA_TYPE, None, f"Primary source text, as published (data/{PRIMARY_SOURCES}/{text.name}); the clause texts quote it")

        (out / "context.jsonld").write_text(json.dumps(jsonld_context(base), indent=2, sort_keys=True) + "\n", "utf-8")
        record_file("context.jsonld", "application/ld+json", None, "JSON-LD context used by scograph.jsonld")

        for export in prepared.exports:  # written while the workers validated
            record(export.entry, export.media_type, None, export.description)
            phase.advance()
        phase.summary = f"{len(prepared.exports)} export files for {len(prepared.digests)} document(s), written during validation"

    with progress.phase("description and report") as phase:
        report_triples = write_canonical_turtle(_report_triples(outcome), out / "validation-report.ttl", prefixes)
        record_file("validation-report.ttl", "text/turtle", report_triples, "SHACL validation report (W3C SHACL vocabulary)")
        (out / "validation-report.txt").write_text(outcome.format() + "\n", "utf-8")
        record_file("validation-report.txt", "text/plain; charset=utf-8", None, "SHACL validation report, plain text")

        # The stand-alone description adds what the dumps cannot say about themselves: sizes and checksums.
        void = write_canonical_turtle(prepared.description_graph + distribution_triples(files, settings), out / "void.ttl", prefixes)
        record_file("void.ttl", "text/turtle", void, "VoID and DCAT description of the dataset and its distributions")

        (out / "SHA256SUMS").write_text("".join(f"{f['sha256']}  {f['name']}\n" for f in files), "utf-8")

        manifest = {
            "version": version,
            "base_iri": base,
            "scograph_version": __version__,
            "graphs": graph_counts,
            "triples": triple_count,
            "quads": quad_count,
            "files": files,
            # Per document, a digest of what the exports say about it: the Atom feed lists what changed.
            "documents": prepared.digests,
            "store": STORE_DIR,
            "search": {"file": SEARCH_INDEX, "bytes": (out / SEARCH_INDEX).stat().st_size,
                       "sha256": dumps.sha256_file(out / SEARCH_INDEX), **search},
            "validation": {"violations": len(outcome.violations), "warnings": len(outcome.warnings)},
        }
        (out / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n", "utf-8")
        phase.summary = f"release {version}"


def _report_triples(outcome: ValidationOutcome) -> list[ox.Triple]:
    from scograph.rdfconvert import from_rdflib

    return from_rdflib(outcome.report)
