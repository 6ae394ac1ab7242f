"""How cost grows with size: build, validation, store load, memory and query latency.

For each size (synthetic corpora from ``scograph synthetic``) this measures

- ``scograph build`` as a subprocess: wall time per phase (from its log lines,
  time-stamped as they arrive) and peak RSS (``ru_maxrss`` of the child);
- ``scograph publish`` into a real Oxigraph server started here: wall time, and
  the server's peak RSS (``VmHWM``) after loading;
- query latency of the example queries (``src/scograph/queries/*.rq``, anchored
  on named resources) and of the same questions asked of the whole corpus
  (``benchmarks/corpus_queries/*.rq``), through the embedded store (the app's
  query worker pool) and through the remote store (Oxigraph server over HTTP):
  p50 / p95 per query over repeated runs, and the p50 of all runs pooled.

Usage::

    python benchmarks/scale_bench.py --sizes 10000 100000 1000000 --out benchmarks/scale-results.json
    # query latency again on builds kept by an earlier run with --workdir DIR:
    python benchmarks/scale_bench.py --sizes 1000000 --workdir DIR --queries-only

Results are written as JSON (and printed as a table); ``REPORT-scale.md`` quotes them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QUERIES = REPO / "src" / "scograph" / "queries"
CORPUS_QUERIES = REPO / "benchmarks" / "corpus_queries"
SCOGRAPH = [sys.executable, "-m", "scograph"]
sys.path.insert(0, str(REPO))  # the test helpers (tests/triplestores.py) start Oxigraph servers the same way


def run_timed(command: list[str], *, env: dict | None = None) -> tuple[float, int, list[tuple[float, str]], str]:
    """Run a command; return wall seconds, peak RSS of the child (MiB), its stderr lines with
    arrival times (seconds since start), and its stdout."""
    start = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    lines: list[tuple[float, str]] = []
    assert process.stderr is not None
    for line in process.stderr:
        lines.append((time.monotonic() - start, line.rstrip("\n")))
    stdout = process.stdout.read() if process.stdout else ""
    # wait4 gives this child's own resource usage (ru_maxrss in KiB on Linux).
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - start
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}):\n" + "\n".join(l for _, l in lines[-30:]))
    return wall, usage.ru_maxrss // 1024, lines, stdout


def build_phases(lines: list[tuple[float, str]], wall: float) -> dict[str, float]:
    """Phase durations from the build's log: read -> validated -> dumps -> store -> done."""
    marks = {"read": None, "validated": None, "wrote dumps": None, "loaded store": None}
    for at, line in lines:
        for key in marks:
            if line.startswith(key) and marks[key] is None:
                marks[key] = at
    phases = {}
    order = ["read", "validated", "wrote dumps", "loaded store"]
    previous = 0.0
    names = {"read": "parse_sources", "validated": "validate", "wrote dumps": "dumps", "loaded store": "store_load"}
    for key in order:
        if marks[key] is not None:
            phases[names[key]] = round(marks[key] - previous, 2)
            previous = marks[key]
    phases["finish"] = round(wall - previous, 2)
    return phases


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def query_latencies(store, repeats: int, directory: Path = QUERIES) -> dict[str, dict]:
    """p50 / p95 per query, and every run's time (``runs_ms``) for the pooled summary."""
    out = {}
    for path in sorted(directory.glob("*.rq")):
        query = path.read_text("utf-8")
        answer = store.run(query)  # warm caches
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            store.run(query)
            times.append((time.perf_counter() - start) * 1000)
        out[path.stem] = {
            "p50_ms": round(statistics.median(times), 2),
            "p95_ms": round(percentile(times, 0.95), 2),
            "rows": answer.count,
            "runs_ms": [round(x, 3) for x in times],
        }
    return out


def summarise(latencies: dict[str, dict]) -> dict[str, float]:
    p50s = [v["p50_ms"] for v in latencies.values()]
    pooled = [x for v in latencies.values() for x in v.get("runs_ms", [])]
    return {
        "median_of_p50_ms": round(statistics.median(p50s), 2),
        "max_p50_ms": round(max(p50s), 2),
        "queries_p50_under_10ms": sum(1 for p in p50s if p < 10),
        "queries": len(p50s),
        # Every run of every query, as if users ran each example equally often (no cache).
        "pooled_p50_ms": round(statistics.median(pooled), 2) if pooled else None,
        "pooled_p95_ms": round(percentile(pooled, 0.95), 2) if pooled else None,
    }


