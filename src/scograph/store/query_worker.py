"""One query worker process: runs SPARQL queries on the release store and serializes the results.

pyoxigraph can neither time out nor cancel a query, so queries run in worker
processes that the pool (:mod:`scograph.store.embedded`) kills when their time
is up; killing the process is the only way to truly stop the work and free the
CPU. Results are serialized here too, so serialization time counts against the
limit and only finished bytes cross the pipe.

Each worker, before it opens the store,

- asks the kernel to kill it when its parent dies (no orphaned runaway query),
- raises the network walls it is asked for, each that the kernel allows:
  ``netns``, a fresh, empty network namespace (needs unprivileged user
  namespaces), and ``seccomp``, a filter that fails every
  ``socket()`` (:mod:`scograph.store.seccomp`; needs no namespace, so it works
  in containers). Even a query that slipped past :mod:`scograph.sparql.guard`
  then cannot make an outbound request (the guard is the first wall; these are
  the second and third). The worker reports which walls are up; the pool
  refuses a worker with none unless told that is acceptable.

Every result is capped twice while it is serialized, in rows (``max_results``)
and in bytes (``max_bytes``): serialization stops at the cap, so a query that
makes a 100 MB literal never gets a 100 MB answer built, sent or buffered.
"""

from __future__ import annotations

import csv
import ctypes
import io
import json
import os
import resource
import signal
import sys
import traceback
from typing import Any

import pyoxigraph as ox

from scograph.prefixes import PREFIXES
from scograph.store import seccomp
from scograph.store.channel import Channel

RESULTS_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
_PREFIXED_FORMATS = (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML)
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

_PR_SET_PDEATHSIG = 1
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000


#: The network walls a worker knows how to raise, strongest first.
WALLS = ("netns", "seccomp")


def _die_with_parent() -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the parent's pipe closing still ends the loop
        pass


def _leave_network() -> str | None:
    """Enter an empty network namespace (no interfaces but a down loopback); None if done, else why not."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError as exc:
        return f"netns: no C library ({exc})"
    if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0:
        return None
    return f"netns: unshare refused ({os.strerror(ctypes.get_errno())})"


def raise_walls(walls: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Raise each wall asked for that this host allows; (walls up, why the others are not)."""
    up: list[str] = []
    reasons: list[str] = []
    for wall in walls:
        if wall == "netns":
            reason = _leave_network()
        elif wall == "seccomp":
            reason = seccomp.deny_network()
        else:
            reason = f"{wall}: unknown wall"
        if reason is None:
            up.append(wall)
        else:
            reasons.append(reason)
    return tuple(up), tuple(reasons)


def _libc():
    try:
        return ctypes.CDLL(None)
    except OSError:
        return None


_LIBC = _libc()  # loaded once: a CDLL per query cost more than the trim itself

#: The heap is trimmed after a query that left the process this much larger than after the
#: last trim, or that failed (a trim costs ~0.06 ms, reading the resident size ~0.01 ms; a
#: query that builds 100 MB to answer 10 bytes must still give the 100 MB back).
TRIM_GROWTH_BYTES = 4 * 1024 * 1024
_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _open_statm() -> int | None:
    try:
        return os.open("/proc/self/statm", os.O_RDONLY | os.O_CLOEXEC)
    except (OSError, AttributeError):
        return None


def _statm_bytes(statm: int | None, field: int) -> int | None:
    """One field of ``/proc/self/statm`` opened once (0: address space, 1: resident), in bytes; a
    pread at offset 0 reads it afresh (~2 us, against ~15 us for an open() each time). None where
    /proc is not there."""
    if statm is None:
        return None
    try:
        return int(os.pread(statm, 128, 0).split()[field]) * _PAGE_BYTES
    except (OSError, ValueError, IndexError):
        return None


def _resident_bytes(statm: int | None) -> int | None:
    """This process's resident size; None where /proc is not there: then every query trims."""
    return _statm_bytes(statm, 1)


def _trim_heap() -> None:
    """Give freed memory back to the system after a query (glibc keeps it otherwise)."""
    try:
        _LIBC.malloc_trim(0)
    except AttributeError:  # no C library, or not glibc
        pass


def _json_term(term: Any) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value not in (_XSD_STRING, _RDF_LANG_STRING):
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):  # RDF-star / RDF 1.2 triple terms
        return {
            "type": "triple",
            "value": {
                "subject": _json_term(term.subject),
                "predicate": _json_term(term.predicate),
                "object": _json_term(term.object),
            },
        }
    raise TypeError(f"unexpected term {term!r}")


