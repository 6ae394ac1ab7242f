"""wrk over the example-query mix, and the server CPU it cost (used by ``endpoint_bench.py --wrk``).

wrk (Debian's, C, epoll) is the client: it is not the bottleneck (13-16k req/s
against Oxigraph on this machine, issue 12). A generated Lua script sends the
example queries round-robin; ``unique`` appends a comment line with a counter
to each query (``\\n# <run>-<thread>-<n>``), so no two requests share an answer
and neither the result cache nor the guard's cache can help: the uncached path.

CPU per request is user + system time of the server's whole process tree (the
query workers included) over the run, from ``/proc``, divided by the requests
wrk completed: the measure that survives a shared machine, where requests/s
follow whatever the other engineers' processes leave.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server_bench import _descendants  # noqa: E402

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def tree_cpu_seconds(pid: int) -> tuple[float, float]:
    """User + system CPU of ``pid`` and every process below it, so far: (all, the query workers' share)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = workers = 0.0
    for each in [pid, *_descendants(pid)]:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            command = Path(f"/proc/{each}/cmdline").read_bytes()
        except OSError:
            continue
        seconds = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        total += seconds
        if b"scograph.store.query_worker" in command:
            workers += seconds
    return total, workers


def tree_rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` and every process below it, in MiB."""
    total = 0
    for each in [pid, *_descendants(pid)]:
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def _lua(paths: list[str], accepts: list[str], unique: bool) -> str:
    def quoted(values: list[str]) -> str:
        return "{" + ", ".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"

    return f"""
local paths = {quoted(paths)}
local accepts = {quoted(accepts)}
local unique = {"true" if unique else "false"}
local run = "{uuid.uuid4().hex[:8]}"
local threads = 0
local n = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function request()
  n = n + 1
  local k = ((n + (tid or 0) * 7) % #paths) + 1
  local path = paths[k]
  if unique then
    path = path .. "%0A%23%20" .. run .. "-" .. (tid or 0) .. "-" .. n
  end
  return wrk.format("GET", path, {{["Accept"] = accepts[k]}})
end
"""


def run_mix(base_url: str, mix: list[tuple[str, str]], *, unique: bool, concurrency: int, seconds: int,
            server_pid: int) -> dict:
    """One wrk run of ``mix`` (path with query, Accept) against ``base_url``; throughput, latency, CPU."""
    binary = shutil.which("wrk")
    if binary is None:
        raise SystemExit("wrk is required: apt-get install wrk")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_lua([p for p, _ in mix], [a for _, a in mix], unique))
    try:
        cpu_before = tree_cpu_seconds(server_pid)
        done = subprocess.run(
            [binary, "-t", "2", "-c", str(concurrency), "-d", f"{seconds}s", "--latency", "--timeout", "10s",
             "-s", script.name, base_url],
            capture_output=True, text=True, timeout=seconds + 30,
        )
        cpu_after = tree_cpu_seconds(server_pid)
        cpu, worker_cpu = cpu_after[0] - cpu_before[0], cpu_after[1] - cpu_before[1]
    finally:
        os.unlink(script.name)
    out = done.stdout
    if done.returncode != 0 or "requests in" not in out:
        raise RuntimeError(f"wrk failed: {done.stderr[-1000:]} {out[-1000:]}")
    requests_done = int(re.search(r"(\d+) requests in", out).group(1))

    def percentile(label: str) -> float:
        found = re.search(label + r"\s+([\d.]+)(us|ms|s)", out)
        return float(found.group(1)) * _UNITS[found.group(2)] if found else float("nan")

    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "requests": requests_done,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": percentile("50%"),
        "p99": percentile("99%"),
        "errors": (int(non_2xx.group(1)) if non_2xx else 0) + (sum(map(int, errors.groups())) if errors else 0),
        "cpu_ms_per_request": cpu * 1000 / max(1, requests_done),
        "worker_cpu_ms_per_request": worker_cpu * 1000 / max(1, requests_done),
    }


def engine_ms(
    store_path: str, mix: list[tuple[str, str, bool]], repeats: int = 15, in_memory: bool = False,
) -> tuple[float, float]:
    """The engine's own CPU time per request of the mix, in this process, mean over the mix of the
    median of ``repeats``: (``query_worker.execute``: pyoxigraph's query and iteration and scograph's
    capped serialization, what a query worker runs, on the store as ``in_memory`` says; pyoxigraph
    alone: query and its own serializer on the on-disk store, what Oxigraph server runs)."""
    import statistics
    import time

    import pyoxigraph as ox

    from scograph.sparql.guard import check_query
    from scograph.store import query_worker

    on_disk = ox.Store.read_only(store_path)
    served = query_worker.open_store(store_path, in_memory)
    base_iri = query_worker.endpoint_iri(store_path)
    ours, native = [], []
    for query, accept, graph in mix:
        info = check_query(query, None)
        times, native_times = [], []
        for _ in range(repeats):
            started = time.process_time()  # CPU, not wall: other engineers' load does not count
            query_worker.execute(
                served, query, "application/sparql-results+json" if graph else accept,
                accept if graph else "application/n-triples", (), (), 10_000,
                bool(info.from_graphs or info.from_named_graphs), base_iri,
            )
            times.append(time.process_time() - started)
            started = time.process_time()
            kwargs = {} if info.from_graphs or info.from_named_graphs else {"use_default_graph_as_union": True}
            result = on_disk.query(query, base_iri=base_iri, **kwargs)
            if graph:
                ox.serialize(result, format=ox.RdfFormat.TURTLE)
            else:
                result.serialize(format=ox.QueryResultsFormat.JSON)
            native_times.append(time.process_time() - started)
        ours.append(statistics.median(times) * 1000)
        native.append(statistics.median(native_times) * 1000)
    return statistics.fmean(ours), statistics.fmean(native)