def bench_queries(release, workdir: Path, size: int, repeats: int, with_remote: bool, result: dict) -> None:
    """Latency of the examples and of the corpus-wide questions, embedded and (optionally) remote."""
    from scograph.store.embedded import EmbeddedStore

    # No result cache: every run reaches the engine (a cached answer costs ~0 ms and says nothing).
    store = EmbeddedStore(release, result_cache_bytes=0)
    store.start()
    try:
        for key, directory in (("embedded_queries", QUERIES), ("embedded_corpus_queries", CORPUS_QUERIES)):
            result[key] = query_latencies(store, repeats, directory)
    finally:
        store.close()
    result["embedded_summary"] = summarise(result["embedded_queries"])
    result["embedded_corpus_summary"] = summarise(result["embedded_corpus_queries"])
    if not with_remote:
        return
    from tests.triplestores import oxigraph_server

    from scograph.store.remote import RemoteStore

    server_dir = workdir / f"oxigraph-{size}"
    shutil.rmtree(server_dir, ignore_errors=True)
    server_dir.mkdir()
    with oxigraph_server(server_dir) as server:
        wall, rss, _lines, _ = run_timed(
            [*SCOGRAPH, "publish", "--to", server.root_url, "--release", str(release.path), "--grace", "0"]
        )
        result["publish_s"] = round(wall, 2)
        result["publish_client_peak_rss_mib"] = rss
        result["oxigraph_store_bytes"] = sum(p.stat().st_size for p in (server_dir / "data").rglob("*") if p.is_file())
        remote = RemoteStore(server.query_url, pointer_ttl=60, max_results=20_000, result_cache_bytes=0)
        try:
            for key, directory in (("remote_queries", QUERIES), ("remote_corpus_queries", CORPUS_QUERIES)):
                result[key] = query_latencies(remote, repeats, directory)
        finally:
            remote.close()
        result["oxigraph_server_peak_rss_mib"] = server_peak_rss_mib(server.pid)
    result["remote_summary"] = summarise(result["remote_queries"])
    result["remote_corpus_summary"] = summarise(result["remote_corpus_queries"])


def server_peak_rss_mib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return -1


#: ``scograph build`` in a child process, with the validator to measure: "committed" is the
#: build as it is (bulk validator; partitions in a process pool when data/ has
#: subdirectories); "fast" forces the single-process bulk validator; "pyshacl" forces plain
#: pyshacl; "none" skips validation (never a real release: it only splits the build's peak
#: memory between phases).
BUILD_CHILD = """
import sys
from pathlib import Path
import scograph.build as b
from scograph.config import Settings
if sys.argv[3] == "pyshacl":
    from scograph.validate import validate_graphs
    b.validate_sources = lambda s: validate_graphs(s.data.triples + s.ontology.triples + s.record.triples, s.shapes.triples)
if sys.argv[3] == "fast":
    from scograph.validate_fast import validate_graphs_fast
    b.validate_sources = lambda s: validate_graphs_fast(s.data.triples + s.ontology.triples + s.record.triples, s.shapes.triples)
if sys.argv[3] == "none":  # measurement only: the build's cost without validation
    import rdflib
    from scograph.validate import ValidationOutcome
    b.validate_sources = lambda s: ValidationOutcome((), rdflib.Graph())
b.build(Settings(source_root=Path(sys.argv[1]), build_dir=Path(sys.argv[2])), log=lambda m: print(m, file=sys.stderr, flush=True))
"""


#: Validation alone, in a child process: sources -> outcome, with the chosen validator.
VALIDATE_CHILD = """
import sys, time
from pathlib import Path
from scograph.build import load_sources
from scograph.config import Settings
from scograph.validate import validate_graphs
from scograph.validate_fast import validate_graphs_fast
sources = load_sources(Settings(source_root=Path(sys.argv[1]), build_dir=Path("/nonexistent")))
data = sources.data.triples + sources.ontology.triples + sources.record.triples
start = time.monotonic()
if sys.argv[2] == "partitioned":
    # One partition per synthetic file (100 documents each); the real data is shared.
    from scograph.sources import parse_turtle_file
    from scograph.validate_partitioned import validate_partitioned
    partitions = [parse_turtle_file(p) for p in sources.data.files if "synthetic" in p.parts]
    shared = [t for p in sources.data.files if "synthetic" not in p.parts for t in parse_turtle_file(p)]
    shared += list(sources.ontology.triples + sources.record.triples)
    del data  # the partitions replace the whole-corpus list
    outcome = validate_partitioned(partitions, shared, list(sources.shapes.triples))
else:
    outcome = (validate_graphs_fast if sys.argv[2] == "fast" else validate_graphs)(data, sources.shapes.triples)
print(f"{time.monotonic() - start:.2f} {len(outcome.violations)} {len(outcome.warnings)}")
"""


