"""Answers are capped in bytes, memory comes back after huge answers, and /healthz tells the truth.

Against a real ``scograph serve`` (subprocess, 127.0.0.1), with its process tree's
resident memory read from /proc.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pyoxigraph as ox
import pytest
import requests

from tests.processes import ScographServe, process_tree, rss_bytes

BYTE_CAP = 1024 * 1024


def huge_literal_query(doublings: int = 23) -> str:
    """One row whose one value is 13 * 2**doublings characters (23: 109 MB), built by the engine."""
    binds = 'BIND("0123456789abc" AS ?a0) ' + " ".join(
        f"BIND(CONCAT(?a{i}, ?a{i}) AS ?a{i + 1})" for i in range(doublings)
    )
    return f"SELECT ?a{doublings} WHERE {{ {binds} }}"


@pytest.fixture(scope="module")
def capped_server(settings, release, tmp_path_factory):
    server = ScographServe(
        settings.build_dir, tmp_path_factory.mktemp("capped") / "serve.log",
        "--workers", "1", "--max-concurrent-queries", "3", "--result-cache-mb", "0",
        "--max-result-bytes", str(BYTE_CAP), "--max-results", "100000",
        "--query-timeout", "60",  # the huge literals take seconds on a shared 2-core machine
        "--queue-timeout", "30",  # a worker replaced after the warm-up may take seconds to start under load
    )
    server.wait_ready()
    yield server
    server.stop()


def test_huge_literals_are_cut_at_the_byte_cap_and_memory_comes_back(capped_server):
    ordinary = "SELECT * WHERE { ?s ?p ?o } LIMIT 50"
    with ThreadPoolExecutor(max_workers=3) as pool:  # warm every worker once
        assert all(r.status_code == 200 for r in pool.map(capped_server.query, [ordinary] * 6))
    time.sleep(1.0)
    start = rss_bytes(process_tree(capped_server.process.pid))
    with ThreadPoolExecutor(max_workers=3) as pool:
        responses = list(pool.map(capped_server.query, [huge_literal_query()] * 3))
    for response in responses:
        assert response.status_code == 200, response.text[:300]
        assert response.headers["X-Result-Truncated"] == "true"
        assert response.headers["X-Result-Byte-Limit"] == str(BYTE_CAP)
        assert len(response.content) <= BYTE_CAP
        assert response.json()["results"]["bindings"] == []  # the one row did not fit
    deadline = time.monotonic() + 30
    after = rss_bytes(process_tree(capped_server.process.pid))
    while after > start * 1.2 and time.monotonic() < deadline:
        time.sleep(0.5)
        after = rss_bytes(process_tree(capped_server.process.pid))
    assert after <= start * 1.2, f"process tree RSS {start / 2**20:.0f} MB before, {after / 2**20:.0f} MB after"


@pytest.mark.parametrize(
    ("query", "accept", "parse"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", "application/sparql-results+json", ox.QueryResultsFormat.JSON),
        ("SELECT * WHERE { ?s ?p ?o }", "application/sparql-results+xml", ox.QueryResultsFormat.XML),
        ("SELECT * WHERE { ?s ?p ?o }", "text/csv", "csv"),
        ("SELECT * WHERE { ?s ?p ?o }", "text/tab-separated-values", ox.QueryResultsFormat.TSV),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "text/turtle", ox.RdfFormat.TURTLE),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "application/ld+json", ox.RdfFormat.JSON_LD),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "application/rdf+xml", ox.RdfFormat.RDF_XML),
    ],
)
def test_every_format_is_cut_into_a_whole_answer(capped_server, query, accept, parse):
    """Many small rows past the cap (the data repeated 40 times): cut between rows, never inside one."""
    big = query.replace("{ ?s ?p ?o }", "{ ?s ?p ?o VALUES ?copy { " + " ".join(map(str, range(40))) + " } }")
    if query.startswith("CONSTRUCT"):
        big = "CONSTRUCT { ?s ?p ?o . ?s <urn:copy> ?copy } WHERE { ?s ?p ?o VALUES ?copy { " + " ".join(map(str, range(40))) + " } }"
    response = capped_server.query(big, headers={"Accept": accept})
    assert response.status_code == 200, response.text[:300]
    assert response.headers["X-Result-Truncated"] == "true"
    assert len(response.content) <= BYTE_CAP
    count = int(response.headers["X-Result-Count"])
    assert count > 0
    if parse == "csv":  # pyoxigraph does not read CSV results (lossy); the csv module does
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"), newline="")))
        assert len(rows) == count + 1  # a header line, then the rows
    elif isinstance(parse, ox.QueryResultsFormat):
        rows = list(ox.parse_query_results(io.BytesIO(response.content), format=parse))
        assert len(rows) == count
    else:
        triples = list(ox.parse(response.content, format=parse))
        assert len(triples) == count


def test_small_answers_are_whole(capped_server):
    response = capped_server.query("SELECT * WHERE { ?s ?p ?o } LIMIT 10")
    assert response.headers["X-Result-Truncated"] == "false"
    assert response.headers["X-Result-Byte-Limit"] == str(BYTE_CAP)
    assert int(response.headers["X-Result-Count"]) == 10


# -- /healthz --------------------------------------------------------------------------------


def test_healthz_says_503_and_why_when_the_store_breaks(settings, release, tmp_path):
    build_dir = tmp_path / "build"
    shutil.copytree(settings.build_dir, build_dir, symlinks=True)
    store_dir = build_dir / "releases" / release.version / "store"
    server = ScographServe(build_dir, tmp_path / "serve.log", "--workers", "1", "--max-concurrent-queries", "2")
    try:
        pids = server.wait_ready()["queries"]["pids"]
        assert server.health().status_code == 200  # the result cache now holds any ASK it answered
        for path in store_dir.iterdir():
            path.unlink()
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        started = time.monotonic()
        health = server.health()
        while health.status_code != 503 or "No such file" not in health.json().get("error", ""):
            assert time.monotonic() - started < 30, (health.status_code, health.text, server.log()[-2000:])
            time.sleep(0.5)
            health = server.health()
        assert health.json()["status"] == "error"
        assert health.headers["Cache-Control"] == "no-store"
        query = server.query("ASK { ?s ?p ?o }", timeout=30)
        assert query.status_code == 503 and "No such file" in query.json()["message"], query.text
        failures = [line for line in server.log().splitlines() if "query worker failed to start" in line]
        assert failures and "No such file or directory" in failures[-1] and str(store_dir) in failures[-1]
    finally:
        server.stop()


def test_healthz_answers_from_a_worker_not_the_cache(settings, release, tmp_path):
    """With every worker killed and none able to start, a cached answer must not make it 200."""
    build_dir = tmp_path / "build"
    shutil.copytree(settings.build_dir, build_dir, symlinks=True)
    server = ScographServe(build_dir, tmp_path / "serve.log", "--workers", "1", "--max-concurrent-queries", "1")
    try:
        (pid,) = server.wait_ready()["queries"]["pids"]
        for _ in range(3):
            assert server.health().status_code == 200
            assert server.query("ASK { ?s ?p ?o }").status_code == 200
        (build_dir / "releases" / release.version / "store" / "CURRENT").unlink()
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while server.health().status_code != 503:
            assert time.monotonic() < deadline, server.log()[-2000:]
            time.sleep(0.3)
        assert server.query("ASK { ?s ?p ?o }").status_code == 200  # a cached page answer still serves
    finally:
        server.stop()


def test_healthz_refuses_nothing_it_should_answer(capped_server):
    health = requests.get(capped_server.url + "/healthz", timeout=10)
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    assert health.json()["queries"]["network_isolated"] is True


# -- the same cap on the remote store --------------------------------------------------------


@pytest.fixture(scope="module")
def capped_remote(release, tmp_path_factory):
    from scograph.publish import publish
    from scograph.store.remote import RemoteStore
    from tests.triplestores import oxigraph_server

    with oxigraph_server(tmp_path_factory.mktemp("oxigraph")) as server:
        publish(release, server.target, grace=0)
        store = RemoteStore(server.query_url, max_results=100_000, max_response_bytes=64 * 1024, result_cache_bytes=0)
        yield store
        store.close()


@pytest.mark.remote
@pytest.mark.parametrize("media_type", ["application/sparql-results+json", "application/sparql-results+xml"])
def test_the_remote_store_stops_reading_at_the_cap_and_keeps_whole_rows(capped_remote, media_type):
    copies = " ".join(map(str, range(40)))
    outcome = capped_remote.run(f"SELECT * WHERE {{ ?s ?p ?o VALUES ?copy {{ {copies} }} }}", results_media_type=media_type)
    assert outcome.truncated and 0 < outcome.count
    assert len(outcome.body) <= 64 * 1024
    assert len(list(ox.parse_query_results(outcome.body, format=ox.QueryResultsFormat.from_media_type(media_type)))) == outcome.count


@pytest.mark.remote
def test_the_remote_store_cuts_graphs_and_huge_literals_too(capped_remote):
    copies = " ".join(map(str, range(40)))
    graph = capped_remote.run(f"CONSTRUCT {{ ?s <urn:copy> ?copy }} WHERE {{ ?s ?p ?o VALUES ?copy {{ {copies} }} }}")
    assert graph.truncated and len(graph.body) <= 64 * 1024
    assert len(list(ox.parse(graph.body, format=ox.RdfFormat.N_TRIPLES))) == graph.count > 0
    started = time.monotonic()
    huge = capped_remote.run(huge_literal_query())
    assert huge.truncated and huge.count == 0 and len(huge.body) <= 64 * 1024
    assert time.monotonic() - started < 30


def test_a_query_nested_10000_deep_is_never_called_a_memory_problem(capped_server):
    deep = "SELECT * WHERE " + "{ " * 10000 + "?s ?p ?o" + " }" * 10000
    response = capped_server.query(deep)
    # 400 once the guard limits nesting; until then the worker's crash, named for what it is.
    assert response.status_code in (400, 500), response.text[:300]
    message = response.json()["message"]
    assert "memory" not in message
    if response.status_code == 500:
        assert "SIGSEGV" in message and "stack overflow" in message
    assert capped_server.query("ASK { ?s ?p ?o }").status_code == 200
