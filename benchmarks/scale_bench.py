"""How cost grows with size: build, validation, store load, memory and query latency.

For each size (synthetic corpora from ``scograph synthetic``) this measures

- ``scograph build`` as a user runs it (the command, stderr not a terminal): wall
  time and CPU seconds (user+sys of the whole process tree, workers included) per
  phase, from its one line per phase, time-stamped as they arrive; peak RSS of the
  largest process (``ru_maxrss``) and of the whole tree (summed RSS and PSS,
  sampled every 0.25 s); the load average before and after;
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


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (from /proc/<pid>/task/*/children)."""
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                stack.extend(int(child) for child in task.read_text().split())
            except OSError:
                pass
    return found


_TICK = os.sysconf("SC_CLK_TCK")
CORES = len(os.sched_getaffinity(0))


def tree_cpu_seconds(pid: int) -> dict[int | str, float]:
    """user+sys per live process of ``pid``'s tree, and under "reaped" what its exited children used."""
    seconds: dict[int | str, float] = {}
    for index, current in enumerate(_tree(pid)):
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds[current] = (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime
        if index == 0:
            seconds["reaped"] = (int(fields[13]) + int(fields[14])) / _TICK  # cutime, cstime
    return seconds


def tree_memory_mib(pid: int) -> tuple[float, float]:
    """Summed RSS and PSS (MiB) of ``pid`` and its descendants."""
    rss = pss = 0
    for current in _tree(pid):
        try:
            for line in Path(f"/proc/{current}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:
            continue
    return rss / 1024, pss / 1024


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def measure_build(command: list[str], *, env: dict | None = None) -> dict:
    """Run a build the way a user does and measure it: wall and CPU per phase, memory of the tree.

    A phase ends when the build prints its line (``name: 12.3 s (...)``); the CPU
    seconds of the whole process tree are read at that moment.
    """
    import threading

    load_before = load_average()
    start = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peak = {"rss": 0.0, "pss": 0.0}
    phase_peak = {"pss": 0.0}  # since the last phase line
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.25):
            rss, pss = tree_memory_mib(process.pid)
            peak["rss"], peak["pss"] = max(peak["rss"], rss), max(peak["pss"], pss)
            phase_peak["pss"] = max(phase_peak["pss"], pss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    phases, lines, previous_at = [], [], 0.0
    seen: dict = {}  # last CPU seconds of every process seen
    counted_gone: set = set()
    assert process.stderr is not None
    for line in process.stderr:
        line = line.rstrip("\n")
        at = time.monotonic() - start
        lines.append(line)
        cpu = tree_cpu_seconds(process.pid)
        name, sep, rest = line.partition(": ")
        if sep and rest.split(" ", 2)[1:2] == ["s"]:  # "validate: 12.3 s (...)"
            phase = {"phase": name, "wall_s": float(rest.split()[0])}
        else:  # builds before phase lines logged what they had done ("validated: ...")
            phase = {"phase": line[:40], "wall_s": round(at - previous_at, 1)}
        # CPU of each process in this phase: the build first, then its workers. A worker
        # that exited moved its time into "reaped"; only what it used since its last sample is new.
        per_process = [round(cpu[p] - seen.get(p, 0.0), 1) for p in cpu if p != "reaped"]
        gone = sum(seen[p] for p in seen if p not in cpu and p != "reaped" and p not in counted_gone)
        counted_gone.update(p for p in seen if p not in cpu)
        exited = cpu.get("reaped", 0.0) - seen.get("reaped", 0.0) - gone
        if exited > 0.05:
            per_process.append(round(exited, 1))
        seen.update(cpu)
        total = sum(per_process)
        phases.append({
            **phase, "cpu_s": round(total, 1), "cpu_by_process_s": per_process, "at_s": round(at, 1),
            # What the phase needs of a quiet machine: its busiest process, or its CPU spread on every core.
            "quiet_machine_s": round(max(max(per_process, default=0), total / CORES), 1),
            "tree_peak_pss_mib": round(phase_peak["pss"]),
        })
        phase_peak["pss"] = 0.0
        previous_at = at
    stdout = process.stdout.read() if process.stdout else ""
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - start
    done.set()
    sampler.join()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n" + "\n".join(lines[-30:]))
    cpu_total = usage.ru_utime + usage.ru_stime  # the build and every worker it reaped
    for phase in phases:
        phase["cores_busy"] = round(phase["cpu_s"] / phase["wall_s"], 2) if phase["wall_s"] else None
    return {
        "command": " ".join(command),
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu_total, 1),
        "cores_busy": round(cpu_total / wall, 2),
        "largest_process_peak_rss_mib": usage.ru_maxrss // 1024,
        "tree_peak_rss_mib": round(peak["rss"]),
        "tree_peak_pss_mib": round(peak["pss"]),
        "load_before": load_before,
        "load_after": load_average(),
        "phases": phases,
        "stderr": lines,
        "stdout": stdout.strip(),
    }


def build_phases(lines: list[tuple[float, str]], wall: float) -> dict[str, float]:
    """Phase durations from the log of the build before phase lines (read -> validated -> dumps -> store)."""
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
    from scograph.validate.fast import validate_graphs_fast
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
from scograph.validate.fast import validate_graphs_fast
sources = load_sources(Settings(source_root=Path(sys.argv[1]), build_dir=Path("/nonexistent")))
data = sources.data.triples + sources.ontology.triples + sources.record.triples
start = time.monotonic()
if sys.argv[2] == "partitioned":
    # One partition per synthetic file (100 documents each); the real data is shared.
    from scograph.sources import parse_turtle_file
    from scograph.validate.partitioned import validate_partitioned
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


def machine() -> dict:
    """What the numbers were measured on: CPU model, cores, memory, and how Python was built."""
    import platform
    import sysconfig

    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    memory = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    config = sysconfig.get_config_var("CONFIG_ARGS") or ""
    return {
        "cpu": model,
        "cpus": os.cpu_count(),
        "memory_gib": round(memory / 2**20, 1),
        "python": sys.version.split()[0],
        "python_executable": sys.executable,
        # pyenv's default build (--enable-shared, no PGO/LTO) runs pure Python markedly slower
        # than a distribution's interpreter on the same machine: see REPORT-scale.md.
        "python_configure": " ".join(arg for arg in config.split() if arg.strip("'").startswith("--enable")),
    }


def corpus(size: int, workdir: Path) -> Path:
    sources = workdir / f"sources-{size}"
    if not sources.exists():
        run_timed([*SCOGRAPH, "synthetic", "--triples", str(size), "--out", str(sources)])
    return sources


def bench_build(size: int, workdir: Path, label: str, *, force: bool, python: str) -> dict:
    """``scograph build`` on a synthetic corpus, as a user runs it, measured per phase."""
    sources = corpus(size, workdir)
    build_dir = workdir / f"build-{size}-{label}"
    command = [python, "-m", "scograph", "build", "--sources", str(sources), "--build-dir", str(build_dir)]
    result = measure_build(command + (["--force"] if force else []))
    return {"size": size, "label": label, "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), **result}


def bench_size(size: int, workdir: Path, repeats: int, with_remote: bool, validator: str) -> dict:
    from scograph.release import current_release

    result: dict = {"size": size, "validator": validator}
    sources = workdir / f"sources-{size}"
    build_dir = workdir / f"build-{size}"
    wall, _rss, _lines, stdout = run_timed([*SCOGRAPH, "synthetic", "--triples", str(size), "--out", str(sources)])
    result["generate_s"] = round(wall, 2)
    result["corpus"] = stdout.strip()

    if validator == "committed":  # the command itself, as a user runs it
        measured = measure_build([*SCOGRAPH, "build", "--sources", str(sources), "--build-dir", str(build_dir)])
        wall, rss = measured["wall_s"], measured["largest_process_peak_rss_mib"]
        result["build"] = {k: v for k, v in measured.items() if k != "stderr"}
        result["build_phases_s"] = {p["phase"]: p["wall_s"] for p in measured["phases"]}
    else:
        wall, rss, lines, _ = run_timed([sys.executable, "-c", BUILD_CHILD, str(sources), str(build_dir), validator])
        result["build_phases_s"] = build_phases(lines, wall)
    release = current_release(build_dir)
    result["build_s"] = round(wall, 2)
    result["build_peak_rss_mib"] = rss
    result["release_triples"] = release.manifest["triples"]
    result["store_bytes"] = sum(p.stat().st_size for p in release.store_path.rglob("*") if p.is_file())
    result["dump_nq_bytes"] = (release.path / "scograph.nq").stat().st_size

    bench_queries(release, workdir, size, repeats, with_remote, result)
    shutil.rmtree(sources, ignore_errors=True)
    return result


def render_builds(builds: list[dict]) -> str:
    """`scograph build` runs (--build-only): per phase wall / CPU / quiet-machine estimate."""
    rows = [
        "| run | triples | when (load before -> after) | wall s | CPU s | cores busy | quiet-machine s | tree peak PSS MiB | largest process MiB | phases: wall s / CPU s (per process) |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for b in builds:
        phases = "; ".join(
            f"{p['phase']} {p['wall_s']} / {p['cpu_s']} ({' + '.join(str(c) for c in p.get('cpu_by_process_s', []))})"
            for p in b["phases"]
        )
        quiet = round(sum(p.get("quiet_machine_s", 0) for p in b["phases"]), 1)
        rows.append(
            f"| {b['label']} | {b['size']:,} | {b['measured_at']} ({b['load_before'].split()[0]} -> {b['load_after'].split()[0]}) | "
            f"{b['wall_s']} | {b['cpu_s']} | {b['cores_busy']} | {quiet} | {b['tree_peak_pss_mib']} | "
            f"{b['largest_process_peak_rss_mib']} | {phases} |"
        )
    return "\n".join(rows) + "\n"


def render_markdown(results: dict) -> str:
    """The tables of REPORT-scale.md, from the JSON results."""
    rows = [
        "| validator | data triples | release triples | build s | parse | validate | dumps | store load | build peak RSS MiB | store MiB | publish s | Oxigraph server RSS MiB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results["sizes"]:
        ph = r["build_phases_s"]
        # Builds since the phase lines: reading, validation, then dumps and store together.
        parse = ph.get("parse_sources", ph.get("read sources", ""))
        dumps = ph.get("dumps", ph.get("dumps and store", ""))
        store = ph.get("store_load", "(in dumps)" if "dumps and store" in ph else "")
        rows.append(
            f"| {r['validator']} | {r['corpus'].split()[0]} | {r['release_triples']} | {r['build_s']} | {parse} | "
            f"{ph.get('validate', '')} | {dumps} | {store} | {r['build_peak_rss_mib']} | "
            f"{r['store_bytes'] / 2**20:.0f} | {r.get('publish_s', '-')} | {r.get('oxigraph_server_peak_rss_mib', '-')} |"
        )
    if results.get("builds"):
        rows += ["", render_builds(results["builds"])]
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
        "--build-only", action="store_true",
        help="measure only `scograph build` (per phase: wall, CPU of the process tree; memory of the tree); "
        "results under 'builds' in --out",
    )
    parser.add_argument("--label", default="committed", help="name of this --build-only run in the results")
    parser.add_argument("--force", action="store_true", help="--build-only: rebuild a release that exists (scograph build --force)")
    parser.add_argument("--python", default=sys.executable, help="--build-only: the interpreter that runs scograph")
    parser.add_argument(
        "--validation-only", nargs="+", choices=["pyshacl", "fast", "partitioned"], metavar="VALIDATOR",
        help="measure only SHACL validation with these validators (results under 'validation' in --out)",
    )
    args = parser.parse_args()
    if args.build_only:
        workdir = args.workdir or Path(tempfile.mkdtemp(prefix="scograph-build-"))
        workdir.mkdir(parents=True, exist_ok=True)
        results = json.loads(args.out.read_text()) if args.out.exists() else {"sizes": []}
        for size in args.sizes:
            print(f"== scograph build, {size} triples ({args.label})", file=sys.stderr, flush=True)
            entry = bench_build(size, workdir, args.label, force=args.force, python=args.python)
            entry["machine"] = json.loads(subprocess.run(
                [args.python, "-c", "import json, runpy; m = runpy.run_path(%r)['machine'](); print(json.dumps(m))" % __file__],
                capture_output=True, text=True, check=True).stdout)
            results.setdefault("builds", []).append(entry)
            args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
            print(json.dumps({k: v for k, v in entry.items() if k not in ("stderr",)}, indent=1), file=sys.stderr, flush=True)
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
        return
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
    results = {"machine": machine(), "sizes": []}
    if args.out.exists():
        previous = json.loads(args.out.read_text())
        results = {**previous, **results}  # keep the validation and build-only runs
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
