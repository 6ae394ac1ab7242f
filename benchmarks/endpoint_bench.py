"""Benchmark: ``scograph serve`` against Oxigraph server on the same release.

    python benchmarks/endpoint_bench.py [--build-dir DIR] [--seconds 5] [--rounds 2] [--report benchmarks/REPORT-endpoint.md]

Starts the servers on 127.0.0.1 (``scograph serve``, i.e. granian, with every safety
bound on: query time limit, concurrency bound and queue, result cap, guard,
network-less workers; Oxigraph with ``serve-read-only --union-default-graph``
so both answer over the same default graph), checks that they agree on the
number of results of every example query, then runs the example-query mix
(``src/scograph/queries/*.rq``) at concurrency 1, 8 and 32, alternating
between the servers round by round, and writes requests/s, p50 and p99
latency and the scograph/Oxigraph throughput ratio as Markdown.

The load generator is part of the measurement on a small machine: it runs in
``--client-processes`` processes (each with keep-alive connections on threads)
so that it is not limited by one Python GIL; it shares the cores with the
servers, equally for both. Bounded in time: ``3 x rounds x 2 x seconds``
plus start-up.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from scograph.examples import example_queries  # noqa: E402
from scograph.sparql.guard import check_query  # noqa: E402

CONCURRENCIES = (1, 8, 32)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, limit: float = 60.0) -> None:
    import requests

    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {limit:.0f} s")


@dataclass
class Target:
    name: str
    port: int
    path: str  # query path
    process: subprocess.Popen

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_scograph(name: str, build_dir: Path, log: Path, extra: list[str], src: Path | None = None) -> Target:
    """``scograph serve`` of this tree, or of the package sources in ``src`` (``--compare-src``)."""
    port = free_port()
    scograph = Path(sys.executable).with_name("scograph")
    env = {**os.environ, "PYTHONPATH": str(src)} if src is not None else None
    process = subprocess.Popen(
        [str(scograph), "serve", "--build-dir", str(build_dir), "--port", str(port), "--log-level", "warning", *extra],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env=env,
    )
    target = Target(name, port, "/sparql", process)
    wait_http(f"http://127.0.0.1:{port}/healthz")
    wait_workers_started(port)
    return target


def wait_workers_started(port: int, limit: float = 300.0) -> None:
    """Until /healthz shows every query worker started, several times in a row: each web process
    answers for its own pool, and a worker that copies a large release into memory takes seconds
    (measuring while others load would time the loading, not the queries)."""
    import requests

    deadline, in_a_row = time.monotonic() + limit, 0
    while time.monotonic() < deadline and in_a_row < 8:
        try:
            queries = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json().get("queries", {})
            started = queries.get("workers", 0) > 0 and not queries.get("starting")
        except (requests.RequestException, ValueError):
            started = False
        in_a_row = in_a_row + 1 if started else 0
        time.sleep(0.25)
    if in_a_row < 8:
        raise RuntimeError(f"the query workers on port {port} did not all start within {limit:.0f} s")
    time.sleep(0.5)


def start_oxigraph(store_dir: Path, log: Path) -> Target:
    port = free_port()
    oxigraph = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    process = subprocess.Popen(
        [oxigraph, "serve-read-only", "--location", str(store_dir), "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    target = Target("oxigraph", port, "/query", process)
    wait_http(f"http://127.0.0.1:{port}/query?query={quote('ASK {}')}")
    return target


def requests_for(path: str) -> list[tuple[str, dict[str, str]]]:
    out = []
    for example in example_queries():
        graph = check_query(example.query, None).returns_graph
        accept = "text/turtle" if graph else "application/sparql-results+json"
        out.append((f"{path}?query={quote(example.query)}", {"Accept": accept}))
    return out


def count_results(body: bytes, accept: str) -> int:
    if accept == "text/turtle":
        import rdflib

        return len(rdflib.Graph().parse(data=body.decode("utf-8"), format="turtle"))
    document = json.loads(body)
    return 1 if "boolean" in document else len(document["results"]["bindings"])


def check_agreement(targets: list[Target]) -> list[tuple[str, int]]:
    """Every server must give the same number of results for every example query."""
    counts = []
    examples = example_queries()
    for index, example in enumerate(examples):
        seen = []
        for target in targets:
            url, headers = requests_for(target.path)[index]
            conn = HTTPConnection("127.0.0.1", target.port, timeout=30)
            conn.request("GET", url, headers=headers)
            response = conn.getresponse()
            body = response.read()
            conn.close()
            if response.status != 200:
                raise RuntimeError(f"{target.name} answered {response.status} to {example.slug}: {body[:300]!r}")
            seen.append(count_results(body, headers["Accept"]))
        if len(set(seen)) != 1:
            raise RuntimeError(f"servers disagree on {example.slug}: {dict(zip((t.name for t in targets), seen))}")
        counts.append((example.slug, seen[0]))
    return counts


# -- load generation ---------------------------------------------------------------------------


def _client_process(port: int, path: str, threads: int, seconds: float, start_at: float, queue) -> None:
    work = requests_for(path)
    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()

    def run(offset: int) -> None:
        conn = HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        bad: list[int] = []
        i = offset
        while time.time() < start_at:
            time.sleep(0.001)
        end = start_at + seconds
        while time.time() < end:
            url, headers = work[i % len(work)]
            i += 1
            t0 = time.perf_counter()
            try:
                conn.request("GET", url, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = HTTPConnection("127.0.0.1", port, timeout=30)
            except OSError:
                status = 0
                conn.close()
                conn = HTTPConnection("127.0.0.1", port, timeout=30)
            if status == 200:
                mine.append(time.perf_counter() - t0)
            else:
                bad.append(status)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors.extend(bad)

    pool = [threading.Thread(target=run, args=(n * 7,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    queue.put((latencies, errors))


def load(target: Target, concurrency: int, seconds: float, client_processes: int) -> dict:
    processes = min(client_processes, concurrency)
    per_process = [concurrency // processes + (1 if i < concurrency % processes else 0) for i in range(processes)]
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    start_at = time.time() + 1.5  # every client process is up before the clock starts
    workers = [
        context.Process(target=_client_process, args=(target.port, target.path, n, seconds, start_at, queue))
        for n in per_process
    ]
    for worker in workers:
        worker.start()
    latencies: list[float] = []
    errors: list[int] = []
    for _ in workers:
        got_latencies, got_errors = queue.get(timeout=seconds + 60)
        latencies.extend(got_latencies)
        errors.extend(got_errors)
    for worker in workers:
        worker.join(timeout=10)
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else float("nan")

    return {
        "requests": len(latencies),
        "errors": len(errors),
        "error_statuses": sorted(set(errors)),
        "rps": len(latencies) / seconds,
        "p50": pct(0.50),
        "p99": pct(0.99),
        "mean": statistics.fmean(latencies) * 1000 if latencies else float("nan"),
    }


# -- report ----------------------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, {platform.system()} {platform.release()}"


def report(results: dict, counts: list[tuple[str, int]], args, triples: int) -> str:
    lines = [
        "# Endpoint benchmark: scograph serve vs Oxigraph server",
        "",
        f"Machine: {machine()}. Release: {triples} triples. "
        f"Mix: the {len(counts)} example queries of `src/scograph/queries/` (GET, keep-alive, no gzip), "
        f"round-robin per client. {args.rounds} rounds of {args.seconds:g} s per server and concurrency, "
        f"alternating servers; numbers are over all rounds. Load generator: {args.client_processes} processes "
        "on the same machine.",
        "",
        "scograph ran with its defaults, i.e. every safety bound on: `--query-timeout 10 --max-concurrent-queries 4 "
        "--max-queued-queries 64 --max-results 10000`, the guard on every query, query workers without network, "
        f"one granian worker process per core ({os.cpu_count()}); once with the result cache (default, 64 MB) and once "
        "without (`--result-cache-mb 0`: every request runs in a query worker). "
        f"Extra serve options: `{' '.join(args.scograph_args) or '(none)'}`. "
        "Oxigraph: `oxigraph serve-read-only --union-default-graph` (no time limit, no concurrency bound).",
        "",
        "| concurrency | server | requests/s | p50 ms | p99 ms | errors | x Oxigraph |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for concurrency in CONCURRENCIES:
        theirs = results[concurrency]["oxigraph"]
        for name, r in results[concurrency].items():
            ratio = f"{r['rps'] / theirs['rps']:.2f}x" if name != "oxigraph" and theirs["rps"] else ""
            lines.append(
                f"| {concurrency} | {name} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['errors']} | {ratio} |"
            )
    lines += ["", "Results per query (all servers agree):", ""]
    lines += [f"- `{slug}`: {n}" for slug, n in counts]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", type=Path, help="A build directory with a release [default: a fresh build in a temp dir].")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--report", type=Path, help="Write the Markdown report here (and print it).")
    parser.add_argument("--wrk", action="store_true",
                        help="wrk as the client, c=8 and 32, uncached (every query unique) and cached, with server CPU per request.")
    parser.add_argument("--workloads", default="uncached,cached", help="With --wrk: uncached, cached or both.")
    parser.add_argument("--compare-src", type=Path,
                        help="With --wrk: also run scograph from these package sources (e.g. an export of main's src/).")
    parser.add_argument("scograph_args", nargs="*", help="Extra options for scograph serve (after --).")
    args = parser.parse_args()
    if args.wrk:
        from endpoint_wrk import main_wrk

        main_wrk(args)
        return

    from scograph.build import build
    from scograph.config import Settings
    from scograph.release import current_release

    with tempfile.TemporaryDirectory(prefix="scograph-bench-") as tmp:
        tmp_path = Path(tmp)
        build_dir = args.build_dir or tmp_path / "build"
        if args.build_dir is None:
            build(Settings(source_root=REPO, build_dir=build_dir))
        release = current_release(build_dir)
        targets = [
            start_scograph("scograph", build_dir, tmp_path / "scograph.log", args.scograph_args),
            start_scograph(
                "scograph (no result cache)", build_dir, tmp_path / "scograph-nocache.log",
                [*args.scograph_args, "--result-cache-mb", "0"],
            ),
            start_oxigraph(release.store_path, tmp_path / "oxigraph.log"),
        ]
        try:
            counts = check_agreement(targets)
            # Warm both servers (page cache, connection setup, first-query costs).
            for target in targets:
                load(target, 8, 1.0, args.client_processes)
            samples: dict = {c: {t.name: [] for t in targets} for c in CONCURRENCIES}
            for concurrency in CONCURRENCIES:
                for round_index in range(args.rounds):
                    order = targets if round_index % 2 == 0 else list(reversed(targets))  # alternate
                    for target in order:
                        result = load(target, concurrency, args.seconds, args.client_processes)
                        samples[concurrency][target.name].append(result)
                        print(
                            f"c={concurrency:>2} round {round_index + 1} {target.name:>27}: "
                            f"{result['rps']:7.0f} req/s  p50 {result['p50']:6.2f} ms  p99 {result['p99']:6.2f} ms  "
                            f"errors {result['errors']} {result['error_statuses']}",
                            file=sys.stderr,
                        )
        finally:
            for target in targets:
                target.stop()

    results = {c: {name: _merge(runs) for name, runs in per.items()} for c, per in samples.items()}
    text = report(results, counts, args, sum(release.graphs.values()))
    print(text)
    if args.report:
        args.report.write_text(text, "utf-8")


def _merge(runs: list[dict]) -> dict:
    """Combine rounds: total throughput averaged, latency percentiles as the mean of the rounds'."""
    return {
        "rps": statistics.fmean(r["rps"] for r in runs),
        "p50": statistics.fmean(r["p50"] for r in runs),
        "p99": max(r["p99"] for r in runs),
        "errors": sum(r["errors"] for r in runs),
        "requests": sum(r["requests"] for r in runs),
    }


if __name__ == "__main__":
    main()
