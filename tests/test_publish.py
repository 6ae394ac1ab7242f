"""``scograph publish`` against real servers: no half-published state is ever visible,
failures leave the old release served, and front ends share one store."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from dataclasses import replace

import pyoxigraph as ox
import pytest
import rdflib
import requests
from rdflib.compare import isomorphic

from scograph.build import build
from scograph.config import Settings
from scograph.publish import PublishError, chunks, current_release, publish
from scograph.store.pointer import pointer_graph_iri
from scograph.store.remote import RemoteStore
from tests.conftest import REPO
from tests.processes import free_port, stop
from tests.triplestores import oxigraph_server, virtuoso_server

pytestmark = pytest.mark.remote

GRAPH_COUNTS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


def _release_with_comment(root, comment: str):
    """A release of the same base IRI with one more triple: what a routine update looks like."""
    for name in ("ontology", "data", "shapes"):
        shutil.copytree(REPO / name, root / name)
    (root / "data" / "zz-update.ttl").write_text(
        "<https://w3id.org/scograph/id/place/qingdao> <http://www.w3.org/2000/01/rdf-schema#comment> "
        f'"{comment}"@en .\n',
        "utf-8",
    )
    return build(Settings(source_root=root, build_dir=root / "build"))


@pytest.fixture(scope="module")
def second_release(tmp_path_factory):
    return _release_with_comment(tmp_path_factory.mktemp("sources-b"), "Host city of the 2024 Forum.")


@pytest.fixture(scope="module")
def third_release(tmp_path_factory):
    return _release_with_comment(tmp_path_factory.mktemp("sources-c"), "Host city of the 2024 Green Development Forum.")


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def server(request, tmp_path_factory):
    starter = oxigraph_server if request.param == "oxigraph" else virtuoso_server
    with starter(tmp_path_factory.mktemp(request.param)) as running:
        yield running


def _counts(store: RemoteStore) -> dict[str, int]:
    return {str(row["g"]): int(row["n"]) for row in store.select(GRAPH_COUNTS)}


def _stored_graphs(server) -> set[str]:
    """Every scograph graph the server holds, asked directly (not through the pointer).

    Virtuoso keeps system graphs of its own; only graphs under the release's base IRI count.
    """
    response = requests.post(
        server.query_url,
        data={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    response.raise_for_status()
    graphs = {row["g"]["value"] for row in response.json()["results"]["bindings"]}
    return {g for g in graphs if g.startswith("https://w3id.org/scograph/")}


def _expected_graphs(server, release) -> set[str]:
    """The graphs a store should hold when ``release`` is served: its versioned graphs and the pointer."""
    served = current_release(server.target, release.base_iri)
    assert served is not None and served.version == release.version
    assert set(served.graphs) == set(release.graphs)
    for logical, physical in served.graphs.items():
        assert physical.startswith(f"{logical}/v/{release.version}/"), physical
    return set(served.graphs.values()) | {pointer_graph_iri(release.base_iri)}


def test_a_reader_during_republish_sees_only_complete_releases(server, release, second_release):
    publish(release, server.target, grace=0)
    assert release.graphs != second_release.graphs
    observed: list[dict[str, int]] = []
    errors: list[BaseException] = []
    stop, reading = threading.Event(), threading.Event()
    reader = RemoteStore(server.query_url, pointer_ttl=0)

    def read() -> None:
        try:
            # Bounded: stops when told, or after 3000 reads at most.
            for _ in range(3000):
                observed.append(_counts(reader))
                reading.set()
                if stop.is_set():
                    break
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            reading.set()
            reader.close()

    thread = threading.Thread(target=read)
    thread.start()
    try:
        assert reading.wait(timeout=30), "the reader never read"
        # Small chunks make the upload long enough for many reads to overlap it.
        publish(second_release, server.target, chunk_triples=150, grace=0.5)
        for _ in range(3):
            observed.append(_counts(RemoteStore(server.query_url, pointer_ttl=0)))
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not errors, errors
    allowed = [release.graphs, second_release.graphs]
    half = [seen for seen in observed if seen not in allowed]
    assert not half, f"a reader saw a state that is neither release: {half[0]}"
    assert observed[0] == release.graphs and observed[-1] == second_release.graphs
    assert len(observed) > 5
    # The previous release's graphs are gone; only the new release and the pointer remain.
    assert _stored_graphs(server) == _expected_graphs(server, second_release)


def test_a_pointer_empty_for_an_instant_is_read_again(server, release):
    """Virtuoso shows a DELETE/INSERT of the pointer to readers in two steps, so a reader
    polling during a republish may find the pointer empty for an instant (seen in full
    suite runs of the test above). Empty the real pointer graph, put it back 0.2 s later:
    the reader must wait that out and name the release, not answer "nothing published"."""
    from scograph.publish import _Server
    from scograph.store.pointer import pointer_triples

    publish(release, server.target, grace=0)
    current = current_release(server.target, release.base_iri)
    graph = pointer_graph_iri(release.base_iri)
    writer = _Server(server.target)
    put_back = f"INSERT DATA {{ GRAPH <{graph}> {{\n{pointer_triples(current)}\n}} }}"
    writer.update("emptying the pointer", f"CLEAR GRAPH <{graph}>")
    restore = threading.Timer(0.2, writer.update, ("restoring the pointer", put_back))
    restore.start()
    try:
        reader = RemoteStore(server.query_url, pointer_ttl=0)
        assert reader.version == release.version
        reader.close()
    finally:
        restore.join(timeout=10)
    # Nothing published at all is still said, once the pauses are over.
    writer.update("emptying the pointer", f"CLEAR GRAPH <{graph}>")
    with pytest.raises(Exception, match="no scograph release is published"):
        RemoteStore(server.query_url, pointer_ttl=0)
    writer.update("restoring the pointer", put_back)  # the store as the other tests expect it


def test_an_interrupted_publish_leaves_the_old_release_served(server, release, second_release):
    publish(release, server.target, grace=0)

    def interrupt(graph: str, done: int, total: int) -> None:
        if graph.endswith("/graph/data") and done > 0:
            raise KeyboardInterrupt  # what Ctrl-C in the middle of an upload looks like

    with pytest.raises(KeyboardInterrupt):
        publish(second_release, server.target, chunk_triples=200, progress=interrupt, grace=0)
    reader = RemoteStore(server.query_url)
    assert reader.version == release.version
    assert _counts(reader) == release.graphs
    assert _stored_graphs(server) == _expected_graphs(server, release), "the partial upload was dropped"


def test_a_server_error_mid_publish_names_the_server_and_leaves_the_old_release(server, release, second_release):
    publish(release, server.target, grace=0)
    broken = replace(server.target, update_url=server.root_url + "/no-such-endpoint")
    with pytest.raises(PublishError) as failure:
        publish(second_release, broken, grace=0)
    message = str(failure.value)
    assert "/no-such-endpoint" in message and f"release {release.version} is still served" in message
    reader = RemoteStore(server.query_url)
    assert reader.version == release.version and _counts(reader) == release.graphs
    assert _stored_graphs(server) == _expected_graphs(server, release), "the uploaded graphs were dropped (through the GSP)"


def test_of_two_racing_publishes_one_wins_whole_and_the_other_says_so(server, release, second_release, third_release):
    """Another publish starts and finishes while this one is uploading: the pointer switch is a
    compare-and-swap, so this one must not overwrite the winner, nor drop the winner's graphs."""
    publish(release, server.target, grace=0)
    winner = []

    def race(_graph: str, _done: int, _total: int) -> None:
        if not winner:
            winner.append(publish(second_release, server.target, grace=0))

    with pytest.raises(PublishError) as lost:
        publish(third_release, server.target, progress=race, grace=0)
    assert winner and winner[0].version == second_release.version and not winner[0].skipped
    message = str(lost.value)
    assert "another publish" in message and f"now names release {second_release.version}" in message
    assert f"release {second_release.version} is still served" in message
    reader = RemoteStore(server.query_url, pointer_ttl=0)
    assert reader.version == second_release.version and _counts(reader) == second_release.graphs
    assert _stored_graphs(server) == _expected_graphs(server, second_release), "the loser left graphs behind"


