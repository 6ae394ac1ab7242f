"""The parallel dump writer gives the bytes of the one-process writer it replaced."""

from __future__ import annotations

import gzip
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pyoxigraph as ox
import pytest

from scograph import dumps
from scograph.build import canonical_quads as canonical_quad_objects
from scograph.description import DUMP_FORMATS
from scograph.jsonld import write_compacted_jsonld
from scograph.namespaces import PREFIXES
from scograph.validate.partitioned import plan_jobs

N, L, B = ox.NamedNode, ox.Literal, ox.BlankNode


def _tricky_graphs() -> dict[str, list[ox.Triple]]:
    """Terms that are prefixes of each other, where line order and term order could differ."""
    p, q = N("http://example.org/p"), N("http://example.org/p/q")
    subjects = [N("http://example.org/a"), N("http://example.org/a/b"), N("http://example.org/a#c"), B("x"), B("x1")]
    objects = [L("abc"), L("abc d"), L("abc", language="en"), L("abc", language="en-gb"),
               L("1", datatype=N("http://www.w3.org/2001/XMLSchema#integer")), L("a\tb"), L("a\nb"), L("中文"),
               N("http://example.org/a"), N("http://example.org/a/"), B("y")]
    graph_a = [ox.Triple(s, pred, o) for s in subjects for pred in (p, q) for o in objects]
    graph_b = [ox.Triple(subjects[0], p, L("abc")), ox.Triple(B("z"), q, subjects[3])]
    return {"http://example.org/g/b": graph_b, "http://example.org/g": graph_a, "http://example.org/g/a": graph_a[:7]}


def test_sorted_lines_are_in_the_order_of_sorted_quads():
    graphs = _tricky_graphs()
    reference = canonical_quad_objects(
        ox.Quad(t.subject, t.predicate, t.object, N(g)) for g, triples in graphs.items() for t in triples
    )
    got = dumps.canonical_quads(graphs)
    assert got.lines == [ox.serialize([q], format=ox.RdfFormat.N_QUADS).rstrip(b"\n") for q in reference]
    union = sorted({q.triple for q in reference}, key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    assert got.triples == [ox.serialize([t], format=ox.RdfFormat.N_TRIPLES).rstrip(b" .\n") for t in union]
    assert got.graph_counts == {g: sum(1 for q in reference if q.graph_name.value == g) for g in graphs}


def test_canonical_turtle_has_the_bytes_of_canonicalising_every_triple(tmp_path):
    """void.ttl and validation-report.ttl canonicalise only the triples with blank nodes and
    sort the rest as lines: same labels, order and bytes as the whole graph canonicalised."""
    from scograph.build import write_canonical_turtle

    graphs = _tricky_graphs()
    triples = [t for g in graphs.values() for t in g] + [ox.Triple(B("y"), N("http://example.org/p"), B("x1"))]
    prefixes = {"ex": "http://example.org/"}
    reference = canonical_quad_objects(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples)
    count = write_canonical_turtle(triples, tmp_path / "g.ttl", prefixes)
    assert count == len(reference) < len(triples)  # duplicates counted once
    assert (tmp_path / "g.ttl").read_bytes() == ox.serialize(
        [q.triple for q in reference], format=ox.RdfFormat.TURTLE, prefixes=prefixes
    )


@pytest.fixture(scope="module")
def reference(release):
    """The release's quads and triples as the one-process writer held them: ox objects, sorted."""
    quads = list(ox.parse(path=str(release.path / "scograph.nq"), format=ox.RdfFormat.N_QUADS))
    union = sorted({q.triple for q in quads}, key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    prefixes = dict(PREFIXES)
    prefixes["id"] = release.base_iri + "id/"
    return quads, union, prefixes


@pytest.mark.parametrize("fmt", [f for f in DUMP_FORMATS if f.name != "jsonld"], ids=lambda f: f.name)
def test_each_format_has_the_bytes_of_the_one_process_writer(release, reference, fmt):
    quads, union, prefixes = reference
    wanted = ox.serialize(
        quads if fmt.quads else union, format=fmt.ox_format,
        prefixes=prefixes if fmt.name in ("ttl", "rdf", "trig") else None,
    )
    assert (release.path / fmt.filename).read_bytes() == wanted
    assert gzip.decompress((release.path / (fmt.filename + ".gz")).read_bytes()) == wanted


def test_jsonld_compacted_in_parallel_has_the_bytes_of_the_sequential_writer(release, reference, tmp_path):
    _quads, union, _prefixes = reference
    sequential = tmp_path / "sequential.jsonld"
    write_compacted_jsonld(union, sequential, release.base_iri)
    parallel = (release.path / "scograph.jsonld").read_bytes()
    assert parallel == sequential.read_bytes()
    assert gzip.decompress((release.path / "scograph.jsonld.gz").read_bytes()) == parallel
    # The gzip written while the file is written equals gzip of the finished file.
    assert (release.path / "scograph.jsonld.gz").read_bytes() == dumps.gzip_file(sequential).read_bytes()


def test_validation_jobs_balance_and_keep_every_partition_once():
    sizes = [7040] * 141 + [1280] + [3000] * 5
    plan = plan_jobs(sizes, workers=2)
    assert sorted(i for job in plan for i in job) == list(range(len(sizes)))
    loads = [sum(sizes[i] for i in job) for job in plan]
    assert len(plan) >= 8 and max(loads) <= 60_000 + max(sizes)
    assert max(loads) - min(loads) <= max(sizes)  # no job more than one partition heavier
    assert loads == sorted(loads, reverse=True)  # the longest jobs start first
    assert len(plan) % 2 == 0  # every worker gets as many jobs
    assert len(plan_jobs([7040] * 142, workers=2)) == 18  # 1M triples: 17 jobs of 60k would leave one worker idle at the end
    assert plan_jobs([5, 0], workers=2) == [[0], [1]]


def test_a_failed_dump_waits_for_the_store_and_starts_no_index(release, tmp_path, monkeypatch):
    """The caller removes the staging directory as soon as write_dumps raises: by then the store
    must be loaded and closed (no thread still writing into the directory), and the search
    index, which would read the store and write beside it, must not have started."""
    for name in ("scograph.nq", "scograph.nt"):
        shutil.copyfile(release.path / name, tmp_path / name)
    slow_load = dumps._load_store

    def load_slowly(*args):
        time.sleep(1.0)  # the dump fails long before the store is loaded
        return slow_load(*args)

    def failing_gzip(path):
        raise OSError(f"disk full while compressing {path.name}")

    monkeypatch.setattr(dumps, "_load_store", load_slowly)
    monkeypatch.setattr(dumps, "_gzip_job", failing_gzip)
    indexed = []
    with ThreadPoolExecutor(max_workers=2) as pool, pytest.raises(OSError, match="disk full"):
        dumps.write_dumps(tmp_path, release.base_iri, {}, "store", pool, after_load=lambda: indexed.append(1))
    assert not [t for t in threading.enumerate() if t.name.startswith("store-load")]
    assert indexed == []
    assert len(ox.Store.read_only(str(tmp_path / "store"))) == release.quads  # loaded whole, and closed
