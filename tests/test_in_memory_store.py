"""A query worker with the release copied into memory answers exactly what one on disk does.

The copy is an optimisation only (Oxigraph's in-memory store is faster than its
RocksDB one); these tests fail if it changes a byte of any answer, including the
blank-node labels that a copy made by parsing a dump would rename, or if the
size threshold picks the wrong store.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pyoxigraph as ox
import pytest

from scograph.examples import example_queries
from scograph.release import Release
from scograph.store import query_worker
from scograph.store.embedded import DEFAULT_IN_MEMORY_QUADS, EmbeddedStore

FORMATS = [
    ("application/sparql-results+json", "application/n-triples"),
    ("application/sparql-results+xml", "text/turtle"),
    ("text/tab-separated-values", "application/ld+json"),
    ("text/csv", "application/rdf+xml"),
]
# Queries whose answers carry the store's blank-node identifiers.
BLANK_NODE_QUERIES = [
    "SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(isBlank(?s) || isBlank(?o)) } ORDER BY STR(?s) STR(?p) STR(?o)",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(isBlank(?s) || isBlank(?o)) }",
    "DESCRIBE <https://w3id.org/scograph/dataset>",
]


@pytest.fixture(scope="module")
def both(release):
    path = str(release.store_path)
    return query_worker.open_store(path, in_memory=False), query_worker.open_store(path, in_memory=True), path


def _answer(store: ox.Store, path: str, query: str, results: str, graph: str):
    return query_worker.execute(
        store, query, results, graph, (), (), 10_000, base_iri=query_worker.endpoint_iri(path),
    )


def test_the_copy_holds_every_quad_with_the_same_blank_nodes(both):
    on_disk, in_memory, _ = both
    disk_quads = set(on_disk.quads_for_pattern(None, None, None, None))
    memory_quads = set(in_memory.quads_for_pattern(None, None, None, None))
    assert len(memory_quads) == len(disk_quads) > 4000
    assert any(isinstance(q.object, ox.BlankNode) for q in disk_quads)  # else the label check proves nothing
    assert memory_quads == disk_quads


def _rows(body: bytes) -> list:
    """A SELECT answer as a sorted list of rows, each GROUP_CONCAT-style value as its sorted words:
    what SPARQL leaves unordered (rows without ORDER BY, the members of a group) may come in any order."""
    rows = []
    for binding in json.loads(body)["results"]["bindings"]:
        rows.append(sorted((var, term["type"], sorted(re.split(r"[,\s]+", term["value"])), term.get("xml:lang"),
                            term.get("datatype")) for var, term in binding.items()))
    return sorted(rows)


def _graph_lines(body: bytes) -> list[bytes]:
    return sorted(body.splitlines())


def test_every_example_gets_the_same_answer_from_memory_and_disk(both):
    """Same rows and triples (labels included); the same bytes in every format wherever the
    engine's order is the same, which is every example whose answer is fully ordered."""
    on_disk, in_memory, path = both
    byte_identical = 0
    queries = [example.query for example in example_queries()] + BLANK_NODE_QUERIES
    for query in queries:
        disk = _answer(on_disk, path, query, *FORMATS[0])
        memory = _answer(in_memory, path, query, *FORMATS[0])
        assert memory[0] == disk[0] and memory[3] == disk[3], query  # form and count
        if disk[0] == "SELECT":
            assert _rows(memory[2]) == _rows(disk[2]), query
        elif disk[0] == "CONSTRUCT":
            assert _graph_lines(memory[2]) == _graph_lines(disk[2]), query
        else:
            assert memory == disk
        if memory == disk:
            byte_identical += 1
            for results, graph in FORMATS[1:]:
                assert _answer(in_memory, path, query, results, graph) == _answer(on_disk, path, query, results, graph)
    assert byte_identical >= len(queries) // 2  # else the byte comparison in other formats proves little


def test_copies_in_two_processes_write_the_same_bytes(release):
    """Every worker makes its own copy: they must agree byte for byte, or the same request
    would get different bodies (and caches different answers) depending on the worker."""
    script = (
        "import hashlib, sys\n"
        "from scograph.examples import example_queries\n"
        "from scograph.store import query_worker as qw\n"
        "path = sys.argv[1]; store = qw.open_store(path, in_memory=True); digest = hashlib.sha256()\n"
        "for ex in example_queries():\n"
        "    for results, graph in FORMATS:\n"
        "        digest.update(qw.execute(store, ex.query, results, graph, (), (), 10000,"
        " base_iri=qw.endpoint_iri(path))[2])\n"
        "print(digest.hexdigest())\n"
    ).replace("FORMATS", repr(FORMATS))
    digests = {
        subprocess.run([sys.executable, "-c", script, str(release.store_path)], capture_output=True, text=True,
                       check=True, timeout=120).stdout.strip()
        for _ in range(2)
    }
    assert len(digests) == 1 and len(next(iter(digests))) == 64