def test_two_runs_publishing_the_same_release_leave_one_copy(server, release, second_release):
    publish(release, server.target, grace=0)
    winner = []

    def race(_graph: str, _done: int, _total: int) -> None:
        if not winner:
            winner.append(publish(second_release, server.target, grace=0))

    outcome = publish(second_release, server.target, progress=race, grace=0)
    assert outcome.skipped and outcome.graphs == winner[0].graphs
    reader = RemoteStore(server.query_url, pointer_ttl=0)
    assert reader.version == second_release.version and _counts(reader) == second_release.graphs
    assert _stored_graphs(server) == _expected_graphs(server, second_release), "the surplus copy was not dropped"


def test_two_front_ends_on_one_store_answer_the_same_and_follow_a_publish(server, release, second_release):
    publish(release, server.target, grace=0)
    one, two = RemoteStore(server.query_url, pointer_ttl=0), RemoteStore(server.query_url, pointer_ttl=0)
    query = "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label } ORDER BY ?s ?label"
    assert one.run(query).body == two.run(query).body
    assert one.version == two.version == release.version
    publish(second_release, server.target, grace=0)
    assert one.version == two.version == second_release.version
    assert one.run(query).body == two.run(query).body
    assert _counts(one) == _counts(two) == second_release.graphs


def test_cached_answers_are_for_the_release_being_served(server, release, second_release):
    """The remote store's result cache answers repeats, and a publish is never hidden by it."""
    publish(release, server.target, grace=0)
    cached = RemoteStore(server.query_url, pointer_ttl=0)
    query = (
        "SELECT ?comment WHERE { <https://w3id.org/scograph/id/place/qingdao> "
        "<http://www.w3.org/2000/01/rdf-schema#comment> ?comment }"
    )
    first = cached.run(query)
    assert cached.run(query) is first and cached.status()["result_cache"]["hits"] == 1
    assert first.count == 0
    publish(second_release, server.target, grace=0)
    after = cached.run(query)
    assert after.count == 1 and "Host city" in after.body.decode("utf-8")
    uncached = RemoteStore(server.query_url, pointer_ttl=0, result_cache_bytes=0)
    assert uncached.run(query).body == after.body and "result_cache" not in uncached.status()