def fit_bytes(serialize, count: int, max_bytes: int) -> tuple[bytes, int]:
    """``serialize(n)`` for the largest n <= count found whose bytes fit ``max_bytes``.

    The items were chosen by their size in one format; another format (XML, JSON-LD)
    can be larger, so it is checked and, if need be, cut in proportion (a few tries)."""
    body = serialize(count)
    while len(body) > max_bytes and count > 0:
        count = min(count - 1, int(count * max_bytes / len(body) * 0.98))
        body = serialize(max(count, 0))
    return body, max(count, 0)


#: Answers up to this size are written by pyoxigraph's own serializer, whole; past it (or past
#: the row cap) the query runs again and is written row by row with the caps. The native writer
#: saved ~0.1 ms of the ~0.8 ms an example query costs the worker. Measured at 1M quads
#: (``execute``, s): example 03 (1,313 rows, 0.5 MB) 0.28 with a 256 KiB budget (run twice),
#: 0.13 with 4 MiB; an unbounded ``SELECT *`` cut at 10,000 rows 0.33, 0.44, and 0.82 with a
#: budget of the whole 16 MiB byte cap: 4 MiB keeps most whole answers native and bounds the waste.
NATIVE_BUDGET_BYTES = 4 * 1024 * 1024


class _OverBudget(Exception):
    """Raised from inside pyoxigraph's serializer: the answer is larger than the native budget."""


class _BudgetWriter:
    """A file-like sink for pyoxigraph's serializers that stops them past ``budget`` bytes
    (pyoxigraph writes 8 KiB at a time and passes the exception on)."""

    __slots__ = ("parts", "size", "budget")

    def __init__(self, budget: int):
        self.parts: list[bytes] = []
        self.size = 0
        self.budget = budget

    def write(self, chunk) -> int:
        self.size += len(chunk)
        if self.size > self.budget:
            raise _OverBudget()
        self.parts.append(bytes(chunk))
        return len(chunk)

    def flush(self) -> None:
        pass


def _count_rows(body: bytes, media_type: str) -> int:
    """How many solutions an answer written by pyoxigraph holds, read from its bytes."""
    if media_type == "application/sparql-results+xml":
        return body.count(b"<result>")  # text is escaped in XML: the tag cannot occur inside a value
    if media_type == "text/tab-separated-values":
        return body.count(b"\n") - 1  # one line a solution after the header; TSV escapes newlines in terms
    if media_type == "text/csv":
        return sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8"), newline=""))) - 1
    return len(json.loads(body)["results"]["bindings"])


def _select_native(
    solutions: ox.QuerySolutions, media_type: str, max_results: int, max_bytes: int
) -> tuple[bytes, int] | None:
    """The whole answer as pyoxigraph writes it, with its row count; None when a cap or the
    native budget would be passed (then it is written row by row: see :func:`_select`)."""
    writer = _BudgetWriter(min(max_bytes, NATIVE_BUDGET_BYTES))
    try:
        solutions.serialize(writer, format=RESULTS_FORMATS[media_type])
    except _OverBudget:
        return None
    body = b"".join(writer.parts)
    count = _count_rows(body, media_type)
    return (body, count) if count <= max_results else None


