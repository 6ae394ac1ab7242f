"""Benchmark: the web process's own CPU per uncached ``/sparql`` request, as ``scograph serve`` builds it.

    python benchmarks/web_cpu_bench.py [--build-dir build] [--requests 4000] [--rounds 3] [--compare-src DIR]

One HTTP worker process's app (``serve.worker.worker_app`` with the default
options: the fast path, the first answer, the guard screen, the access log, the
query pool and its workers) is called directly with a prepared environ, for the
example-query mix round robin, each request made unique by a comment line (as
``endpoint_bench.py --wrk`` makes them). The CPU counted is this process's
(``time.process_time``): the query workers run elsewhere and are not in it, so
this is the web side of an uncached request without granian's HTTP parsing
(which ``endpoint_bench.py`` includes). The access log goes to /dev/null through
serve's own handler and format.

``--compare-src`` measures other package sources (e.g. ``git archive`` of main's
``src/``) the same way, alternated with this tree round by round; each
measurement is a fresh process.
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


def _child(build_dir: Path, requests: int) -> dict:
    import io
    import logging
    from urllib.parse import quote

    from scograph.examples import example_queries
    from scograph.release import current_release
    from scograph.serve import worker
    from scograph.serve.options import ServeOptions
    from scograph.sparql.guard import check_query

    release = current_release(build_dir)
    app = worker.worker_app(ServeOptions(), release, os.getppid())
    for handler in logging.getLogger("scograph").handlers:
        handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 - for the life of this process
    store = worker._STORES[0]
    mix = [("query=" + quote(e.query), "text/turtle" if check_query(e.query, None).returns_graph
            else "application/sparql-results+json") for e in example_queries()]

    def environ(n: int) -> dict:
        query_string, accept = mix[n % len(mix)]
        return {"REQUEST_METHOD": "GET", "PATH_INFO": "/sparql", "QUERY_STRING": f"{query_string}%0A%23%20{n}",
                "HTTP_ACCEPT": accept, "HTTP_HOST": "127.0.0.1:8080", "SERVER_NAME": "127.0.0.1",
                "SERVER_PORT": "8080", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
                "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr}

    statuses = []

    def start_response(status, headers, exc_info=None):
        statuses.append(status)

    try:
        deadline = time.monotonic() + 60
        while store.status().get("idle", 0) < 1 and time.monotonic() < deadline:  # query workers up
            time.sleep(0.1)
        for n in range(len(mix) * 4):  # warm: every example once through each path
            b"".join(app(environ(n), start_response))
        statuses.clear()
        cpu, wall = time.process_time(), time.perf_counter()
        for n in range(requests):
            b"".join(app(environ(10_000 + n), start_response))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        store.close()
    if not all(status.startswith("200") for status in statuses):
        raise SystemExit(f"not every request was answered 200: {sorted(set(statuses))}")
    return {"web_cpu_ms": cpu * 1000 / requests, "wall_ms": wall * 1000 / requests, "requests": requests}


def _measure(src: Path, build_dir: Path, requests: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(src), SCOGRAPH_SOURCES=str(REPO))
    done = subprocess.run(
        [sys.executable, __file__, "--child", "--build-dir", str(build_dir), "--requests", str(requests)],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the measurement with {src} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", type=Path, default=REPO / "build")
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--compare-src", type=Path)
    parser.add_argument("--out", type=Path, help="write the measurements here as JSON")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.build_dir.resolve(), args.requests)))
        return
    sources = {"this tree": REPO / "src"}
    if args.compare_src:
        sources["compared"] = args.compare_src.resolve()
    rows = []
    for round_number in range(1, args.rounds + 1):
        for name, src in sources.items():
            row = {"round": round_number, "sources": name, **_measure(src, args.build_dir.resolve(), args.requests)}
            rows.append(row)
            print(f"round {round_number} {name:9}: web CPU {row['web_cpu_ms']:.3f} ms per request, "
                  f"wall {row['wall_ms']:.3f} ms ({row['requests']} uncached requests)", flush=True)
    if args.out:
        args.out.write_text(json.dumps({"rows": rows, "compare_src": str(args.compare_src or "")}, indent=1), "utf-8")


if __name__ == "__main__":
    main()
