"""``endpoint_bench.py --wrk``: scograph against Oxigraph server with wrk, and what each request costs the server.

    python benchmarks/endpoint_bench.py --wrk [--build-dir DIR] [--seconds 4] [--rounds 1]
        [--workloads uncached,cached] [--compare-src DIR] [--report OUT.md]

Servers (alternated round by round, and their order reversed every round): ``scograph
serve`` of this tree with its defaults, optionally ``scograph serve`` of other
package sources (``--compare-src``: the code before a change, in the same run), and
``oxigraph serve-read-only --union-default-graph``. For each workload (``uncached``:
every query unique, ``cached``: the mix again and again) and c=8, 32: requests/s,
p50, p99, errors, server CPU per request (process tree, ``/proc``), and **overhead
per request**: CPU per request minus the engine's own time for the same mix in one
process (``wrk_mix.engine_ms``), i.e. what the server spends besides answering the query.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
import endpoint_bench as bench  # noqa: E402
from wrk_mix import engine_ms, run_mix, tree_rss_mib  # noqa: E402

from scograph.store.embedded import copied_into_memory  # noqa: E402

CONCURRENCIES = (8, 32)


def _mix(path: str) -> tuple[list[tuple[str, str]], list[tuple[str, str, bool]]]:
    from scograph.examples import example_queries
    from scograph.sparql.guard import check_query

    http, engine = [], []
    for example in example_queries():
        graph = check_query(example.query, None).returns_graph
        accept = "text/turtle" if graph else "application/sparql-results+json"
        http.append((f"{path}?query={quote(example.query)}", accept))
        engine.append((example.query, accept, graph))
    return http, engine


def main_wrk(args) -> None:
    from scograph.build import build
    from scograph.config import Settings
    from scograph.release import current_release

    workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    bad = [w for w in workloads if w not in ("uncached", "cached")]
    if bad:
        raise SystemExit(f"--workloads takes uncached and/or cached, not {', '.join(bad)}")
    seconds = max(1, int(args.seconds))
    with tempfile.TemporaryDirectory(prefix="scograph-bench-") as tmp:
        tmp_path = Path(tmp)
        build_dir = args.build_dir or tmp_path / "build"
        if args.build_dir is None:
            build(Settings(source_root=bench.REPO, build_dir=build_dir))
        release = current_release(build_dir)
        _http, engine_mix = _mix("")
        # Each server's overhead is its CPU minus the engine it runs: scograph's query workers copy a
        # release this small into memory (EmbeddedStore), the code compared against did too if it
        # has the copy (else it queried on disk, as every scograph before the copy did), Oxigraph
        # server queries it on disk.
        in_memory = copied_into_memory(release)
        engine, native = engine_ms(str(release.store_path), engine_mix, in_memory=in_memory)
        engine_on_disk = engine_ms(str(release.store_path), engine_mix)[0] if in_memory else engine
        compared_in_memory = in_memory and args.compare_src is not None and _copies_into_memory(args.compare_src)
        engine_of = {"scograph": engine, "scograph (before)": engine if compared_in_memory else engine_on_disk,
                     "oxigraph": native}
        targets = [bench.start_scograph("scograph", build_dir, tmp_path / "scograph.log", args.scograph_args)]
        if args.compare_src:
            targets.append(bench.start_scograph("scograph (before)", build_dir, tmp_path / "before.log",
                                                args.scograph_args, src=args.compare_src.resolve()))
        targets.append(bench.start_oxigraph(release.store_path, tmp_path / "oxigraph.log"))
        load_start = os.getloadavg()
        rows = []
        memory: dict[str, dict[str, float]] = {}
        try:
            memory = {t.name: {"rest": tree_rss_mib(t.process.pid)} for t in targets}
            bench.check_agreement(targets)
            for workload in workloads:
                for target in targets:  # warm: first-query costs, and the result cache for "cached"
                    mix = _mix(target.path)[0]
                    run_mix(f"http://127.0.0.1:{target.port}", mix, unique=workload == "uncached", concurrency=8,
                            seconds=1, server_pid=target.process.pid)
                for concurrency in CONCURRENCIES:
                    runs: dict[str, list[dict]] = {t.name: [] for t in targets}
                    for round_index in range(args.rounds):
                        for target in targets if round_index % 2 == 0 else list(reversed(targets)):
                            got = run_mix(f"http://127.0.0.1:{target.port}", _mix(target.path)[0],
                                          unique=workload == "uncached", concurrency=concurrency, seconds=seconds,
                                          server_pid=target.process.pid)
                            runs[target.name].append(got)
                            print(f"{workload} c={concurrency} {target.name}: {got}", file=sys.stderr)
                    for name, got in runs.items():
                        cpu = sum(r["cpu_ms_per_request"] for r in got) / len(got)
                        # A cached answer runs no query: all of its CPU is overhead.
                        runs_query = workload == "uncached" or name == "oxigraph"
                        rows.append({
                            "workload": workload, "concurrency": concurrency, "server": name,
                            "rps": sum(r["rps"] for r in got) / len(got),
                            "p50": sum(r["p50"] for r in got) / len(got),
                            "p99": max(r["p99"] for r in got),
                            "errors": sum(r["errors"] for r in got),
                            "requests": sum(r["requests"] for r in got),
                            "cpu_ms_per_request": cpu,
                            "worker_cpu_ms_per_request": sum(r["worker_cpu_ms_per_request"] for r in got) / len(got),
                            "overhead_ms_per_request": cpu - engine_of[name] if runs_query else cpu,
                        })
            for target in targets:
                memory[target.name]["after"] = tree_rss_mib(target.process.pid)
        finally:
            for target in targets:
                target.stop()
        load_end = os.getloadavg()
    text = render(rows, args, (engine, engine_on_disk, native), compared_in_memory, load_start, load_end, sum(release.graphs.values()), memory)
    print(text)
    if args.report:
        args.report.write_text(text, "utf-8")
        args.report.with_suffix(".json").write_text(json.dumps({"engine_ms": engine, "engine_on_disk_ms": engine_on_disk, "engine_in_memory": in_memory, "compared_in_memory": compared_in_memory, "pyoxigraph_ms": native, "rows": rows, "memory_mib": memory}, indent=1), "utf-8")


def _copies_into_memory(src: Path) -> bool:
    """Whether the scograph in these sources copies a small release into its query workers' memory."""
    embedded = src / "scograph" / "store" / "embedded.py"
    return embedded.is_file() and "def copied_into_memory" in embedded.read_text("utf-8")


