"""Query workers are cut off the network, fail closed, tell why they died, and die with their parent.

Real processes throughout: query workers started by the real pool, ``scograph
serve`` as a subprocess, and a "host that forbids user namespaces" simulated by
``tests/restricted_host.py`` (a seccomp filter on the server's whole process
tree, as Docker's default profile does), with a TCP listener on 127.0.0.1 that
counts every connection a query manages to make.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from scograph.store.base import QueryCrashed
from scograph.store.embedded import EmbeddedStore
from tests.listeners import Listener
from tests.processes import ScographServe, alive, process_tree, restricted
from tests.test_sparql_safety import CARTESIAN


@pytest.fixture()
def listener():
    lst = Listener()
    yield lst
    lst.close()


def _request(query: str) -> dict:
    return {
        "query": query,
        "results_media_type": "application/sparql-results+json",
        "graph_media_type": "application/n-triples",
        "default_graph_uris": (),
        "named_graph_uris": (),
        "max_results": 10,
    }


def _service_query(port: int) -> str:
    return f"SELECT * {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}"


def _glued_payloads(port: int) -> list[str]:
    """Issue 9's bypasses of the guard's tokenizer, plus the plain forms."""
    base = f"http://127.0.0.1:{port}/"
    return [
        f"PREFIX : <{base}> SELECT * WHERE {{ SERVICE:x {{ ?s ?p ?o }} }}",
        f"PREFIX ex: <{base}> SELECT * WHERE {{ SERVICEex:x {{ ?s ?p ?o }} }}",
        f"PREFIX : <{base}> SELECT * FROM:x WHERE {{ ?s ?p ?o }}",
        f"SELECT * WHERE {{ SERVICE <{base}sparql> {{ ?s ?p ?o }} }}",
    ]


# -- each wall alone, below the guard -----------------------------------------------------


@pytest.mark.parametrize("wall", ["netns", "seccomp"])
def test_each_wall_alone_keeps_a_worker_off_the_network(release, listener, wall):
    store = EmbeddedStore(release, workers=1, network_walls=(wall,), result_cache_bytes=0)
    try:
        pool = store._workers()
        reply = pool.run(_request(_service_query(listener.port)), timeout=20, wait=30)
        status = store.status()
        assert reply[0] == "error", reply  # the engine's HTTP client could not connect
        assert status["network_walls"] == [wall]
        assert status["network_isolated"] is True
        (pid,) = status["pids"]
        if wall == "netns":
            assert os.readlink(f"/proc/{pid}/ns/net") != os.readlink("/proc/self/ns/net")
        else:
            assert "Seccomp:\t2" in Path(f"/proc/{pid}/status").read_text()
    finally:
        store.close()
    time.sleep(0.3)
    assert listener.connections == 0


_FILTERED = """
import ctypes, json, socket
from scograph.store import seccomp
assert seccomp.deny_network() is None
out = {}
for name in ("AF_INET", "AF_INET6", "AF_UNIX", "AF_NETLINK", "AF_PACKET"):
    try:
        socket.socket(getattr(socket, name), socket.SOCK_DGRAM if name != "AF_PACKET" else socket.SOCK_RAW).close()
        out[name] = "open"
    except OSError as exc:
        out[name] = exc.errno
