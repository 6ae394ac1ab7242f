"""The release's dump files and store, written by the build's worker processes.

The parent canonicalises the quads once (RDFC-1.0 in Oxigraph, over the quads
with blank nodes only) and keeps them
as sorted N-Quads *lines*, not Python objects: sorting the lines gives the
same order as sorting quads by (graph, subject, predicate, object) strings,
because a term is never followed in its line by a character below the space
that separates it from the next term. It writes ``scograph.nq`` and
``scograph.nt`` from them; every other file is a job for the pool, which reads
those two files with Oxigraph's streaming parsers:

- one job per format (Turtle, RDF/XML, TriG; gzip of N-Triples and N-Quads);
- the store's bulk load (in a thread of the parent: see ``write_dumps``), and then
  whatever reads the store (the search index, in a process of its own), started by that thread;
- JSON-LD, compacted in chunks of subjects (rdflib, the slow part), one job a
  chunk, written in order by the parent, which gzips it as it writes.

Every job writes its file, gzips it and returns names, sizes and SHA-256, so
nothing large travels back. The bytes are those of the single-process writer
they replace (same serializers, same order, same gzip settings).
"""

from __future__ import annotations

import collections
import gzip
import hashlib
import itertools
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from scograph.description import DUMP_FORMATS, DumpFormat
from scograph.jsonld import compacted_node_lines, jsonld_footer, jsonld_header
from scograph.pool import return_free_memory

#: Subjects per JSON-LD job (the chunk size of ``jsonld.write_compacted_jsonld``).
JSONLD_SUBJECTS_PER_JOB = 2000
#: JSON-LD jobs queued or running at a time.
JSONLD_JOBS_IN_FLIGHT = 8


@dataclass(frozen=True)
class FileEntry:
    """A written file as the manifest lists it."""

    name: str
    bytes: int
    sha256: str


@dataclass
class CanonicalQuads:
    """The release's quads, canonical and sorted, as N-Quads lines (no line ends)."""

    lines: list[bytes]
    #: Distinct triples of all graphs merged, sorted, as N-Triples lines without " .".
    triples: list[bytes]
    graph_counts: dict[str, int]
    #: How many lines and triples there were (``write_dumps`` empties the lists).
    quad_count: int = 0
    triple_count: int = 0


def _quad_key(line: bytes) -> tuple[bytes, bytes]:
    # "<s> <p> <o> <g> ." : the graph is the last term; sort by graph, then by the triple.
    triple, graph, _dot = line.rsplit(b" ", 2)
    return graph, triple


def canonical_quads(graphs: dict[str, Iterable[ox.Triple]], scratch: Path | None = None) -> CanonicalQuads:
    """Blank nodes renamed by RDFC-1.0, quads sorted: the basis of byte-identical dumps.

    Every quad is in a named graph (``graphs`` maps graph IRI -> triples). Only the
    quads that mention a blank node go through the canonicaliser: RDFC-1.0 labels a
    blank node from the quads it appears in and nothing else, so the labels are those
    of canonicalising everything, for a dataset of ~1 % of the quads (a whole-release
    ``ox.Dataset`` took ~2 KB a quad). The N-Quads pass through a temporary file in
    ``scratch`` and are read back as lines, deduplicated (the dataset was a set) and sorted.
    """
    with_blank_nodes = ox.Dataset()

    def without_blank_nodes() -> Iterator[ox.Quad]:
        for g, triples in graphs.items():
            graph = ox.NamedNode(g)
            for t in triples:
                quad = ox.Quad(t.subject, t.predicate, t.object, graph)
                if isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode):
                    with_blank_nodes.add(quad)
                else:
                    yield quad

    with tempfile.TemporaryFile(dir=scratch) as body:
        ox.serialize(without_blank_nodes(), body, format=ox.RdfFormat.N_QUADS)
        with_blank_nodes.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
        ox.serialize(with_blank_nodes, body, format=ox.RdfFormat.N_QUADS)
        del with_blank_nodes
        body.seek(0)
        lines = sorted({line.rstrip(b"\n") for line in body}, key=_quad_key)
    counts = {g: 0 for g in graphs}
    triples: set[bytes] = set()
    for line in lines:
        triple, graph, _dot = line.rsplit(b" ", 2)
        counts[graph[1:-1].decode()] += 1
        triples.add(triple)
    return CanonicalQuads(lines, sorted(triples), counts, len(lines), len(triples))


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB chunks (dumps can be large)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_entry(path: Path) -> FileEntry:
    """A written file as the manifest lists it: name, size and SHA-256."""
    return FileEntry(path.name, path.stat().st_size, sha256_file(path))


