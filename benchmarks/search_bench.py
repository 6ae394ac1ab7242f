"""Search and reconciliation benchmark: relevance on the judged set, segmenters compared, latency at scale.

    .venv/bin/python benchmarks/search_bench.py                    # relevance + segmenters + latency at 1M
    .venv/bin/python benchmarks/search_bench.py --triples 100000   # latency at 100k instead
    .venv/bin/python benchmarks/search_bench.py --triples 0        # no latency part

Writes ``benchmarks/REPORT-search.md`` and ``benchmarks/search-results.json``.

1. **Relevance**: every query of ``benchmarks/search_judged.json`` runs against the
   index of a release built from this checkout; recall (all hits), precision at 5
   (relevant hits in the first min(5, |relevant|)), precision of every hit, and MRR.
   Every judged IRI is checked to exist in the release first.
2. **Segmenters**: the Chinese queries against the same Chinese texts indexed four
   ways (character bigrams as shipped; jieba ``cut_for_search`` when jieba is
   installed; SQLite's trigram tokenizer; unicode61 without segmentation), scored
   against substring truth (the texts that contain the query).
3. **Reconciliation**: the judged names through ``POST /reconcile`` of the Flask
   app: precision at 1, and precision/recall of the ``match`` flag.
4. **Latency**: ``scograph synthetic --triples N``, loaded into an on-disk Oxigraph
   store (data and ontology graphs, as the build has them), indexed with the
   build's own ``write_index``; then each judged query 5 times (p50/p95 of
   ``SearchIndex.search``, first page of 20) and each judged name through
   ``SearchIndex.candidates``. The full ``scograph build`` at 1M (SHACL, dumps)
   takes minutes (benchmarks/REPORT-scale.md); only the index step is timed here.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
JUDGED = REPO / "benchmarks" / "search_judged.json"
REPORT = REPO / "benchmarks" / "REPORT-search.md"
RESULTS = REPO / "benchmarks" / "search-results.json"
OUT = REPO / "benchmarks" / "out"
sys.path.insert(0, str(REPO / "src"))

from scograph.search.segment import CJK_RUN, has_cjk, segment_cjk  # noqa: E402

BASE = "https://w3id.org/scograph/"


def resolve(path: str, document: str) -> str:
    if path.startswith("#"):
        return f"{BASE}id/{document}/clause/{path[1:]}"
    return path if path.startswith("http") else BASE + "id/" + path


def load_judged() -> dict:
    return json.loads(JUDGED.read_text("utf-8"))


def build_release(workdir: Path):
    from scograph.build import build
    from scograph.config import Settings

    return build(Settings(source_root=REPO, build_dir=workdir / "build"))


# -- 1. relevance -----------------------------------------------------------------------------------


def relevance(index, judged: dict) -> dict:
    known = {iri for (iri,) in index.db.execute("SELECT iri FROM resources")}
    rows = []
    for q in judged["queries"]:
        relevant = {resolve(p, judged["document"]) for p in q["relevant"]}
        missing = relevant - known
        if missing:
            raise SystemExit(f"search_judged.json: query {q['q']!r} names IRIs the release does not have: {sorted(missing)}")
        result = index.search(q["q"], per_page=100)
        found = [h.iri for h in result.hits]
        k = min(5, len(relevant))
        top = found[:k]
        first = next((i + 1 for i, iri in enumerate(found) if iri in relevant), None)
        rows.append(
            {
                "q": q["q"],
                "category": q["category"],
                "relevant": len(relevant),
                "hits": result.total,
                "mode": result.mode,
                "recall": len(relevant & set(found)) / len(relevant),
                "p_at_5": len(relevant & set(top)) / k,
                "precision": (len(relevant & set(found)) / len(found)) if found else 0.0,
                "rr": 1 / first if first else 0.0,
                "missed": sorted(p.removeprefix(BASE + "id/") for p in relevant - set(found)),
            }
        )
    return {"queries": rows, **_means(rows)}


def _means(rows: list[dict]) -> dict:
    keys = ("recall", "p_at_5", "precision", "rr")
    by_category: dict[str, list[dict]] = {}
    for row in rows:
        by_category.setdefault(row["category"], []).append(row)
    return {
        "mean": {k: statistics.fmean(r[k] for r in rows) for k in keys},
        "by_category": {c: {"n": len(rs), **{k: statistics.fmean(r[k] for r in rs) for k in keys}} for c, rs in sorted(by_category.items())},
    }


# -- 2. segmenters ------------------------------------------------------------------------------------


def chinese_texts(index) -> dict[int, str]:
    """Resource id -> its Chinese lines (labels and texts), from the index itself."""
    out = {}
    for rid, label, body in index.db.execute("SELECT rowid, label, body FROM fts"):
        lines = [line for line in (label + "\n" + body).split("\n") if has_cjk(line)]
        if lines:
            out[rid] = "\n".join(lines)
    return out


def segmenters(index, judged: dict) -> dict:
    texts = chinese_texts(index)
    queries = sorted({run for q in judged["queries"] for run in CJK_RUN.findall(q["q"])})
    truth = {q: {rid for rid, t in texts.items() if q in t} for q in queries}
    methods = {}

    def table(tokenizer: str, rows) -> sqlite3.Connection:
        db = sqlite3.connect(":memory:")
        db.execute(f"CREATE VIRTUAL TABLE t USING fts5(x, tokenize = '{tokenizer}')")
        db.executemany("INSERT INTO t (rowid, x) VALUES (?, ?)", rows)
        return db

    def score(name: str, search, note: str = "") -> None:
        per_query = {}
        for q in queries:
            found = search(q)
            hit = found & truth[q]
            per_query[q] = {"recall": len(hit) / len(truth[q]) if truth[q] else 1.0, "precision": len(hit) / len(found) if found else (1.0 if not truth[q] else 0.0)}
        methods[name] = {
            "recall": statistics.fmean(v["recall"] for v in per_query.values()),
            "precision": statistics.fmean(v["precision"] for v in per_query.values()),
            "full_recall_queries": sum(1 for v in per_query.values() if v["recall"] == 1.0),
            "zero_recall_queries": [q for q, v in per_query.items() if v["recall"] == 0.0],
            "note": note,
            "per_query": per_query,
        }

    def run(db, expression: str) -> set[int]:
        try:
            return {r for (r,) in db.execute("SELECT rowid FROM t WHERE t MATCH ?", (expression,))}
        except sqlite3.OperationalError:
            return set()

    bigram_db = table("unicode61", [(rid, segment_cjk(t)) for rid, t in texts.items()])
    from scograph.search.query import parse

    def bigram_search(q: str) -> set[int]:
        term = parse(q).terms[0]
        return run(bigram_db, term.expression().split(" : ", 1)[1])

    score("character bigrams (shipped)", bigram_search)
    try:
        import jieba

        jieba.setLogLevel(60)
        started = time.perf_counter()
        jieba.initialize()
        init = time.perf_counter() - started
        jieba_db = table("unicode61", [(rid, " ".join(jieba.cut_for_search(t))) for rid, t in texts.items()])

        def jieba_search(q: str) -> set[int]:
            tokens = [w for w in jieba.cut_for_search(q) if has_cjk(w)]
            return run(jieba_db, " AND ".join(f'"{w}"' for w in tokens)) if tokens else set()

        score("jieba cut_for_search", jieba_search, f"jieba {jieba.__version__}, dictionary load {init:.2f} s")
    except ImportError:
        methods["jieba cut_for_search"] = {"note": "jieba is not installed (pip install jieba) - not measured"}
    trigram_db = table("trigram", list(texts.items()))
    score("SQLite trigram tokenizer", lambda q: run(trigram_db, f'"{q}"'))
    plain_db = table("unicode61", list(texts.items()))
    score("unicode61, no segmentation", lambda q: run(plain_db, f'"{q}"'))
    return {"queries": queries, "texts": len(texts), "methods": methods}


# -- 3. reconciliation -------------------------------------------------------------------------------


def reconciliation(store, judged: dict) -> dict:
    from scograph.web.app import create_app

    client = create_app(store).test_client()
    names = judged["names"]
    queries = {f"q{i}": ({"query": n["name"], "type": n["type"]} if n.get("type") else {"query": n["name"]}) for i, n in enumerate(names)}
    started = time.perf_counter()
    answer = client.post("/reconcile", data={"queries": json.dumps(queries)}).get_json()
    elapsed = time.perf_counter() - started
    rows = []
    for i, n in enumerate(names):
        expected = resolve(n["expected"], judged["document"]) if n["expected"] else None
        result = answer[f"q{i}"]["result"]
        top = result[0] if result else None
        matched = next((c for c in result if c["match"]), None)
        rows.append(
            {
                "name": n["name"],
                "type": n.get("type"),
                "expected": n["expected"],
                "top": top["id"].removeprefix(BASE + "id/") if top else None,
                "top_score": top["score"] if top else None,
                "top_correct": bool(top and expected and top["id"] == expected),
                "match": matched["id"].removeprefix(BASE + "id/") if matched else None,
                "match_correct": bool(matched and expected and matched["id"] == expected),
            }
        )
    with_expected = [r for r in rows if r["expected"]]
    matched = [r for r in rows if r["match"]]
    return {
        "names": rows,
        "precision_at_1": sum(r["top_correct"] for r in with_expected) / len(with_expected),
        "match_precision": (sum(r["match_correct"] for r in matched) / len(matched)) if matched else 1.0,
        "match_recall": sum(r["match_correct"] for r in with_expected) / len(with_expected),
        "false_matches_for_absent": sum(1 for r in rows if not r["expected"] and r["match"]),
        "batch_seconds": elapsed,
    }


# -- 4. latency ---------------------------------------------------------------------------------------


def synthetic_index(triples: int, out: Path) -> tuple[Path, dict]:
    import pyoxigraph as ox

    from scograph.namespaces import graph_iri
    from scograph.search.indexer import write_index
    from scograph.sources import turtle_files

    out.mkdir(parents=True, exist_ok=True)
    sources = out / f"synthetic-{triples}"
    timings = {}
    if not (sources / "data").is_dir():
        started = time.perf_counter()
        subprocess.run(
            [str(Path(sys.executable).with_name("scograph")), "synthetic", "--triples", str(triples), "--out", str(sources)],
            check=True, stdout=subprocess.DEVNULL,
        )
        timings["synthetic_seconds"] = time.perf_counter() - started
    store_dir = out / f"store-{triples}"
    index_path = out / f"search-{triples}.sqlite"
    started = time.perf_counter()
    if store_dir.exists():
        import shutil

        shutil.rmtree(store_dir)
    store = ox.Store(str(store_dir))
    for name in ("ontology", "data"):
        for path in turtle_files(sources / name):
            store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(graph_iri(BASE, name)), base_iri=BASE + "id/")
    store.flush()
    timings["load_seconds"] = time.perf_counter() - started
    timings["quads"] = len(store)
    started, cpu = time.perf_counter(), time.process_time()
    counts = write_index(store, index_path, BASE)
    timings["index_seconds"] = time.perf_counter() - started
    timings["index_cpu_seconds"] = time.process_time() - cpu
    timings["index_bytes"] = index_path.stat().st_size
    timings.update(counts)
    del store
    return index_path, timings


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _summary(values: list[float]) -> dict:
    return {"p50": percentile(values, 50), "p95": percentile(values, 95), "max": max(values), "n": len(values)}


def latency(triples: int, judged: dict, out: Path) -> dict:
    from scograph.search.index import SearchIndex

    index_path, timings = synthetic_index(triples, out)
    index = SearchIndex(index_path)
    for q in judged["queries"]:  # warm the page cache once
        index.search(q["q"])
    search_ms, search_cpu_ms, per_query = [], [], {}
    for _ in range(5):
        for q in judged["queries"]:
            started, cpu = time.perf_counter(), time.process_time()
            result = index.search(q["q"], per_page=20)
            ms = (time.perf_counter() - started) * 1000
            search_cpu_ms.append((time.process_time() - cpu) * 1000)
            search_ms.append(ms)
            per_query.setdefault(q["q"], {"hits": result.total, "ms": []})["ms"].append(ms)
    names_ms, names_cpu_ms = [], []
    for _ in range(3):
        for n in judged["names"]:
            started, cpu = time.perf_counter(), time.process_time()
            index.candidates(n["name"], kinds=[n["type"]] if n.get("type") else None, limit=5)
            names_ms.append((time.perf_counter() - started) * 1000)
            names_cpu_ms.append((time.process_time() - cpu) * 1000)
    slowest = sorted(((statistics.median(v["ms"]), q, v["hits"]) for q, v in per_query.items()), reverse=True)[:5]
    return {
        "triples_requested": triples,
        **timings,
        "search_ms": _summary(search_ms),
        "search_cpu_ms": _summary(search_cpu_ms),
        "reconcile_candidates_ms": _summary(names_ms),
        "reconcile_candidates_cpu_ms": _summary(names_cpu_ms),
        "load_average": os.getloadavg(),
        "slowest_queries": [{"q": q, "median_ms": ms, "hits": hits} for ms, q, hits in slowest],
    }


# -- report -------------------------------------------------------------------------------------------


def _latency_row(name: str, wall: dict, cpu: dict) -> str:
    return f"| {name} | {wall['n']} | {wall['p50']:.1f} ms | {wall['p95']:.1f} ms | {wall['max']:.1f} ms | {cpu['p50']:.1f} ms | {cpu['p95']:.1f} ms |"


def report(results: dict) -> str:
    rel, seg, rec = results["relevance"], results["segmenters"], results["reconciliation"]
    out = [
        "# Search and reconciliation benchmark",
        "",
        f"Measured {results['date']} on {results['machine']} (SQLite {results['sqlite']}). Reproduce:",
        "",
        "```sh",
        ".venv/bin/pip install jieba   # only for the jieba row of the segmenter comparison; scograph does not use it",
        f".venv/bin/python benchmarks/search_bench.py --triples {results.get('latency', {}).get('triples_requested', 0)}",
        "```",
        "",
        "Reading it: search finds what the judged set calls relevant almost always (recall), and the first hits are",
        "mostly relevant (P@5); where P@5 is low the top hits are things *named* with the query (GBF targets",
        "about biodiversity, events called 上合组织…) that the judgement did not count as relevant.",
        "Chinese queries match exactly the texts that contain them (character bigrams, next section). Latency is",
        "measured on a shared 2-core machine: the CPU column is what one search costs, the wall column what it",
        "took while other jobs ran.",
        "",
        "## Relevance on the judged set",
        "",
        f"{len(rel['queries'])} queries in `benchmarks/search_judged.json` (relevant resources judged by reading the texts "
        "and labels in `data/`; every IRI checked against the release). Recall over all hits; P@5 over the first "
        "min(5, |relevant|) hits; precision over all hits; MRR.",
        "",
        "| Category | Queries | Recall | P@5 | Precision | MRR |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for category, m in rel["by_category"].items():
        out.append(f"| {category} | {m['n']} | {m['recall']:.2f} | {m['p_at_5']:.2f} | {m['precision']:.2f} | {m['rr']:.2f} |")
    m = rel["mean"]
    out += [f"| **all** | **{len(rel['queries'])}** | **{m['recall']:.2f}** | **{m['p_at_5']:.2f}** | **{m['precision']:.2f}** | **{m['rr']:.2f}** |", ""]
    out += ["Per query (mode `any`: no resource had every term; `fuzzy`: misspelling corrected to a close name):", "",
            "| Query | Category | Relevant | Hits | Mode | Recall | P@5 | Missed |", "| --- | --- | ---: | ---: | --- | ---: | ---: | --- |"]
    for r in rel["queries"]:
        missed = ", ".join(f"`{x}`" for x in r["missed"]) or ""
        out.append(f"| `{r['q']}` | {r['category']} | {r['relevant']} | {r['hits']} | {r['mode']} | {r['recall']:.2f} | {r['p_at_5']:.2f} | {missed} |")
    out += ["", "## Chinese segmentation: which tokenizer finds the texts", "",
            f"The {len(seg['queries'])} Chinese query runs of the judged set against the Chinese labels and texts of "
            f"{seg['texts']} resources, each indexed four ways; truth is substring containment (every text that contains the query).",
            "", "| Segmenter | Mean recall | Mean precision | Queries with full recall | Queries that find nothing | Note |",
            "| --- | ---: | ---: | ---: | --- | --- |"]
    for name, s in seg["methods"].items():
        if "recall" not in s:
            out.append(f"| {name} | - | - | - | - | {s['note']} |")
            continue
        zero = ", ".join(f"`{q}`" for q in s["zero_recall_queries"]) or "none"
        out.append(f"| {name} | {s['recall']:.2f} | {s['precision']:.2f} | {s['full_recall_queries']}/{len(seg['queries'])} | {zero} | {s['note']} |")
    out += ["", "## Reconciliation: judged names", "",
            f"{len(rec['names'])} names (with and without a type) in one `POST /reconcile` batch ({rec['batch_seconds'] * 1000:.0f} ms for the batch).",
            "", f"- precision at 1 (top candidate is the expected IRI): **{rec['precision_at_1']:.2f}**",
            f"- `match: true` precision: **{rec['match_precision']:.2f}**; recall: **{rec['match_recall']:.2f}**",
            f"- names absent from the data that got a `match`: **{rec['false_matches_for_absent']}**", "",
            "| Name | Type | Expected | Top candidate (score) | match |", "| --- | --- | --- | --- | --- |"]
    for r in rec["names"]:
        ok = "✓" if r["top_correct"] or (not r["expected"] and not r["match"]) else "✗"
        out.append(f"| {r['name']} | {r['type'] or ''} | `{r['expected']}` | {ok} `{r['top']}` ({r['top_score']}) | {r['match'] or ''} |")
    lat = results.get("latency")
    if lat:
        out += ["", f"## Latency at {lat['triples_requested']:,} synthetic triples", "",
                f"`scograph synthetic --triples {lat['triples_requested']}` ({lat['quads']:,} quads loaded in {lat['load_seconds']:.1f} s), "
                f"indexed by the build's `write_index` in **{lat['index_seconds']:.1f} s** ({lat['index_cpu_seconds']:.1f} s of CPU): "
                f"{lat['resources']:,} resources, {lat['index_bytes'] / 1e6:.1f} MB. Warm page cache; one thread. The machine has 2 cores "
                f"shared with other jobs (load average {lat['load_average'][0]:.1f} / {lat['load_average'][1]:.1f} / {lat['load_average'][2]:.1f} "
                "at the end of the run), so wall times include waiting for a core; CPU times are this process's own.", "",
                "| Operation | n | p50 wall | p95 wall | max wall | p50 CPU | p95 CPU |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
                _latency_row("`SearchIndex.search` (judged queries, first page of 20)", lat["search_ms"], lat["search_cpu_ms"]),
                _latency_row("`SearchIndex.candidates` (judged names)", lat["reconcile_candidates_ms"], lat["reconcile_candidates_cpu_ms"]),
                "", "Slowest queries (median of 5):", ""]
        out += [f"- `{s['q']}`: {s['median_ms']:.1f} ms ({s['hits']:,} hits)" for s in lat["slowest_queries"]]
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--triples", type=int, default=1_000_000, help="synthetic size for the latency part; 0 skips it")
    parser.add_argument("--workdir", type=Path, default=OUT, help="where the synthetic corpus, store and index are kept")
    parser.add_argument("--report", type=Path, default=REPORT, help="Markdown report to write")
    parser.add_argument("--results", type=Path, default=RESULTS, help="JSON results to write")
    parser.add_argument("--render-only", action="store_true", help="rewrite the report from --results without measuring")
    args = parser.parse_args()
    if args.render_only:
        args.report.write_text(report(json.loads(args.results.read_text("utf-8"))), "utf-8")
        return
    judged = load_judged()
    with tempfile.TemporaryDirectory() as tmp:
        release = build_release(Path(tmp))
        from scograph.search.index import SearchIndex
        from scograph.store.embedded import EmbeddedStore

        index = SearchIndex(release.search_index_path)
        store = EmbeddedStore(release)
        results = {
            "date": time.strftime("%Y-%m-%d", time.gmtime()),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            "sqlite": sqlite3.sqlite_version,
            "relevance": relevance(index, judged),
            "segmenters": segmenters(index, judged),
            "reconciliation": reconciliation(store, judged),
        }
        store.close()
    if args.triples:
        results["latency"] = latency(args.triples, judged, args.workdir)
    args.results.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", "utf-8")
    args.report.write_text(report(results), "utf-8")
    print(args.report.read_text("utf-8"))


if __name__ == "__main__":
    main()
