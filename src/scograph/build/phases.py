"""The phases of a build: the lock, reading and validating the sources, writing the release
into a staging directory, and switching ``current`` to it."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pyoxigraph as ox

from scograph import __version__
from scograph import dumps
from scograph.build.canonical import write_canonical_turtle
from scograph.build.failures import BuildError, Log, os_error_message, remove_stale_leftovers
from scograph.build.inputs import (
    PRIMARY_SOURCE_MEDIA_TYPE,
    PRIMARY_SOURCES,
    LoadedSources,
    load_sources,
    primary_source_files,
    release_version,
    source_checksums,
    source_file_count,
)
from scograph.build.prepare import PreparedRelease, prepare_release
from scograph.build.validation import releasable_or_raise, start_validation
from scograph.config import Settings
from scograph.description import DUMP_FORMATS, distribution_triples
from scograph.jsonld import jsonld_context
from scograph.namespaces import PREFIXES
from scograph.pool import return_free_memory, spawned_worker, stage_pool
from scograph.progress import Progress
from scograph.search.indexer import SEARCH_INDEX, write_store_index
from scograph.release import CURRENT, MANIFEST, RELEASES, STORE_DIR, Release
from scograph.sources import SourceError
from scograph.validate import ShapesError, ValidationOutcome


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
        raise BuildError(os_error_message(exc, Path(settings.build_dir))) from None
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
                version = release_version(checksums, settings)
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
                            prepared = prepare_release(sources, checksums, settings, version, build_dir, staging) if staging else None
                        except Exception:
                            # The exports read data not yet validated: if it is invalid, the report says why.
                            releasable_or_raise(finish_validation())
                            raise
                        outcome = finish_validation()
                    except ShapesError as exc:
                        raise BuildError(str(exc)) from None
                    releasable_or_raise(outcome)
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


def _triple_count(sources: LoadedSources) -> int:
    return len(sources.ontology.triples) + len(sources.data.triples) + len(sources.record.triples)


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