def _gzip_writer(raw) -> gzip.GzipFile:
    # filename="" and mtime=0 keep the gzip header free of names and clocks.
    return gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9)


def gzip_file(path: Path) -> Path:
    target = path.with_name(path.name + ".gz")
    with path.open("rb") as src, target.open("wb") as raw, _gzip_writer(raw) as gz:
        shutil.copyfileobj(src, gz)
    return target


def _write_lines(path: Path, lines: Iterable[bytes], end: bytes) -> None:
    with path.open("wb") as out:
        for line in lines:
            out.write(line)
            out.write(end)


# Jobs (run in worker processes; arguments and results are small).

def _gzip_job(path: Path) -> list[FileEntry]:
    return [file_entry(path), file_entry(gzip_file(path))]


def _serialize_job(source: Path, source_format: str, fmt_name: str, target: Path,
                   prefixes: dict[str, str] | None) -> list[FileEntry]:
    # Formats by name: pyoxigraph's RdfFormat does not pickle.
    fmt, parse_as = _format(fmt_name), _format(source_format).ox_format
    # Streaming: the parser's quads go straight to the serializer, in file order.
    ox.serialize(ox.parse(path=str(source), format=parse_as), str(target), format=fmt.ox_format, prefixes=prefixes)
    return _gzip_job(target)


def _load_store(
    nquads: Path, store_path: Path, loaded: Future, after_load: Callable[[], object] | None,
    abandoned: threading.Event | None = None,
):
    """Bulk-load the store, close it, set ``loaded`` to its quad count, then return
    ``after_load()`` (the build's search index, read from the store while the dumps are
    still being written), unless the build was ``abandoned`` meanwhile."""
    try:
        store = ox.Store(str(store_path))
        store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
        store.flush()
        store.optimize()
        count = len(store)
        del store  # closes RocksDB: before the directory is renamed, and for readers in other processes
    except BaseException as exc:
        loaded.set_exception(exc)
        raise
    loaded.set_result(count)
    if after_load is None or (abandoned is not None and abandoned.is_set()):
        return None
    return after_load()


def _jsonld_job(chunk: bytes, base_iri: str) -> list[str]:
    triples = [q.triple for q in ox.parse(chunk, format=ox.RdfFormat.N_TRIPLES)]
    return compacted_node_lines(triples, base_iri)


def _format(name: str) -> DumpFormat:
    return next(fmt for fmt in DUMP_FORMATS if fmt.name == name)


def _subject_chunks(lines: Iterable[bytes], subjects_per_chunk: int) -> Iterator[bytes]:
    """N-Triples bodies of consecutive subjects (never splitting one), as jsonld's chunks are cut.

    ``lines`` are N-Triples lines with their ends (the build reads them back from
    ``scograph.nt`` rather than keep its million lines in memory through the dumps).
    """
    chunk: list[bytes] = []
    subjects, previous = 0, None
    for line in lines:
        subject = line.split(b" ", 1)[0]
        if subject != previous:
            subjects += 1
            previous = subject
            if subjects > subjects_per_chunk:
                yield b"".join(chunk)
                chunk, subjects = [], 1
        chunk.append(line)
    if chunk:
        yield b"".join(chunk)


def write_line_files(out: Path, quads: CanonicalQuads) -> None:
    """Write ``scograph.nq`` and ``scograph.nt`` from the sorted lines, then empty ``quads``
    and hand the lines' memory back: every other dump is made from these two files.

    Called before the dump workers are forked: lines freed after the fork would stay in
    the workers' copies of this process's pages.
    """
    _write_lines(out / _format("nq").filename, quads.lines, b"\n")
    _write_lines(out / _format("nt").filename, quads.triples, b" .\n")
    quads.lines, quads.triples = [], []
    return_free_memory()


