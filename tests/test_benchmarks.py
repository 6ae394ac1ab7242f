"""The benchmark scripts still run: the committed reports must stay reproducible.

They are run at their smallest size here (seconds, not minutes); the numbers are
not checked, only that every measurement the reports quote is produced.
"""

from __future__ import annotations

import json
import subprocess
import sys

from scograph.examples import example_queries
from tests.conftest import REPO

BENCHMARKS = REPO / "benchmarks"


def _run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout, cwd=REPO)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_scale_benchmark_measures_build_and_both_query_sets_on_both_stores(tmp_path):
    out = tmp_path / "scale.json"
    _run(str(BENCHMARKS / "scale_bench.py"), "--sizes", "3000", "--repeats", "2", "--workdir", str(tmp_path / "work"), "--out", str(out))
    (entry,) = json.loads(out.read_text())["sizes"]
    assert entry["build_s"] > 0 and entry["build_peak_rss_mib"] > 0 and entry["publish_s"] > 0
    # The command as a user runs it: its phase lines, CPU of the whole process tree per phase.
    assert ["read sources", "validate", "dumps and store", "description and report"] == list(entry["build_phases_s"])
    build = entry["build"]
    assert build["cpu_s"] > 0 and build["tree_peak_pss_mib"] > 0 and build["load_before"]
    assert sum(p["cpu_s"] for p in build["phases"]) > 0.5 * build["cpu_s"]
    assert all(len(p["cpu_by_process_s"]) >= 1 for p in build["phases"])
    examples = {e.slug for e in example_queries()}
    corpus = {p.stem for p in (BENCHMARKS / "corpus_queries").glob("*.rq")}
    for store in ("embedded", "remote"):
        assert set(entry[f"{store}_queries"]) == examples
        assert set(entry[f"{store}_corpus_queries"]) == corpus
        for measured in entry[f"{store}_queries"].values():
            assert len(measured["runs_ms"]) == 2 and measured["rows"] > 0
        assert entry[f"{store}_summary"]["queries"] == len(examples)
    # Query latency again on the kept build, and the report's tables from the JSON.
    _run(str(BENCHMARKS / "scale_bench.py"), "--sizes", "3000", "--repeats", "1", "--no-remote", "--queries-only",
         "--workdir", str(tmp_path / "work"), "--out", str(out))
    (again,) = json.loads(out.read_text())["sizes"]
    assert all(len(m["runs_ms"]) == 1 for m in again["embedded_queries"].values())
    tables = _run(str(BENCHMARKS / "scale_bench.py"), "--render", "--out", str(out)).stdout
    assert all(slug in tables for slug in examples | corpus) and "all runs pooled" in tables


def test_page_benchmark_times_every_url(release):
    table = _run(str(BENCHMARKS / "pages.py"), "--build-dir", str(release.path.parent.parent), "--rounds", "2").stdout
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert len(rows) >= 10, table
    for row in rows:  # /id/ URLs answer 303 (see docs/web.md); everything else is a page
        assert ("| 303 |" if row.startswith("| `/id/") else "| 200 |") in row, row
