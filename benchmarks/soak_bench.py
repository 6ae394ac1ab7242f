"""Memory of ``scograph serve`` over a long run of uncached queries: does it stay flat?

    python benchmarks/soak_bench.py [--build-dir build] [--requests 50000] [--chunk-seconds 5] [--out soak.json]
        [-- SERVE OPTIONS]   # e.g. -- --result-cache-mb 0: no caches, so what is left is the rest

``scograph serve`` with its defaults answers wrk (c=8, the 23 example queries with a
new comment each, so every request is a new query: the result cache and the replay
cache fill with distinct answers) in chunks of ``--chunk-seconds`` until
``--requests`` were answered; after each chunk the whole process tree's resident
(RSS) and proportional (PSS: shared pages split between the processes sharing them)
memory is read from ``/proc``. Both caches are bounded in bytes per web process, so
memory may grow until they are full and must then stay flat.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import endpoint_bench as bench  # noqa: E402
from endpoint_wrk import _mix  # noqa: E402
from scale_bench import tree_memory_mib  # noqa: E402  (RSS and PSS of the process tree)
from wrk_mix import run_mix  # noqa: E402


def soak(build_dir: Path, total: int, chunk_seconds: int, serve_args: list[str]) -> dict:
    with tempfile.TemporaryDirectory(prefix="scograph-soak-") as tmp:
        target = bench.start_scograph("scograph", build_dir, Path(tmp) / "scograph.log", serve_args)
        try:
            http, _ = _mix(target.path)
            rest = tree_memory_mib(target.process.pid)
            samples, done, started = [], 0, time.monotonic()
            while done < total:
                result = run_mix(f"http://127.0.0.1:{target.port}", http, unique=True, concurrency=8,
                                 seconds=chunk_seconds, server_pid=target.process.pid)
                done += result["requests"]
                rss, pss = tree_memory_mib(target.process.pid)
                samples.append({"requests": done, "rss_mib": round(rss, 1), "pss_mib": round(pss, 1),
                                "errors": result["errors"], "rps": result["rps"]})
                print(f"{done:>7} requests: RSS {rss:6.1f} MiB, PSS {pss:6.1f} MiB, errors {result['errors']}",
                      file=sys.stderr)
        finally:
            target.stop()
    half = [s for s in samples if s["requests"] >= total / 2]
    return {
        "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": bench.machine(),
        "serve_args": serve_args,
        "seconds": round(time.monotonic() - started, 1),
        "rest": {"rss_mib": round(rest[0], 1), "pss_mib": round(rest[1], 1)},
        "samples": samples,
        "errors": sum(s["errors"] for s in samples),
        "peak_rss_mib": max(s["rss_mib"] for s in samples),
        # Flat: how much the tree still grew over the second half of the run.
        "second_half_rss_growth_mib": round(half[-1]["rss_mib"] - half[0]["rss_mib"], 1) if half else None,
        "second_half_pss_growth_mib": round(half[-1]["pss_mib"] - half[0]["pss_mib"], 1) if half else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", type=Path, default=bench.REPO / "build")
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--chunk-seconds", type=int, default=5)
    parser.add_argument("--out", type=Path)
    parser.add_argument("serve_args", nargs="*", help="options for scograph serve (after --), e.g. -- --result-cache-mb 0")
    args = parser.parse_args()
    result = soak(args.build_dir, args.requests, args.chunk_seconds, args.serve_args)
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", "utf-8")


if __name__ == "__main__":
    main()
