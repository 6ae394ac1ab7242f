"""CPU of one round trip to a query worker, on each side: what the process hop costs besides the query.

    python benchmarks/pool_hop_bench.py [--build-dir build] [--round-trips 5000] [--compare-src DIR]

A pool of one query worker (every wall up, as ``scograph serve`` starts it) runs
``ASK {}`` ``--round-trips`` times; the calling process's CPU (``process_time``)
and the worker's (``/proc/PID/stat``) are divided by the number of round trips, and
the engine's own time for the same query in this process is printed beside them.
``--compare-src`` runs the same in a child process on other package sources (the
code before a change), alternating twice, so both are measured under the same load.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def measure(build_dir: Path, round_trips: int) -> dict:
    from scograph.release import current_release
    from scograph.store.pool import PoolLimits, WorkerPool

    release = current_release(build_dir)
    pool = WorkerPool(str(release.store_path), PoolLimits(workers=1))
    request = {
        "query": "ASK {}", "results_media_type": "application/sparql-results+json",
        "graph_media_type": "application/n-triples", "default_graph_uris": (), "named_graph_uris": (),
        "max_results": 10, "max_bytes": 1 << 20,
    }
    try:
        for _ in range(200):  # warm-up, and the worker has started
            pool.run(request, 10)
        pid = pool.status()["pids"][0]

        def worker_cpu() -> float:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

        worker_before, own_before, wall_before = worker_cpu(), time.process_time(), time.perf_counter()
        for _ in range(round_trips):
            pool.run(request, 10)
        result = {
            "caller_cpu_us": (time.process_time() - own_before) * 1e6 / round_trips,
            "worker_cpu_us": (worker_cpu() - worker_before) * 1e6 / round_trips,
            "wall_us": (time.perf_counter() - wall_before) * 1e6 / round_trips,
        }
    finally:
        pool.close()
    import pyoxigraph as ox

    from scograph.store import query_worker

    store = ox.Store.read_only(str(release.store_path))
    started = time.process_time()
    for _ in range(round_trips):
        query_worker.execute(store, **request)
    result["engine_cpu_us"] = (time.process_time() - started) * 1e6 / round_trips
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", type=Path, default=REPO / "build")
    parser.add_argument("--round-trips", type=int, default=5000)
    parser.add_argument("--compare-src", type=Path, help="also measure these package sources (e.g. main's src/)")
    parser.add_argument("--json-only", action="store_true", help=argparse.SUPPRESS)  # the child's mode
    args = parser.parse_args()
    if args.json_only:
        print(json.dumps(measure(args.build_dir, args.round_trips)))
        return
    runs = [("this tree", REPO / "src")] + ([("compared", args.compare_src)] if args.compare_src else [])
    for attempt in range(2 if args.compare_src else 1):
        for name, src in runs:
            done = subprocess.run(
                [sys.executable, __file__, "--json-only", "--build-dir", str(args.build_dir),
                 "--round-trips", str(args.round_trips)],
                env={**os.environ, "PYTHONPATH": str(src)}, capture_output=True, text=True, check=True,
            )
            r = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"{name:10s} round {attempt + 1}: caller {r['caller_cpu_us']:6.1f} us, worker {r['worker_cpu_us']:6.1f} us, "
                  f"wall {r['wall_us']:6.1f} us per round trip; the query alone in-process {r['engine_cpu_us']:5.1f} us")


if __name__ == "__main__":
    main()