def bench_validation(size: int, workdir: Path, validators: list[str]) -> dict:
    """Validation time and peak memory alone, per validator (the corpus is generated once)."""
    sources = workdir / f"validation-sources-{size}"
    if not sources.exists():
        run_timed([*SCOGRAPH, "synthetic", "--triples", str(size), "--out", str(sources)])
    out: dict = {"size": size}
    for validator in validators:
        _wall, rss, _lines, stdout = run_timed([sys.executable, "-c", VALIDATE_CHILD, str(sources), validator])
        seconds, violations, warnings = stdout.split()
        out[validator] = {"validate_s": float(seconds), "peak_rss_mib": rss, "violations": int(violations), "warnings": int(warnings)}
        print(json.dumps({validator: out[validator], "size": size}), file=sys.stderr, flush=True)
    return out


def bench_size(size: int, workdir: Path, repeats: int, with_remote: bool, validator: str) -> dict:
    from scograph.release import current_release

    result: dict = {"size": size, "validator": validator}
    sources = workdir / f"sources-{size}"
    build_dir = workdir / f"build-{size}"
    wall, _rss, _lines, stdout = run_timed([*SCOGRAPH, "synthetic", "--triples", str(size), "--out", str(sources)])
    result["generate_s"] = round(wall, 2)
    result["corpus"] = stdout.strip()

    wall, rss, lines, _ = run_timed([sys.executable, "-c", BUILD_CHILD, str(sources), str(build_dir), validator])
    release = current_release(build_dir)
    result["build_s"] = round(wall, 2)
    result["build_peak_rss_mib"] = rss
    result["build_phases_s"] = build_phases(lines, wall)
    result["release_triples"] = release.manifest["triples"]
    result["store_bytes"] = sum(p.stat().st_size for p in release.store_path.rglob("*") if p.is_file())
    result["dump_nq_bytes"] = (release.path / "scograph.nq").stat().st_size

    bench_queries(release, workdir, size, repeats, with_remote, result)
    shutil.rmtree(sources, ignore_errors=True)
    return result