def write_dumps(
    out: Path,
    base_iri: str,
    prefixes: dict[str, str],
    store_dir: str,
    pool: Executor,
    on_done: Callable[[str], None] = lambda _name: None,
    after_load: Callable[[], object] | None = None,
) -> tuple[list[FileEntry], int, Future]:
    """Write every other dump format (and its gzip) from the files ``write_line_files`` wrote,
    and load the store; return the files in ``DUMP_FORMATS`` order (each followed by its
    gzip), the quads the store holds, and a future of ``after_load()``, called in the store's
    thread once the store is loaded and closed (it may still run when this returns).

    ``on_done`` is called with each format's name (and "store") as it is finished. If any
    dump fails, the store's loading is waited for before the error is raised (the caller
    removes ``out`` next), and the search index is not started.
    """
    nquads = out / _format("nq").filename
    jobs: dict[str, Future] = {}
    # The store loads in a thread of this process (Oxigraph releases the GIL while it
    # loads), not in a forked worker: RocksDB in a child forked from a process that has
    # already opened a store (a test run, a server) can wait forever on a lock whose
    # holder was not copied by fork.
    loader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-load")
    jobs["store"] = Future()
    jobs["store"].set_running_or_notify_cancel()
    abandoned = threading.Event()
    after = loader.submit(_load_store, nquads, out / store_dir, jobs["store"], after_load, abandoned)
    loader.shutdown(wait=False)  # the job runs on; its result is awaited below
    try:
        return _write_other_dumps(out, base_iri, prefixes, pool, jobs, on_done, after)
    except BaseException:
        # The store is still being written into ``out``, which the caller removes next: let it
        # finish first (a bulk load cannot be stopped), and skip the search index it would start.
        abandoned.set()
        futures_wait([after])
        raise


def _write_other_dumps(
    out: Path, base_iri: str, prefixes: dict[str, str], pool: Executor, jobs: dict[str, Future],
    on_done: Callable[[str], None], after: Future,
) -> tuple[list[FileEntry], int, Future]:
    nquads, ntriples = out / _format("nq").filename, out / _format("nt").filename
    # Longest first, so the pool's last job is a short one.
    for name, source, source_format in (("rdf", ntriples, "nt"), ("trig", nquads, "nq"), ("ttl", ntriples, "nt")):
        fmt = _format(name)
        jobs[name] = pool.submit(_serialize_job, source, source_format, name, out / fmt.filename,
                                 prefixes if name in ("ttl", "rdf", "trig") else None)
    jobs["nq"] = pool.submit(_gzip_job, nquads)
    jobs["nt"] = pool.submit(_gzip_job, ntriples)
    for name, job in jobs.items():
        job.add_done_callback(lambda _f, name=name: on_done(name))

    # A few chunks in flight per worker, not all: memory stays bounded by the window.
    jsonld = out / _format("jsonld").filename
    with ntriples.open("rb") as lines, jsonld.open("wb") as plain, \
            (out / (jsonld.name + ".gz")).open("wb") as raw, _gzip_writer(raw) as gz:
        chunks = (pool.submit(_jsonld_job, chunk, base_iri)
                  for chunk in _subject_chunks(lines, JSONLD_SUBJECTS_PER_JOB))
        window = collections.deque(itertools.islice(chunks, JSONLD_JOBS_IN_FLIGHT))

        def write(text: str) -> None:
            data = text.encode("utf-8")
            plain.write(data)
            gz.write(data)

        write(jsonld_header(base_iri))
        first = True
        while window:
            nodes = window.popleft().result()
            window.extend(itertools.islice(chunks, 1))
            if nodes:  # a write a chunk, not a node: each write lets go of the GIL and waits for it back
                write(("\n  " if first else ",\n  ") + ",\n  ".join(nodes))
                first = False
        write(jsonld_footer())
    on_done("jsonld")

    entries = {name: job.result() for name, job in jobs.items() if name != "store"}
    entries["jsonld"] = [file_entry(jsonld), file_entry(jsonld.with_name(jsonld.name + ".gz"))]
    loaded = jobs["store"].result()
    return [entry for fmt in DUMP_FORMATS for entry in entries[fmt.name]], loaded, after
