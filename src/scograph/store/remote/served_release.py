"""Which release the endpoint serves: its pointer graph, read over HTTP.

Separate from the store because reading it has its own failure modes (an
unreachable endpoint, nothing published, several base IRIs, and Virtuoso's
briefly empty pointer during a republish), each said in one sentence.
"""

from __future__ import annotations

import time

import requests

from scograph.store.base import SPARQL_JSON
from scograph.store.pointer import CurrentRelease, parse_pointer_rows, read_query
from scograph.store.remote.errors import RemoteStoreError, first_line, network_reason

#: Pauses (seconds) before re-reading a pointer graph found empty; then it counts as "nothing published".
POINTER_EMPTY_RETRIES = (0.05, 0.1, 0.2, 0.4)


class _NoPointer(Exception):
    """The pointer graph named no release (possibly for an instant, during a switch)."""


def read_release(
    session: requests.Session, query_url: str, base_filter: str | None, timeout: tuple[float, float]
) -> CurrentRelease:
    """The release the pointer graph at ``query_url`` names (``timeout``: connect, read)."""
    # Virtuoso makes a DELETE/INSERT visible to concurrent readers in two steps: a
    # reader polling during a republish saw an empty pointer (tests/test_publish.py,
    # 2 of 4 runs). An empty pointer is therefore read again briefly before it counts.
    for delay in POINTER_EMPTY_RETRIES:
        try:
            return _read_once(session, query_url, base_filter, timeout)
        except _NoPointer:
            time.sleep(delay)
    return _read_once(session, query_url, base_filter, timeout, final=True)


def _read_once(
    session: requests.Session, query_url: str, base_filter: str | None, timeout: tuple[float, float], final: bool = False
) -> CurrentRelease:
    try:
        response = session.post(
            query_url,
            data={"query": read_query(base_filter)},
            headers={"Accept": SPARQL_JSON},
            timeout=timeout,
        )
    except requests.RequestException as exc:
        raise RemoteStoreError(f"cannot reach the SPARQL endpoint {query_url}: {network_reason(exc)}") from None
    if response.status_code != 200:
        raise RemoteStoreError(
            f"the SPARQL endpoint {query_url} answered {response.status_code} "
            f"when reading the current release: {first_line(response.text)}"
        )
    try:
        bindings = response.json()["results"]["bindings"]
    except (ValueError, KeyError) as exc:
        raise RemoteStoreError(f"{query_url} did not answer SPARQL JSON results: {exc}") from None
    rows = [{name: value["value"] for name, value in row.items()} for row in bindings]
    releases = parse_pointer_rows(rows, base_filter)
    if not releases and not final:
        raise _NoPointer()
    if not releases:
        raise RemoteStoreError(
            f"no scograph release is published at {query_url}"
            + (f" for base IRI {base_filter}" if base_filter else "")
            + "; run `scograph publish --to ...` first"
        )
    if len(releases) > 1:
        bases = ", ".join(sorted(r.base_iri for r in releases))
        raise RemoteStoreError(f"{query_url} holds releases for several base IRIs ({bases}); choose one with base_iri")
    return releases[0]
