"""Profile: where one ``/sparql`` request's time goes, in one process, with every bound on.

    python benchmarks/lean_profile.py [--build-dir DIR] [--repeat 20] [--profile cached|uncached|none]

Times, per example query (``src/scograph/queries/``) and as the median over the mix:

- **engine**: ``query_worker.execute`` in this process (pyoxigraph query, iteration,
  serialization with the row and byte caps), what any server must spend;
- **pool**: ``EmbeddedStore.run`` without the result cache (the guard, the hop to a
  query worker process and back, the worker's share included: wall time);
- **app uncached** / **app cached**: the whole WSGI app (``BodyGate``, origin
  pinning, the fast path, Flask, the policies, the access log), called directly
  with a prepared environ, without and with the result cache.

``uncached`` makes every request unique (a ``# n`` comment line appended), as the
issue's harness did, so the guard's cache misses too. ``--profile`` prints a
cProfile of the app path (the web process's own Python; the query worker runs
elsewhere and shows as the wait in ``Connection.recv``/``poll``).

No HTTP server: the server's own parsing (granian, in Rust) is measured by
``endpoint_bench.py`` / ``server_bench.py`` as CPU per request.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from scograph.examples import example_queries  # noqa: E402
from scograph.sparql.guard import check_query  # noqa: E402


def _environ(query: str, accept: str) -> dict:
    from werkzeug.test import EnvironBuilder

    builder = EnvironBuilder(path="/sparql", query_string="query=" + quote(query), headers={"Accept": accept})
    return builder.get_environ()


def _call(app, environ: dict) -> tuple[str, bytes]:
    got = []

    def start_response(status, headers, exc_info=None):
        got.append(status)

    body = b"".join(app(dict(environ), start_response))
    return got[0], body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", type=Path, default=REPO / "build")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--profile", choices=("cached", "uncached", "none"), default="none")
    args = parser.parse_args()

    import pyoxigraph as ox

    from scograph.release import current_release
    from scograph.sparql.protocol import FORM_OVERHEAD, FORM_SLACK
    from scograph.store import query_worker
    from scograph.store.embedded import EmbeddedStore
    from scograph.web.app import WebConfig, create_app
    from scograph.web.body_gate import BodyGate

    release = current_release(args.build_dir)
    examples = example_queries()
    mix = []
    for example in examples:
        graph = check_query(example.query, None).returns_graph
        mix.append((example.slug, example.query, "text/turtle" if graph else "application/sparql-results+json", graph))

    engine_store = ox.Store.read_only(str(release.store_path))
    base_iri = query_worker.endpoint_iri(str(release.store_path))
    config = WebConfig()

    def app_for(cache_bytes: int):
        store = EmbeddedStore(release, result_cache_bytes=cache_bytes)
        store.start()
        app = BodyGate(create_app(store, config), slots=4, max_bytes=FORM_OVERHEAD * config.max_query_bytes + FORM_SLACK)
        return store, app

    rows = []
    cached_store, cached_app = app_for(64 * 1024 * 1024)
    plain_store, plain_app = app_for(0)
    try:
        for slug, query, accept, graph in mix:  # warm every path (workers up, guard cache, result cache)
            assert _call(cached_app, _environ(query, accept))[0].startswith("200"), slug
            _call(plain_app, _environ(query, accept))
        serial = 0
        for slug, query, accept, graph in mix:
            info = check_query(query, None)
            engine, pool, uncached, cached = [], [], [], []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                query_worker.execute(
                    engine_store, query, accept if not graph else "application/sparql-results+json",
                    accept if graph else "application/n-triples", (), (), config.max_results,
                    bool(info.from_graphs or info.from_named_graphs), base_iri, config.max_result_bytes,
                )
                engine.append(time.perf_counter() - t0)
                serial += 1
                t0 = time.perf_counter()
                plain_store.run(query + f"\n# {serial}", results_media_type=accept if not graph else "application/sparql-results+json",
                                graph_media_type=accept if graph else "application/n-triples")
                pool.append(time.perf_counter() - t0)
                serial += 1
                environ = _environ(query + f"\n# {serial}", accept)
                t0 = time.perf_counter()
                _call(plain_app, environ)
                uncached.append(time.perf_counter() - t0)
                environ = _environ(query, accept)
                t0 = time.perf_counter()
                _call(cached_app, environ)
                cached.append(time.perf_counter() - t0)
            rows.append((slug, *(statistics.median(x) * 1000 for x in (engine, pool, uncached, cached))))

        print("| query | engine ms | pool ms | app uncached ms | app cached ms |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for slug, *values in rows:
            print(f"| `{slug}` | " + " | ".join(f"{v:.3f}" for v in values) + " |")
        medians = [statistics.median(r[i] for r in rows) for i in range(1, 5)]
        means = [statistics.fmean(r[i] for r in rows) for i in range(1, 5)]
        print("| median of the mix | " + " | ".join(f"{v:.3f}" for v in medians) + " |")
        print("| mean of the mix | " + " | ".join(f"{v:.3f}" for v in means) + " |")

        if args.profile != "none":
            app = cached_app if args.profile == "cached" else plain_app
            environs = []
            for n in range(args.repeat):
                for slug, query, accept, graph in mix:
                    serial += 1
                    environs.append(_environ(query if args.profile == "cached" else query + f"\n# {serial}", accept))
            profiler = cProfile.Profile()
            profiler.enable()
            for environ in environs:
                _call(app, environ)
            profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
            stats.print_stats(45)
            print(f"\ncProfile, {args.profile}, {len(environs)} requests:\n")
            print(out.getvalue())
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(30)
            print(out.getvalue())
    finally:
        cached_store.close()
        plain_store.close()


if __name__ == "__main__":
    main()