def _select(
    solutions: ox.QuerySolutions, media_type: str, max_results: int, max_bytes: int
) -> tuple[bytes, int, bool]:
    """Serialize at most ``max_results`` solutions and at most ``max_bytes`` bytes.

    pyoxigraph serializes a whole iterator or nothing, so the capped solutions
    are written as SPARQL JSON (plain json.dumps of the standard structure, one
    row at a time, stopping before the row that would pass the byte cap) and,
    for the other formats, handed back to pyoxigraph's serializers.
    """
    names = [v.value for v in solutions.variables]
    head = json.dumps({"head": {"vars": names}}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    head = head[:-1] + b',"results":{"bindings":['
    tail = b"]}}"
    rows: list[bytes] = []
    size = len(head) + len(tail)
    truncated = False
    for row in solutions:
        if len(rows) >= max_results:
            truncated = True
            break
        binding = {}
        bound = 0  # a lower bound of the row's size, known before it is encoded
        for name in names:
            term = row[name]
            if term is not None:
                binding[name] = value = _json_term(term)
                bound += len(value["value"]) if isinstance(value["value"], str) else 0
        # A row past the cap is dropped before json.dumps copies it (a 100 MB literal, twice).
        if size + bound > max_bytes:
            truncated = True
            break
        encoded = json.dumps(binding, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if size + len(encoded) + 1 > max_bytes:
            truncated = True
            break
        rows.append(encoded)
        size += len(encoded) + 1

    def as_json(n: int) -> bytes:
        return head + b",".join(rows[:n]) + tail

    if media_type == "application/sparql-results+json":
        return as_json(len(rows)), len(rows), truncated

    def as_other(n: int) -> bytes:
        parsed = ox.parse_query_results(as_json(n), format=ox.QueryResultsFormat.JSON)
        return parsed.serialize(format=RESULTS_FORMATS[media_type])

    body, count = fit_bytes(as_other, len(rows), max_bytes)
    return body, count, truncated or count < len(rows)


def _construct(
    triples: ox.QueryTriples, media_type: str, max_results: int, max_bytes: int
) -> tuple[bytes, int, bool]:
    """Serialize at most ``max_results`` triples and ``max_bytes`` bytes (sized as N-Triples first)."""
    kept: list[ox.Triple] = []
    size = 0
    truncated = False
    for triple in triples:
        line = len(str(triple).encode("utf-8")) + 3  # str() is the N-Triples form, without " .\n"
        if len(kept) >= max_results or size + line > max_bytes:
            truncated = True
            break
        kept.append(triple)
        size += line
    rdf_format = GRAPH_FORMATS[media_type]
    prefixes = PREFIXES if rdf_format in _PREFIXED_FORMATS else None

    def serialize(n: int) -> bytes:
        return ox.serialize(kept[:n], format=rdf_format, prefixes=prefixes) or b""

    body, count = fit_bytes(serialize, len(kept), max_bytes)
    return body, count, truncated or count < len(kept)


#: The byte cap when a caller gives none (the serve default: see ``--max-result-bytes``).
DEFAULT_MAX_BYTES = 16 * 1024 * 1024


#: CSV and TSV define no boolean result; a bare ``true`` has no header line, which
#: CSV/TSV readers (rdflib's among them) refuse. Jena's answer has a header naming
#: one pseudo-variable, and so does ours.
_ASK_VARIABLE = "_askResult"


def _ask_body(result: ox.QueryBoolean, media_type: str) -> bytes:
    value = "true" if result else "false"
    if media_type == "text/csv":
        return f"{_ASK_VARIABLE}\r\n{value}\r\n".encode()
    if media_type == "text/tab-separated-values":
        return f"?{_ASK_VARIABLE}\n{value}\n".encode()
    return result.serialize(format=RESULTS_FORMATS[media_type])


def endpoint_iri(store_path: str) -> str | None:
    """``<base IRI>sparql``, the IRI relative IRIs in a query resolve against (as Oxigraph's
    and Fuseki's servers resolve them against their endpoint); from the configured base
    IRI recorded in the release beside the store, never from a request's Host."""
    from pathlib import Path

    from scograph.release import Release

    try:
        return Release.open(Path(store_path).parent).base_iri + "sparql"
    except (OSError, ValueError, KeyError):
        return None


def execute(
    store: ox.Store,
    query: str,
    results_media_type: str,
    graph_media_type: str,
    default_graph_uris: tuple[str, ...],
    named_graph_uris: tuple[str, ...],
    max_results: int,
    query_has_dataset: bool = False,
    base_iri: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> tuple[str, str, bytes, int | None, bool]:
    """Run one query; return (form, media type, body, count, truncated).

    Relative IRIs in the query resolve against ``base_iri`` (the endpoint's IRI).
    """
    kwargs: dict[str, Any] = {"base_iri": base_iri} if base_iri else {}
    if default_graph_uris or named_graph_uris:
        # The protocol's dataset replaces the query's (SPARQL 1.1 Protocol, 2.1.4).
        kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graph_uris] or ox.DefaultGraph()
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graph_uris]
    elif not query_has_dataset:
        # Without FROM / FROM NAMED the default graph is the union of the release's
        # graphs, so that queries need no GRAPH clause (layout: see release.py).
        kwargs["use_default_graph_as_union"] = True
    result = store.query(query, **kwargs)
    if isinstance(result, ox.QueryBoolean):
        return "ASK", results_media_type, _ask_body(result, results_media_type), 1, False
    if isinstance(result, ox.QuerySolutions):
        native = _select_native(result, results_media_type, max_results, max_bytes)
        if native is not None:
            return "SELECT", results_media_type, native[0], native[1], False
        # Past a cap or the native budget: run the query again and write it row by row, capped
        # (pyoxigraph serializes a whole iterator or nothing, and this one is spent).
        body, count, truncated = _select(store.query(query, **kwargs), results_media_type, max_results, max_bytes)
        return "SELECT", results_media_type, body, count, truncated
    body, count, truncated = _construct(result, graph_media_type, max_results, max_bytes)
    return "CONSTRUCT", graph_media_type, body, count, truncated


def check_room(memory_mb: int, in_memory: bool, statm: int | None) -> None:
    """Fail the start, naming the options, when this worker already takes the address space the
    cap would allow: under the cap every allocation would then fail, and every query with it."""
    size = _statm_bytes(statm, 0)
    if memory_mb <= 0 or size is None:  # no cap, or no /proc: nothing to compare
        return
    if size >= memory_mb * 1024 * 1024:
        fix = ("raise it, or lower --in-memory-quads so that the release is queried on disk" if in_memory
               else "raise it")
        where = " with the release copied into memory" if in_memory else ""
        raise MemoryError(
            f"a query worker{where} already takes {size >> 20} MiB of address space, more than the "
            f"{memory_mb} MiB a query worker may use (--query-memory-mb): {fix}"
        )


def _limit_memory(megabytes: int) -> None:
    """Cap the address space: a query that would need more dies (Rust aborts on a failed
    allocation) instead of pushing the whole server into swap or the OOM killer."""
    if megabytes > 0:
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def open_store(store_path: str, in_memory: bool) -> ox.Store:
    """The release store, read-only on disk, or copied into this process's memory.

    Oxigraph's in-memory store answers the example queries 2.4-3.2x faster than
    its RocksDB one (benchmarks/REPORT-endpoint.md, "Third pass"). The copy
    is made from the on-disk store, not from a dump: blank nodes keep the
    identifiers the store gave them, so every worker, in memory or not, writes
    the same bytes for the same query (a parser would mint new ones)."""
    on_disk = ox.Store.read_only(store_path)
    if not in_memory:
        return on_disk
    memory = ox.Store()
    memory.extend(on_disk.quads_for_pattern(None, None, None, None))
    return memory


def serve(conn: Channel, store_path: str, walls: tuple[str, ...], memory_mb: int = 0, in_memory: bool = False) -> None:
    """The worker's main loop: one request in, one reply out, until the parent goes away."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server; it stops us
    statm = _open_statm()
    try:
        up, reasons = raise_walls(walls)
        store = open_store(store_path, in_memory)
        base_iri = endpoint_iri(store_path)
        check_room(memory_mb, in_memory, statm)
        _limit_memory(memory_mb)
    except Exception as exc:  # the pool logs this text: an empty reason helps no one
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", os.getpid(), up, reasons))
    trimmed_at = _resident_bytes(statm)  # the resident size after the last trim
    while True:
        try:
            request, _body = conn.recv()
        except (EOFError, OSError):
            return
        body = None
        try:
            form, media_type, body, count, truncated = execute(store, **{"base_iri": base_iri, **request})
            reply: tuple = ("ok-bytes", form, media_type, count, truncated)
        except SyntaxError as exc:
            reply = ("query-error", str(exc))
        except Exception as exc:  # reported to the pool, which logs it and answers 500
            reply = ("error", f"{type(exc).__name__}: {exc}")
        conn.send(reply, body or b"")  # the answer's bytes follow the reply as they are: no pickling
        failed = reply[0] != "ok-bytes"  # a failed query may have built much before it failed
        del reply, body
        resident = _resident_bytes(statm)
        if failed or resident is None or trimmed_at is None or resident > trimmed_at + TRIM_GROWTH_BYTES:
            _trim_heap()
            trimmed_at = _resident_bytes(statm)


def probe(walls: tuple[str, ...]) -> dict:
    """Which walls this host lets a worker raise (run in a throw-away process: walls are for good)."""
    up, reasons = raise_walls(walls)
    return {"up": list(up), "refused": list(reasons)}


def main(argv: list[str]) -> None:
    """``python -m scograph.store.query_worker FD STORE_PATH WALLS MEMORY_MB [--in-memory]``: started by
    the pool only; ``... --probe WALLS`` prints which walls can be raised here, as JSON."""
    if argv[1] == "--probe":
        print(json.dumps(probe(_walls_arg(argv[2]))))
        return
    fd, store_path, walls, memory_mb = int(argv[1]), argv[2], _walls_arg(argv[3]), int(argv[4])
    in_memory = argv[5:] == ["--in-memory"]
    try:
        serve(Channel.from_fd(fd), store_path, walls, memory_mb, in_memory)
    except Exception:  # pragma: no cover - goes to the pool's log through our stderr
        traceback.print_exc()
        sys.exit(1)


def _walls_arg(text: str) -> tuple[str, ...]:
    return tuple(w for w in text.split(",") if w and w != "-")


if __name__ == "__main__":
    main(sys.argv)
