"""The HTTP server as a process: slow clients, dying parents, a taken port.

Each test runs a real ``scograph serve`` on 127.0.0.1 and a free port and attacks
it as a client or an operator would: hundreds of sockets that trickle their
headers, ``kill -9`` of the main process, SIGTERM, a port already in use.
Bounded: at most 500 sockets, every wait has a deadline.
"""

from __future__ import annotations

import os
import signal
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

from scograph.examples import example_queries
from scograph.serve import HEADER_READ_TIMEOUT, ServeOptions
from scograph.web.app import WebConfig
from tests.processes import free_port, stop, wait_until_ready
from tests.slow_clients import Tricklers, ordinary_requests

SCOGRAPH = Path(sys.executable).with_name("scograph")
SLOW_SOCKETS = 500
PROCESSES = 2
QUERY_WORKERS = 2  # --max-concurrent-queries: one query worker per HTTP worker process


def _start(build_dir: Path, log: Path, *args: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(SCOGRAPH), "serve", "--build-dir", str(build_dir), "--port", str(port), *args],
            stdout=out, stderr=subprocess.STDOUT,
        )
    wait_until_ready(f"http://127.0.0.1:{port}/healthz", process, seconds=60, log=log)
    return process, port


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    return children


def _descendants(pid: int) -> set[int]:
    children, found, todo = _children(), set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"  # a zombie has exited; only its parent's wait is missing


def _wait_for_tree(process: subprocess.Popen, expected: int, limit: float = 60) -> set[int]:
    """The server's processes once all ``expected`` are up and stay so for a second
    (query workers start in the background, after /healthz first answers)."""
    deadline = time.monotonic() + limit
    stable_since, last = time.monotonic(), set()
    while time.monotonic() < deadline:
        tree = {pid for pid in _descendants(process.pid) if _alive(pid)}
        if tree != last:
            stable_since, last = time.monotonic(), tree
        elif len(tree) == expected and time.monotonic() - stable_since >= 1.0:
            return tree
        time.sleep(0.1)
    raise AssertionError(f"expected {expected} processes under scograph serve, found {sorted(last)}")


@pytest.fixture(scope="module")
def server(settings, release, tmp_path_factory):
    log = tmp_path_factory.mktemp("serve-process") / "serve.log"
    process, port = _start(settings.build_dir, log, "--max-concurrent-queries", str(QUERY_WORKERS), "--workers", str(PROCESSES))
    yield f"http://127.0.0.1:{port}", port, log
    stop(process)


def test_500_trickling_sockets_do_not_starve_ordinary_requests(server):
    url, port, _log = server
    example = example_queries()[0]
    query_url = f"{url}/sparql?query={quote(example.query)}"
    assert requests.get(query_url, timeout=10).status_code == 200  # cached from now on
    urls = [url + "/healthz", url + "/", query_url]

    slow = Tricklers("127.0.0.1", port, SLOW_SOCKETS, interval=1.0).start()
    try:
        assert slow.refused == 0, f"{slow.refused} of {SLOW_SOCKETS} slow sockets were not even accepted"
        time.sleep(1.0)  # every slow socket has sent its request line and started trickling
        assert slow.still_open == SLOW_SOCKETS, "the slow sockets were dropped before the test could use them"
        during = ordinary_requests(urls, count=90, timeout=10, deadline=30)
        print(f"\nordinary requests with {slow.still_open}+ trickling sockets open: {during.summary()}")
        # Every one answered; the bound is generous on a shared machine (the p99 goes in the report).
        assert not during.failures, during.failures[:5]
        assert during.percentile(0.99) < 5.0, during.summary()

        # The server lets go of each slow socket at its header-read timeout, not later.
        deadline = time.monotonic() + HEADER_READ_TIMEOUT + 20
        while slow.still_open and time.monotonic() < deadline:
            time.sleep(0.5)
        assert slow.still_open == 0, f"{slow.still_open} slow sockets still open {HEADER_READ_TIMEOUT + 20:.0f} s later"
        assert HEADER_READ_TIMEOUT - 1 <= min(slow.closed_after) and max(slow.closed_after) <= HEADER_READ_TIMEOUT + 10, (
            min(slow.closed_after), max(slow.closed_after))
    finally:
        slow.close()
    assert requests.get(url + "/healthz", timeout=10).status_code == 200


SLOW_BODIES = 120  # more than both processes' body slots together (half their threads)


