"""The start-up check that the endpoint does not cut long results without saying so.

Separate because it is about the server's configuration, not about any query:
Virtuoso's ``ResultSetMaxRows`` answers 200 with the first N rows and no header,
and a truncated answer passed off as complete is the one failure a reader cannot notice.
"""

from __future__ import annotations

import requests

from scograph.store.base import SPARQL_JSON
from scograph.store.remote.errors import RemoteStoreError


def refuse_silent_truncation(session: requests.Session, query_url: str, max_results: int, timeout: tuple[float, float]) -> None:
    """Refuse a store that silently returns fewer rows than ``max_results + 1`` when asked."""
    wanted = max_results + 1
    digits = max(1, len(str(wanted)))
    values = " ".join(f"VALUES ?d{i} {{ 0 1 2 3 4 5 6 7 8 9 }}" for i in range(digits))
    query = f"SELECT ?d0 WHERE {{ {values} }} LIMIT {wanted}"
    try:
        response = session.post(
            query_url,
            data={"query": query},
            headers={"Accept": SPARQL_JSON},
            timeout=timeout,
        )
        rows = len(response.json()["results"]["bindings"]) if response.status_code == 200 else None
    except (requests.RequestException, ValueError, KeyError):
        rows = None
    if rows is None:
        raise RemoteStoreError(f"{query_url} could not answer a plain SELECT of {wanted} generated rows")
    if rows < wanted:
        raise RemoteStoreError(
            f"{query_url} cuts results at {rows} rows without saying so, below --max-results "
            f"{max_results}: answers could be silently incomplete. Raise the store's row limit "
            f"(Virtuoso: [SPARQL] ResultSetMaxRows in virtuoso.ini) or lower --max-results below {rows}."
        )
