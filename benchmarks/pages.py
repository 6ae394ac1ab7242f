"""Latency of the dereferencing pages and RDF documents, measured in-process (Flask test client).

    python benchmarks/pages.py [--build-dir build] [--rounds 20]

Prints a markdown table (median and 95th percentile per URL); the committed
numbers are in ``benchmarks/pages.md``. In-process timing measures our work
(SPARQL, rendering, serialization) without network or WSGI-server overhead.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from scograph.release import current_release
from scograph.store.embedded import EmbeddedStore
from scograph.web.app import create_app

DOC = "document/2024/green-development-initiative"
URLS = [
    ("/", "text/html"),
    (f"/doc/{DOC}", "text/html"),
    (f"/doc/{DOC}/clause/op-3", "text/html"),
    ("/doc/instrument/kunming-montreal-global-biodiversity-framework", "text/html"),
    ("/doc/state/chn", "text/html"),
    ("/doc/state/chn", "text/turtle"),
    ("/doc/state/chn", "application/ld+json"),
    (f"/id/{DOC}/clause/op-3", "text/turtle"),
    ("/ontology", "text/html"),
    ("/ontology", "text/turtle"),
    ("/dataset", "text/html"),
    ("/browse", "text/html"),
    ("/downloads", "text/html"),
    ("/sitemap.xml", "*/*"),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", type=Path, default=Path("build"))
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    store = EmbeddedStore(current_release(args.build_dir))
    client = create_app(store).test_client()
    print(f"release {store.version}, {args.rounds} rounds after one warm-up\n")
    print("| URL | Accept | status | bytes | median ms | p95 ms |")
    print("| --- | --- | --- | ---: | ---: | ---: |")
    for url, accept in URLS:
        client.get(url, headers={"Accept": accept})
        times = []
        for _ in range(args.rounds):
            start = time.perf_counter()
            response = client.get(url, headers={"Accept": accept})
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        print(f"| `{url}` | `{accept}` | {response.status_code} | {len(response.data)} | {statistics.median(times):.1f} | {p95:.1f} |")
    store.close()


if __name__ == "__main__":
    main()