def test_slow_bodies_hold_at_most_half_the_threads_and_pages_stay_up(server):
    """Headers sent promptly, then a POST body trickled byte by byte: the server has no
    body-read timeout, so those wait in at most half of each process's threads; the rest
    are told 503 at once, and requests without a body are answered throughout."""
    url, port, _log = server
    head = (b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
            b"Content-Length: 1000\r\n\r\nASK")
    slow = []
    try:
        for _ in range(SLOW_BODIES):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            sock.sendall(head)
            slow.append(sock)
        time.sleep(2.0)  # every one has reached a thread, or been refused
        during = ordinary_requests([url + "/healthz", url + "/"], count=40, timeout=10, deadline=30)
        print(f"\nordinary requests with {SLOW_BODIES} slow bodies: {during.summary()}")
        assert not during.failures, during.failures[:5]
        refused = 0
        for sock in slow:
            sock.setblocking(False)
            try:
                refused += sock.recv(64).startswith(b"HTTP/1.1 503")
            except BlockingIOError:  # still waiting in a body slot
                pass
        slots = 2 * (ServeOptions(workers=PROCESSES, web=WebConfig(max_concurrent_queries=QUERY_WORKERS)).threads_per_process // 2)
        assert refused >= SLOW_BODIES - slots, f"only {refused} of {SLOW_BODIES} slow bodies were refused ({slots} slots)"
    finally:
        for sock in slow:
            sock.close()
    # Once they are gone, a POSTed query is answered again.
    response = requests.post(url + "/sparql", data={"query": "ASK {}"}, timeout=10)
    assert response.status_code == 200, response.text


def _read_response(sock: socket.socket) -> tuple[bytes, bytes]:
    """One HTTP/1.1 answer with a Content-Length, however many segments it arrives in."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before the head was complete: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?im)^content-length: *(\d+)", head).group(1))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed before the body was complete"
        body += chunk
    return head, body


def test_an_idle_connection_is_closed_at_the_header_timeout(server):
    """A socket that connects and sends nothing (or idles after a keep-alive answer) is not held forever."""
    _url, port, _log = server
    silent = socket.create_connection(("127.0.0.1", port), timeout=HEADER_READ_TIMEOUT + 10)
    kept = socket.create_connection(("127.0.0.1", port), timeout=HEADER_READ_TIMEOUT + 10)
    try:
        kept.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        head, body = _read_response(kept)  # the whole answer: what is left after it must be the close
        assert head.startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        assert silent.recv(1) == b""  # closed by the server
        assert time.monotonic() - started <= HEADER_READ_TIMEOUT + 5
        assert kept.recv(1) == b""
    finally:
        silent.close()
        kept.close()


def test_an_oversized_request_head_is_refused(server):
    url, _port, _log = server
    response = requests.get(url + "/healthz", headers={"X-Big": "a" * 40_000}, timeout=10)
    assert response.status_code == 431
    assert requests.get(url + "/healthz", timeout=10).status_code == 200


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_no_process_outlives_the_main_process(how, settings, release, tmp_path):
    """``kill -9`` (or SIGTERM) of ``scograph serve`` takes its HTTP workers and query workers with it."""
    process, _port = _start(settings.build_dir, tmp_path / "serve.log",
                            "--max-concurrent-queries", str(QUERY_WORKERS), "--workers", str(PROCESSES))
    try:
        tree = _wait_for_tree(process, PROCESSES + QUERY_WORKERS)
        os.kill(process.pid, how)
        process.wait(timeout=30)
        deadline = time.monotonic() + 20
        while any(_alive(pid) for pid in tree) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = sorted(pid for pid in tree if _alive(pid))
        assert not left, f"still running 20 s after {how.name} of the main process: {left}"
        if how == signal.SIGTERM:
            assert process.returncode == 0, (tmp_path / "serve.log").read_text()[-2000:]
    finally:
        if process.poll() is None:
            process.kill()
        for pid in _descendants(process.pid):  # only ever our own server's processes
            os.kill(pid, signal.SIGKILL)


def test_a_killed_web_worker_is_replaced(settings, release, tmp_path):
    process, port = _start(settings.build_dir, tmp_path / "serve.log",
                           "--max-concurrent-queries", str(QUERY_WORKERS), "--workers", str(PROCESSES))
    try:
        tree = _wait_for_tree(process, PROCESSES + QUERY_WORKERS)
        web_workers = {pid for pid in tree if pid in _children().get(process.pid, [])}
        assert len(web_workers) == PROCESSES, tree
        victim = min(web_workers)
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = set(_children().get(process.pid, [])) - {victim}
            if len([pid for pid in now if _alive(pid)]) == PROCESSES:
                break
            time.sleep(0.2)
        assert len([pid for pid in set(_children().get(process.pid, [])) - {victim} if _alive(pid)]) == PROCESSES, (
            (tmp_path / "serve.log").read_text()[-2000:])
        answered = ordinary_requests([f"http://127.0.0.1:{port}/healthz"], count=20, timeout=10, deadline=30)
        assert not answered.failures, answered.failures[:3]
        assert process.poll() is None
    finally:
        stop(process)


def test_sigterm_lets_a_running_query_finish(settings, release, tmp_path):
    """A query in flight when SIGTERM arrives still gets its answer; then the server exits 0."""
    process, port = _start(settings.build_dir, tmp_path / "serve.log",
                           "--max-concurrent-queries", "1", "--workers", "1", "--result-cache-mb", "0",
                           "--query-timeout", "30")
    slow_query = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?a ?b ?c } GRAPH ?h { ?d ?e ?f } }"  # ~10M rows: seconds
    try:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1) as pool:
            started = time.monotonic()
            pending = pool.submit(requests.post, f"http://127.0.0.1:{port}/sparql", data={"query": slow_query}, timeout=60)
            time.sleep(0.5)
            os.kill(process.pid, signal.SIGTERM)
            response = pending.result()
        assert response.status_code == 200, response.text  # answered in full, not dropped
        assert int(response.json()["results"]["bindings"][0]["n"]["value"]) > 0
        assert process.wait(timeout=30) == 0
        print(f"\nquery in flight over SIGTERM: {response.status_code} after {time.monotonic() - started:.1f} s")
    finally:
        stop(process)


@pytest.mark.parametrize("reuse_port", [False, True], ids=["plain-listener", "so-reuseport-listener"])
def test_a_taken_port_is_one_sentence_and_exit_1(reuse_port, settings, release):
    """Nothing before the sentence (no build, no "serving …", no server log), nothing after it."""
    with socket.socket() as taken:
        if reuse_port:  # as granian's own workers listen: a second server could otherwise share the port
            taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [str(SCOGRAPH), "serve", "--build-dir", str(settings.build_dir), "--port", str(port)],
            capture_output=True, text=True, timeout=60,
        )
    assert done.returncode == 1, done
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"port {port} on 127.0.0.1 is already in use"), lines[0]


def _affinity(pid: int) -> frozenset[int]:
    return frozenset(os.sched_getaffinity(pid))


@pytest.mark.parametrize("args,pinned", [
    ((), True),                      # the default: a process per core, each on its own
    (("--no-pin-cores",), False),    # asked not to
    (("--workers", "1"), False),     # fewer processes than cores: a pinned one would idle a core
])
def test_each_web_process_and_its_query_workers_share_one_core(args, pinned, settings, release, tmp_path):
    cores = frozenset(os.sched_getaffinity(0))
    processes = int(args[1]) if args[:1] == ("--workers",) else len(cores)
    process, _port = _start(settings.build_dir, tmp_path / "serve.log", "--max-concurrent-queries", str(2 * processes), *args)
    try:
        _wait_for_tree(process, expected=processes + 2 * processes)
        children = _children()
        webs = [pid for pid in children.get(process.pid, []) if _alive(pid)]
        assert len(webs) == processes
        assert _affinity(process.pid) == cores  # granian's main process is never pinned
        for web in webs:
            workers = [pid for pid in children.get(web, []) if _alive(pid)]
            assert len(workers) == 2
            for pid in (web, *workers):
                threads = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
                assert {_affinity(t) for t in threads} == {_affinity(web)}, pid  # every thread, every worker
        if pinned and len(cores) > 1:
            assert sorted(len(_affinity(web)) for web in webs) == [1] * processes
            assert set().union(*(_affinity(web) for web in webs)) == cores  # one process on each core
        else:
            assert {_affinity(web) for web in webs} == {cores}
    finally:
        stop(process)


def test_one_web_process_per_core_this_server_may_use_not_per_core_of_the_machine():
    """In a container limited to some of a host's cores (its affinity), serve starts a web
    process for each core it may use, not for each core the machine has."""
    import sys

    probe = "from scograph.serve.options import ServeOptions; o = ServeOptions(); print(o.processes, o.process_cores())"
    cores = sorted(os.sched_getaffinity(0))
    one_core = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                              preexec_fn=lambda: os.sched_setaffinity(0, {cores[0]}))
    assert one_core.stdout.split() == ["1", "None"], one_core  # one process, left where the kernel puts it
    every_core = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert every_core.stdout.split()[0] == str(min(len(cores), 4))  # at most one per query slot (4)
    # A web process pinned to one core sizes its query pool from the options it was given:
    # the count is made once, where the options are made, not again after the pinning.
    pinned_later = ("import os; from scograph.serve.options import ServeOptions; o = ServeOptions(); n = o.processes; "
                    "os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); print(n, o.processes)")
    counted = subprocess.run([sys.executable, "-c", pinned_later], capture_output=True, text=True, check=True)
    assert counted.stdout.split() == [str(min(len(cores), 4))] * 2, counted