def render_markdown(results: dict) -> str:
    """The tables of REPORT-scale.md, from the JSON results."""
    rows = [
        "| validator | data triples | release triples | build s | parse | validate | dumps | store load | build peak RSS MiB | store MiB | publish s | Oxigraph server RSS MiB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results["sizes"]:
        ph = r["build_phases_s"]
        rows.append(
            f"| {r['validator']} | {r['corpus'].split()[0]} | {r['release_triples']} | {r['build_s']} | {ph.get('parse_sources', '')} | "
            f"{ph.get('validate', '')} | {ph.get('dumps', '')} | {ph.get('store_load', '')} | {r['build_peak_rss_mib']} | "
            f"{r['store_bytes'] / 2**20:.0f} | {r.get('publish_s', '-')} | {r.get('oxigraph_server_peak_rss_mib', '-')} |"
        )
    # Query tables: only runs that measured both query sets (the examples before they were
    # anchored on the Initiative and the SCO were a different workload).
    sizes = [r for r in results["sizes"] if "embedded_corpus_queries" in r]
    if not sizes:
        return "\n".join(rows) + "\n"
    for title, key, remote_key in (
        ("Example queries (`src/scograph/queries/`, anchored)", "embedded_queries", "remote_queries"),
        ("Corpus-wide questions (`benchmarks/corpus_queries/`)", "embedded_corpus_queries", "remote_corpus_queries"),
    ):
        rows += ["", f"{title}: p50 ms (p95 ms), rows in the answer; no result cache.", ""]
        rows.append("| query | " + " | ".join(f"embedded {r['size']:,} | remote {r['size']:,} | rows {r['size']:,}" for r in sizes) + " |")
        rows.append("| --- |" + " ---: | ---: | ---: |" * len(sizes))
        for name in sorted(sizes[0][key]):
            cells = []
            for r in sizes:
                e = r[key].get(name)
                m = r.get(remote_key, {}).get(name)
                cells += [f"{e['p50_ms']} ({e['p95_ms']})" if e else "-", f"{m['p50_ms']} ({m['p95_ms']})" if m else "-", f"{e['rows']:,}" if e else "-"]
            rows.append(f"| {name} | " + " | ".join(cells) + " |")
        summary_key = key.replace("_queries", "_summary")
        remote_summary_key = remote_key.replace("_queries", "_summary")
        cells = []
        for r in sizes:
            e, m = r[summary_key], r.get(remote_summary_key)
            cells += [
                f"{e['pooled_p50_ms']} ({e['pooled_p95_ms']}); {e['queries_p50_under_10ms']}/{e['queries']} < 10 ms",
                f"{m['pooled_p50_ms']} ({m['pooled_p95_ms']}); {m['queries_p50_under_10ms']}/{m['queries']} < 10 ms" if m else "-",
                "",
            ]
        rows.append("| **all runs pooled** | " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=20, help="runs of each query (after one warm-up)")
    parser.add_argument("--no-remote", action="store_true", help="skip the Oxigraph server measurements")
    parser.add_argument("--validator", choices=["committed", "fast", "pyshacl", "none"], default="committed", help="SHACL validation used by the build (default: the build as committed)")
    parser.add_argument("--workdir", type=Path, help="keep corpora and builds here (default: a temporary directory)")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "scale-results.json")
    parser.add_argument("--render", action="store_true", help="only print the markdown tables of --out")
    parser.add_argument(
        "--queries-only", action="store_true",
        help="measure only query latency (and publish), on the builds an earlier run left in --workdir",
    )
    parser.add_argument(
        "--validation-only", nargs="+", choices=["pyshacl", "fast", "partitioned"], metavar="VALIDATOR",
        help="measure only SHACL validation with these validators (results under 'validation' in --out)",
    )
    args = parser.parse_args()
    if args.validation_only:
        workdir = args.workdir or Path(tempfile.mkdtemp(prefix="scograph-validation-"))
        workdir.mkdir(parents=True, exist_ok=True)
        results = json.loads(args.out.read_text()) if args.out.exists() else {"sizes": []}
        done = {r["size"]: r for r in results.get("validation", [])}
        for size in args.sizes:
            done[size] = {**done.get(size, {}), **bench_validation(size, workdir, args.validation_only)}
            results["validation"] = [done[k] for k in sorted(done)]
            args.out.write_text(json.dumps(results, indent=2) + "\n")
        return
    if args.render:
        print(render_markdown(json.loads(args.out.read_text())))
        return

    if args.queries_only:
        if args.workdir is None:
            parser.error("--queries-only needs --workdir, the directory an earlier run kept its builds in")
        from scograph.release import current_release

        results = json.loads(args.out.read_text())
        for size in args.sizes:
            entry = next((r for r in results["sizes"] if r["size"] == size and r.get("validator") == args.validator), None)
            if entry is None:
                parser.error(f"{args.out} has no {size}-triple entry for validator {args.validator!r} to add to")
            print(f"== queries at {size} triples", file=sys.stderr, flush=True)
            bench_queries(current_release(args.workdir / f"build-{size}"), args.workdir, size, args.repeats, not args.no_remote, entry)
            args.out.write_text(json.dumps(results, indent=2) + "\n")
            print(json.dumps({k: v for k, v in entry.items() if k.endswith("_summary")}, indent=2), file=sys.stderr)
        return

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="scograph-scale-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}, "sizes": []}
    if args.out.exists():
        previous = json.loads(args.out.read_text())
        results["sizes"] = [
            r for r in previous.get("sizes", []) if (r["size"], r.get("validator")) not in {(n, args.validator) for n in args.sizes}
        ]
    for size in args.sizes:
        print(f"== {size} triples", file=sys.stderr, flush=True)
        entry = bench_size(size, workdir, args.repeats, not args.no_remote, args.validator)
        results["sizes"].append(entry)
        results["sizes"].sort(key=lambda r: (r.get("validator", ""), r["size"]))
        args.out.write_text(json.dumps(results, indent=2) + "\n")
        summary = {k: v for k, v in entry.items() if not k.endswith("_queries")}
        print(json.dumps(summary, indent=2), file=sys.stderr, flush=True)
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