def test_the_size_threshold_picks_the_store(release):
    assert release.quads is not None and release.quads < DEFAULT_IN_MEMORY_QUADS
    assert EmbeddedStore(release).limits.in_memory is True
    assert EmbeddedStore(release, in_memory_quads=release.quads).limits.in_memory is True
    assert EmbeddedStore(release, in_memory_quads=release.quads - 1).limits.in_memory is False
    assert EmbeddedStore(release, in_memory_quads=0).limits.in_memory is False
    unknown = Release(path=release.path, manifest={k: v for k, v in release.manifest.items() if k != "quads"})
    assert EmbeddedStore(unknown).limits.in_memory is False  # a size not said is not guessed


@pytest.mark.parametrize("in_memory_quads", [0, DEFAULT_IN_MEMORY_QUADS])
def test_real_workers_of_either_kind_answer_alike(release, in_memory_quads):
    """Worker processes started by the pool, one kind per store: the same answer, the same count."""
    store = EmbeddedStore(release, workers=1, result_cache_bytes=0, in_memory_quads=in_memory_quads)
    assert store.limits.in_memory is (in_memory_quads > 0)
    try:
        outcome = store.run(
            "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
            results_media_type="text/csv", graph_media_type="application/n-triples",
        )
        assert outcome.body.decode().split() == ["n", str(release.quads)]
    finally:
        store.close()


def test_a_worker_copies_nothing_into_memory_when_told_not_to(both):
    _, _, path = both
    again = query_worker.open_store(path, in_memory=False)
    # A read-only RocksDB store refuses writes; the in-memory copy takes them.
    with pytest.raises(RuntimeError, match="read-write"):
        again.add(ox.Quad(ox.NamedNode("http://e.example/s"), ox.NamedNode("http://e.example/p"), ox.Literal("o")))


def test_serve_passes_the_threshold_from_the_command_line_to_the_store(release, monkeypatch):
    from click.testing import CliRunner

    import scograph.serve
    from scograph.cli import main
    from scograph.serve import ServeOptions, make_store

    seen = []
    monkeypatch.setattr(scograph.serve, "serve", lambda options, settings, log_line: seen.append(options))
    result = CliRunner().invoke(main, ["serve", "--in-memory-quads", "0", "--port", "0"])
    assert result.exit_code == 0, result.output
    assert seen[0].in_memory_quads == 0
    option = next(p for p in main.commands["serve"].params if p.name == "in_memory_quads")
    assert ServeOptions().in_memory_quads == option.default == DEFAULT_IN_MEMORY_QUADS  # one default, said thrice
    for options, in_memory in ((seen[0], False), (ServeOptions(), True)):
        store = make_store(options, release)
        try:
            assert store.limits.in_memory is in_memory
        finally:
            store.close()


@pytest.mark.parametrize("in_memory_quads,named", [(DEFAULT_IN_MEMORY_QUADS, "--in-memory-quads"), (0, "raise it")])
def test_a_cap_below_what_the_worker_holds_is_refused_by_name(release, in_memory_quads, named):
    """A worker already past its address-space cap would fail every query as "out of memory";
    it refuses to start instead, and says which options to change."""
    from scograph.store.base import StoreUnavailable

    store = EmbeddedStore(release, workers=1, result_cache_bytes=0, memory_mb=64, in_memory_quads=in_memory_quads)
    try:
        with pytest.raises(StoreUnavailable, match="--query-memory-mb") as refused:
            store.run("ASK {}")
        assert named in str(refused.value)
    finally:
        store.close()


@pytest.mark.parametrize("value", ["-1", "many", "1e6", ""])
def test_a_bad_threshold_is_refused_by_name_before_anything_starts(value, monkeypatch):
    from click.testing import CliRunner

    import scograph.serve
    from scograph.cli import main

    started = []
    monkeypatch.setattr(scograph.serve, "serve", lambda *args, **kwargs: started.append(args))
    result = CliRunner().invoke(main, ["serve", "--in-memory-quads", value, "--port", "0"])
    assert result.exit_code == 2 and started == []
    assert "--in-memory-quads" in result.output