def _serve_remote(store_url: str, workdir) -> tuple[subprocess.Popen, str]:
    """A real ``scograph serve --store URL`` front end (granian), with no local release at all."""
    port = free_port()
    log = (workdir / f"serve-{port}.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "scograph", "serve", "--build-dir", str(workdir), "--port", str(port), "--store", store_url],
        stdout=log, stderr=subprocess.STDOUT, cwd=workdir,
    )
    return process, f"http://127.0.0.1:{port}"


def _wait_healthy(process: subprocess.Popen, url: str, seconds: float = 60) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "scograph serve --store exited"
        try:
            health = requests.get(url + "/healthz", timeout=2).json()
            if health.get("status") == "ok":
                return health
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} not healthy after {seconds} s")


def test_two_serve_processes_on_one_store_serve_the_same_pages_and_answers(server, release, second_release, tmp_path):
    publish(release, server.target, grace=0)
    fronts = [_serve_remote(server.query_url, tmp_path) for _ in range(2)]
    try:
        for process, url in fronts:
            assert _wait_healthy(process, url)["release"] == release.version
        query = "SELECT ?clause ?text WHERE { ?clause <https://w3id.org/scograph/ontology#text> ?text } ORDER BY ?clause ?text"
        answers = [requests.post(url + "/sparql", data={"query": query}, headers={"Accept": "application/sparql-results+json"}, timeout=30) for _, url in fronts]
        assert all(a.status_code == 200 for a in answers)
        assert answers[0].json() == answers[1].json()
        assert len(answers[0].json()["results"]["bindings"]) >= 30
        page = "/id/document/2024/green-development-initiative/clause/op-3"
        pages = [requests.get(url + page, headers={"Accept": "text/turtle"}, timeout=30) for _, url in fronts]
        assert all(p.status_code == 200 for p in pages), [p.status_code for p in pages]
        graphs = [rdflib.Graph().parse(data=p.text, format="turtle") for p in pages]
        assert len(graphs[0]) > 5 and isomorphic(graphs[0], graphs[1])

        # Stateless: both follow a publish on their own (their pointer cache expires within seconds).
        publish(second_release, server.target, grace=0)
        for process, url in fronts:
            deadline = time.monotonic() + 20
            while _wait_healthy(process, url)["release"] != second_release.version:
                assert time.monotonic() < deadline, f"{url} still serves the old release"
                time.sleep(0.2)
    finally:
        for process, _ in fronts:
            stop(process)


def test_publish_command_shows_progress_and_fails_clearly(server, release, tmp_path):
    command = [sys.executable, "-m", "scograph", "publish", "--to", server.root_url, "--preset", server.kind,
               "--release", str(release.path), "--grace", "0", "--chunk-triples", "500"]
    if server.kind == "virtuoso":
        command += ["--user", server.target.auth.username, "--password", server.target.auth.password]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == release.version
    assert "graph/data:" in done.stderr and "triples" in done.stderr

    refused = subprocess.run(
        [sys.executable, "-m", "scograph", "publish", "--to", "http://127.0.0.1:9", "--release", str(release.path)],
        capture_output=True, text=True, timeout=60,
    )
    assert refused.returncode == 1
    assert "publish failed" in refused.stderr and "http://127.0.0.1:9" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_chunks_keep_each_blank_node_in_one_upload():
    ex = "http://example.org/"
    triples = [ox.Triple(ox.NamedNode(f"{ex}s{i}"), ox.NamedNode(f"{ex}p"), ox.Literal(str(i))) for i in range(10)]
    node, inner = ox.BlankNode("a"), ox.BlankNode("b")
    triples += [
        ox.Triple(ox.NamedNode(f"{ex}s0"), ox.NamedNode(f"{ex}q"), node),
        ox.Triple(node, ox.NamedNode(f"{ex}r"), inner),
        ox.Triple(inner, ox.NamedNode(f"{ex}r"), ox.Literal("x")),
    ]
    parts = list(chunks(triples, 2))
    assert sum(len(p) for p in parts) == len(triples)
    holding = [p for p in parts if any(isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for t in p)]
    assert len(holding) == 1 and len(holding[0]) == 3
