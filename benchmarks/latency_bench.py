"""Uncached latency of each example query, ``scograph serve`` against Oxigraph server, on any release.

    python benchmarks/latency_bench.py --build-dir DIR [--repeats 15] [--out results.json]

Both servers run on the same release store (scograph with its defaults; Oxigraph
``serve-read-only --union-default-graph``). Each example query
(``src/scograph/queries/*.rq``, anchored on named resources) is sent one at a time
(c=1, a fresh connection each, as a researcher's script does), ``repeats`` times to
each server, the servers alternating request by request; every request carries a
new comment line so that no cache answers it. The p50 per query and server, their
ratio, and the median of the ratios over the examples are printed (and written as
JSON). Issue 12's target: scograph's p50 at most 1.3x Oxigraph's at 100k and 1M quads.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
import endpoint_bench as bench  # noqa: E402


def _get(port: int, path: str, accept: str) -> float:
    """Milliseconds from connecting to the last byte of a 200 answer."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path, headers={"Accept": accept})
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{path[:80]}: status {response.status}")
    finally:
        connection.close()
    return (time.perf_counter() - started) * 1000


def measure(build_dir: Path, repeats: int, scograph_args: list[str] | None = None) -> dict:
    from scograph.examples import example_queries
    from scograph.release import current_release
    from scograph.sparql.guard import check_query

    release = current_release(build_dir)
    with tempfile.TemporaryDirectory(prefix="scograph-latency-") as tmp:
        scograph = bench.start_scograph("scograph", build_dir, Path(tmp) / "scograph.log", scograph_args or [])
        oxigraph = bench.start_oxigraph(release.store_path, Path(tmp) / "oxigraph.log")
        try:
            rows = []
            counter = 0
            for example in example_queries():
                accept = "text/turtle" if check_query(example.query).returns_graph else "application/sparql-results+json"
                times: dict[str, list[float]] = {"scograph": [], "oxigraph": []}
                for attempt in range(repeats + 1):  # the first of each is a warm-up, not counted
                    order = (scograph, oxigraph) if attempt % 2 == 0 else (oxigraph, scograph)
                    for target in order:
                        counter += 1
                        unique = example.query + "\n# " + str(counter)
                        path = f"{target.path}?query={quote(unique)}"
                        elapsed = _get(target.port, path, accept)
                        if attempt:
                            times[target.name].append(elapsed)
                ours, theirs = statistics.median(times["scograph"]), statistics.median(times["oxigraph"])
                rows.append({"query": example.slug, "scograph_p50_ms": round(ours, 2),
                             "oxigraph_p50_ms": round(theirs, 2), "ratio": round(ours / theirs, 2)})
                print(f"{example.slug:45s} scograph {ours:8.2f} ms  oxigraph {theirs:8.2f} ms  x{ours / theirs:5.2f}",
                      file=sys.stderr)
        finally:
            scograph.stop()
            oxigraph.stop()
    ratios = [row["ratio"] for row in rows]
    return {
        "build_dir": str(build_dir),
        "quads": sum(release.graphs.values()),
        "repeats": repeats,
        "scograph_args": scograph_args or [],
        "machine": bench.machine(),
        "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "queries": rows,
        "median_ratio": round(statistics.median(ratios), 2),
        "worst_ratio": max(ratios),
        "examples_within_1_3x": sum(r <= 1.3 for r in ratios),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", type=Path, required=True, help="a build directory with a current release")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--out", type=Path, help="write the results here as JSON")
    parser.add_argument("scograph_args", nargs=argparse.REMAINDER, help="extra options for scograph serve (after --)")
    args = parser.parse_args()
    extra = args.scograph_args[1:] if args.scograph_args[:1] == ["--"] else args.scograph_args
    result = measure(args.build_dir, args.repeats, extra)
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", "utf-8")


if __name__ == "__main__":
    main()