def render(rows: list[dict], args, engines: tuple[float, float, float], compared_in_memory: bool, load_start, load_end, triples: int, memory: dict) -> str:
    lines = [
        f"`python benchmarks/endpoint_bench.py --wrk --seconds {int(args.seconds)} --rounds {args.rounds} "
        f"--workloads {args.workloads}{' --compare-src ' + str(args.compare_src) if args.compare_src else ''}`; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {bench.machine()}; release of {triples} triples; "
        f"load average {load_start[0]:.1f} at the start, {load_end[0]:.1f} at the end. "
        f"Engine CPU for the mix in one process, mean over the queries: {engines[0]:.3f} ms per request "
        f"as scograph's query workers run it (`query_worker.execute`: query, iteration, capped serialization, "
        f"on the store as they open it), {engines[1]:.3f} ms the same on the on-disk store, {engines[2]:.3f} ms "
        "with pyoxigraph's own serializer on the on-disk store (what Oxigraph server runs). Overhead = CPU "
        "per request minus the engine that server runs: the first for scograph, "
        f"{'the first' if compared_in_memory else 'the second'} for the code compared against, the third for "
        "Oxigraph (minus nothing for a cached answer, which runs no query).",
        "",
        "| workload | c | server | req/s | p50 ms | p99 ms | errors | CPU ms/req | of which query workers | overhead ms/req | x Oxigraph |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        theirs = next(r for r in rows if r["workload"] == row["workload"] and r["concurrency"] == row["concurrency"]
                      and r["server"] == "oxigraph")
        ratio = f"{row['rps'] / theirs['rps']:.2f}x" if row["server"] != "oxigraph" and theirs["rps"] else ""
        lines.append(
            f"| {row['workload']} | {row['concurrency']} | {row['server']} | {row['rps']:.0f} | {row['p50']:.2f} | "
            f"{row['p99']:.2f} | {row['errors']} | {row['cpu_ms_per_request']:.2f} | "
            f"{row['worker_cpu_ms_per_request']:.2f} | "
            f"{row['overhead_ms_per_request']:.2f} | {ratio} |"
        )
    lines += ["", "Resident memory of each server's process tree, MiB: "
              + "; ".join(f"{name} {m['rest']:.0f} at rest, {m.get('after', float('nan')):.0f} after the runs"
                          for name, m in memory.items()) + "."]
    return "\n".join(lines) + "\n"