a, b = socket.socketpair()
a.sendall(b"x")
out["socketpair"] = b.recv(1).decode()
libc = ctypes.CDLL(None, use_errno=True)
params = ctypes.create_string_buffer(120)
out["io_uring_setup"] = (libc.syscall(425, 1, params), ctypes.get_errno())
print(json.dumps(out))
"""


def test_the_seccomp_filter_refuses_every_new_socket_and_io_uring():
    """AF_UNIX too: glibc's lookups through nscd or systemd-resolved would carry names out as DNS."""
    done = subprocess.run([sys.executable, "-c", _FILTERED], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    for family in ("AF_INET", "AF_INET6", "AF_UNIX", "AF_NETLINK", "AF_PACKET"):
        assert out[family] == 13, out  # EACCES
    assert out["socketpair"] == "x"
    assert out["io_uring_setup"] == [-1, 1], out  # EPERM


def test_without_a_wall_the_same_query_does_connect(release, listener):
    """The control: the listener would see the query, so the zero above is the walls' doing."""
    store = EmbeddedStore(release, workers=1, network_walls=(), require_network_wall=False, result_cache_bytes=0)
    try:
        store._workers().run(_request(_service_query(listener.port)), timeout=20, wait=30)
        assert store.status()["network_isolated"] is False
    finally:
        store.close()
    deadline = time.monotonic() + 5
    while listener.connections == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert listener.connections >= 1


def test_a_worker_that_can_raise_no_wall_counts_as_failed(release):
    store = EmbeddedStore(release, workers=1, network_walls=("no-such-wall",), result_cache_bytes=0)
    try:
        pool = store._workers()
        deadline = time.monotonic() + 30
        while pool.last_start_error is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "could raise no network wall" in (pool.last_start_error or "")
        assert store.status()["workers"] == 0
    finally:
        store.close()


# -- a host that forbids user namespaces (like Docker's default profile) ---------------------


def test_without_user_namespaces_seccomp_alone_keeps_serve_off_the_network(settings, release, tmp_path, listener):
    server = ScographServe(settings.build_dir, tmp_path / "serve.log", "--workers", "1", "--max-concurrent-queries", "2",
                           "--result-cache-mb", "0", prefix=restricted("userns"))
    try:
        health = server.wait_ready()
        assert health["queries"]["network_walls"] == ["seccomp"]
        assert "cut off the network by: seccomp" in server.log()
        for pid in health["queries"]["pids"]:
            assert os.readlink(f"/proc/{pid}/ns/net") == os.readlink("/proc/self/ns/net")  # no namespace here
            assert "Seccomp:\t2" in Path(f"/proc/{pid}/status").read_text()
        responses = [server.query(q) for q in _glued_payloads(listener.port)]
        # Refused by the guard, or answered by a worker that could not connect: either way, no traffic.
        assert all("Traceback" not in r.text for r in responses)
    finally:
        server.stop()
    time.sleep(0.3)
    assert listener.connections == 0


def test_with_no_wall_possible_serve_refuses_in_one_sentence(settings, release, tmp_path):
    log = tmp_path / "serve.log"
    server = ScographServe(settings.build_dir, log, prefix=restricted("userns,seccomp"))
    try:
        returncode = server.process.wait(timeout=120)
    finally:
        server.stop()
    output = log.read_text("utf-8", errors="replace")
    assert returncode == 2, output
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, output
    sentence = errors[0].removeprefix("error: ")
    assert "cannot be cut off the network" in sentence
    assert "--unsafe-allow-network" in sentence
    assert ". " not in sentence.rstrip(".")  # one sentence
    assert "Traceback" not in output
    with pytest.raises(requests.ConnectionError):
        requests.get(server.url + "/healthz", timeout=2)


def test_unsafe_allow_network_serves_and_says_so_loudly(settings, release, tmp_path):
    server = ScographServe(settings.build_dir, tmp_path / "serve.log", "--workers", "1", "--max-concurrent-queries", "1",
                           "--unsafe-allow-network", prefix=restricted("userns,seccomp"))
    try:
        health = server.wait_ready()
        assert health["queries"]["network_walls"] == []
        assert health["queries"]["network_isolated"] is False
        log = server.log()
        assert "WARNING: --unsafe-allow-network: query workers HAVE FULL NETWORK ACCESS" in log
        assert "HAS FULL NETWORK ACCESS" in log  # and again for each worker
    finally:
        server.stop()


# -- why a worker died ------------------------------------------------------------------------


def test_a_stack_overflow_is_not_reported_as_memory(release, caplog):
    store = EmbeddedStore(release, workers=1, result_cache_bytes=0)
    deep = "SELECT * WHERE " + "{ " * 10000 + "?s ?p ?o" + " }" * 10000
    try:
        pool = store._workers()
        with caplog.at_level("WARNING", logger="scograph.store"):
            with pytest.raises(QueryCrashed) as crash:
                pool.run(_request(deep), timeout=30, wait=30)
        assert "SIGSEGV" in str(crash.value) and "memory" not in str(crash.value)
        assert any("SIGSEGV" in r.getMessage() and "died during a query" in r.getMessage() for r in caplog.records)
        assert store.ask("ASK { ?s ?p ?o }") is True  # replaced
    finally:
        store.close()


def test_a_worker_killed_from_outside_is_reported_as_killed(release):
    store = EmbeddedStore(release, workers=1, timeout=30, result_cache_bytes=0)
    try:
        store.check(30)
        (pid,) = store.status()["pids"]
        outcome: list = []
        thread = threading.Thread(target=lambda: outcome.append(_capture(store.run, CARTESIAN)))
        thread.start()
        time.sleep(1.0)
        os.kill(pid, signal.SIGKILL)
        thread.join(timeout=30)
        (error,) = outcome
        assert isinstance(error, QueryCrashed) and "SIGKILL" in str(error), error
    finally:
        store.close()


def _capture(function, *args):
    try:
        return function(*args)
    except Exception as exc:
        return exc


# -- dying with the parent ------------------------------------------------------------------------

_POOL_OWNER = """
import json, sys, threading, time
from scograph.release import Release
from scograph.store.embedded import EmbeddedStore
store = EmbeddedStore(Release.open(sys.argv[1]), workers=2, timeout=60, result_cache_bytes=0)
store.check(30)
deadline = time.monotonic() + 30
while store.status()["workers"] < 2 and time.monotonic() < deadline:
    time.sleep(0.05)
print(json.dumps(store.status()["pids"]), flush=True)
threading.Thread(target=lambda: store.run(sys.argv[2]), daemon=True).start()  # one worker busy when we die
time.sleep(120)
"""


def test_kill_9_of_the_pool_owner_leaves_no_query_worker(release):
    owner = subprocess.Popen([sys.executable, "-c", _POOL_OWNER, str(release.path), CARTESIAN],
                             stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        pids = json.loads(owner.stdout.readline())
        assert len(pids) == 2 and all(alive(pid) for pid in pids)
        time.sleep(0.5)
        owner.kill()
        owner.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in pids if alive(pid)]
    finally:
        owner.kill()
        owner.wait(timeout=10)


def test_kill_9_of_a_serving_process_leaves_no_query_worker(settings, release, tmp_path):
    server = ScographServe(settings.build_dir, tmp_path / "serve.log", "--workers", "1", "--max-concurrent-queries", "2")
    try:
        query_workers = server.wait_ready()["queries"]["pids"]
        tree = process_tree(server.process.pid)
        web_processes = [pid for pid in tree if pid != server.process.pid and pid not in query_workers]
        owner = [pid for pid in web_processes if set(query_workers) <= set(process_tree(pid))]
        assert len(owner) == 1, (tree, query_workers)
        # One worker busy with a runaway query: it reads no EOF, only the kernel's signal stops it.
        runaway = threading.Thread(target=_capture, args=(server.query, CARTESIAN, 30), daemon=True)
        runaway.start()
        time.sleep(1.0)
        os.kill(owner[0], signal.SIGKILL)
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in query_workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in query_workers if alive(pid)]
    finally:
        server.stop()
