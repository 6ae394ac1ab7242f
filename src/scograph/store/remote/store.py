"""The remote store itself: the :class:`Store` interface over a SPARQL endpoint, with the embedded store's bounds.

Every query passes the guard, waits for one of ``max_concurrent_queries``
slots, runs under a client-side deadline and is read up to
``max_response_bytes``; answers go through the same bounded result cache,
keyed on the release version too. The package docstring
(:mod:`scograph.store.remote`) gives the design; the other modules hold the
pieces this one calls.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter

from scograph.sparql.guard import check_query, rewrite_iris
from scograph.store.base import (
    N_TRIPLES,
    SPARQL_JSON,
    QueryError,
    QueryOutcome,
    QueryRefused,
    QueryTimeout,
    Store,
    StoreBusy,
    StoreUnavailable,
)
from scograph.store.cache import ResultCache, result_key
from scograph.store.embedded import GRAPH_FORMATS, RESULTS_FORMATS
from scograph.store.pointer import CurrentRelease
from scograph.store.query_worker import DEFAULT_MAX_BYTES
from scograph.store.remote.answers import outcome_of
from scograph.store.remote.byte_cap import whole_rows
from scograph.store.remote.errors import RemoteStoreError, first_line
from scograph.store.remote.graph_names import dataset_params
from scograph.store.remote.row_limit import refuse_silent_truncation
from scograph.store.remote.served_release import read_release

#: Asked of the server: SELECT/ASK answer JSON, CONSTRUCT/DESCRIBE N-Triples (or Turtle).
ACCEPT_RESULTS = "application/sparql-results+json"
ACCEPT_GRAPH = "application/n-triples, text/turtle;q=0.9"


@dataclass
class _CachedPointer:
    current: CurrentRelease
    read_at: float


class RemoteStore(Store):
    """A :class:`Store` over a SPARQL 1.1 query endpoint, serving the release its pointer graph names."""

    def __init__(
        self,
        query_url: str,
        *,
        base_iri: str | None = None,
        query_timeout: float = 10.0,
        max_results: int = 10_000,
        max_concurrent_queries: int = 4,
        queue_timeout: float = 1.0,
        max_response_bytes: int = DEFAULT_MAX_BYTES,
        pointer_ttl: float = 2.0,
        connect_timeout: float = 5.0,
        auth: requests.auth.AuthBase | tuple[str, str] | None = None,
        result_cache_bytes: int = 16 * 1024 * 1024,
        result_cache_entry_bytes: int = 1024 * 1024,
        check_row_limit: bool = True,
    ):
        if not query_url.startswith(("http://", "https://")):
            raise RemoteStoreError(f"store URL must be an http(s) URL of a SPARQL endpoint, got {query_url!r}")
        self.query_url = query_url
        self._base_filter = base_iri
        self.query_timeout = query_timeout
        self.max_results = max_results
        self.max_response_bytes = max_response_bytes
        self.pointer_ttl = pointer_ttl
        self.connect_timeout = connect_timeout
        self._queue_timeout = queue_timeout
        self._max_concurrent = max_concurrent_queries
        self._slots = threading.BoundedSemaphore(max_concurrent_queries)
        self._session = requests.Session()
        # One pooled keep-alive connection per concurrent query, no retries of queries behind our back.
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max_concurrent_queries, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.auth = auth
        self._pointer_lock = threading.Lock()
        self._pointer: _CachedPointer | None = None
        # Keyed on the release version too: after a publish the new release's answers are
        # computed afresh, and the old entries age out of the LRU.
        self._cache = ResultCache(result_cache_bytes, result_cache_entry_bytes) if result_cache_bytes > 0 else None
        self.current()  # fail fast: unreachable store or nothing published
        if check_row_limit:
            refuse_silent_truncation(self._session, self.query_url, self.max_results, (self.connect_timeout, self.query_timeout))

    # -- the release served ----------------------------------------------------------------

    def current(self) -> CurrentRelease:
        """The release the pointer graph names (re-read at most every ``pointer_ttl`` seconds)."""
        now = time.monotonic()
        cached = self._pointer
        if cached is not None and now - cached.read_at < self.pointer_ttl:
            return cached.current
        with self._pointer_lock:
            cached = self._pointer
            if cached is not None and time.monotonic() - cached.read_at < self.pointer_ttl:
                return cached.current
            current = read_release(self._session, self.query_url, self._base_filter, (self.connect_timeout, self.query_timeout))
            self._pointer = _CachedPointer(current, time.monotonic())
            return current

    @property
    def version(self) -> str:
        return self._current_or_last().version

    @property
    def graph_iris(self) -> frozenset[str]:
        """The named graphs of the served release (what FROM / default-graph-uri may name)."""
        return frozenset(self._current_or_last().graphs)

    @property
    def base_iri(self) -> str:
        return self._current_or_last().base_iri

    def _current_or_last(self) -> CurrentRelease:
        """For describing the store (ETags, /healthz): the last release seen if the store is
        unreachable right now; queries themselves still fail with StoreBusy."""
        try:
            return self.current()
        except RemoteStoreError:
            cached = self._pointer
            if cached is None:
                raise StoreBusy("the remote store is unreachable") from None
            return cached.current

    def _current_or_busy(self) -> CurrentRelease:
        try:
            return self.current()
        except RemoteStoreError as exc:
            # Mid-request the store went away: a temporary condition for the client (503).
            raise StoreBusy(str(exc)) from None

    # -- queries -----------------------------------------------------------------------------

    def run(
        self,
        query: str,
        *,
        results_media_type: str = SPARQL_JSON,
        graph_media_type: str = N_TRIPLES,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        timeout: float | None = None,
        max_results: int | None = None,
    ) -> QueryOutcome:
        current = self._current_or_busy()
        # The endpoint's guard, the same rules as the embedded store, before anything leaves.
        info = check_query(query, frozenset(current.graphs))
        for graph in (*default_graph_uris, *named_graph_uris):
            if graph not in current.graphs:
                raise QueryRefused(f"<{graph}> is not a graph of this dataset")
        if (info.from_graphs or info.from_named_graphs) and not (default_graph_uris or named_graph_uris):
            # Protocol parameters replace FROM (SPARQL 1.1 Protocol 2.1.4): send the query's own
            # FROM graphs as parameters, mapped to the stored graphs however the query spelt them.
            default_graph_uris, named_graph_uris = info.from_graphs, info.from_named_graphs
        if results_media_type not in RESULTS_FORMATS:
            raise ValueError(f"unsupported results media type {results_media_type}")
        if graph_media_type not in GRAPH_FORMATS:
            raise ValueError(f"unsupported graph media type {graph_media_type}")
        timeout = self.query_timeout if timeout is None else min(timeout, self.query_timeout)
        cap = self.max_results if max_results is None else min(max_results, self.max_results)
        media_type = graph_media_type if info.returns_graph else results_media_type
        key = result_key(query, media_type, default_graph_uris, named_graph_uris, cap, current.version)
        if self._cache is not None:
            cached = self._cache.get(key)
            if cached is not None:
                return cached
        if not self._slots.acquire(timeout=self._queue_timeout):
            raise StoreBusy("too many queries are running; try again shortly")
        try:
            deadline = time.monotonic() + timeout
            content_type, body, cut = self._post_query(
                query, info.returns_graph, current, default_graph_uris, named_graph_uris, deadline, timeout
            )
        finally:
            self._slots.release()
        outcome = outcome_of(content_type, body, current, results_media_type, graph_media_type, cap, self.max_response_bytes, cut)
        if self._cache is not None:
            self._cache.put(key, outcome)
        return outcome

    def check(self, timeout: float) -> None:
        """For ``/healthz``: ask the store itself (never the result cache) within ``timeout`` seconds."""
        try:
            current = self.current()
        except RemoteStoreError as exc:
            raise StoreUnavailable(str(exc)) from None
        if not self._slots.acquire(timeout=min(timeout, self._queue_timeout)):
            raise StoreBusy("too many queries are running")
        try:
            self._post_query("ASK { ?s ?p ?o }", False, current, (), (), time.monotonic() + timeout, timeout)
        except (StoreBusy, QueryTimeout) as exc:
            raise StoreUnavailable(f"the store did not answer: {exc}") from None
        finally:
            self._slots.release()

    def _post_query(
        self,
        query: str,
        returns_graph: bool,
        current: CurrentRelease,
        default_graph_uris: Sequence[str],
        named_graph_uris: Sequence[str],
        deadline: float,
        timeout: float,
    ) -> tuple[str, bytes | dict, bool]:
        """(media type, body, whether the byte cap cut it); a cut body is only its whole rows
        (a SPARQL JSON document as a dict, N-Triples lines)."""
        params = [("query", rewrite_iris(query, current.graphs))]
        params += dataset_params(current, default_graph_uris, named_graph_uris)
        try:
            with self._session.post(
                self.query_url,
                data=params,
                headers={"Accept": ACCEPT_GRAPH if returns_graph else ACCEPT_RESULTS},
                timeout=(self.connect_timeout, timeout),
                stream=True,
            ) as response:
                chunks: list[bytes] = []
                size = 0
                cut = False
                for chunk in response.iter_content(64 * 1024):
                    if time.monotonic() > deadline:
                        raise QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped")
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > self.max_response_bytes:
                        cut = True  # stop reading (closing drops the connection): keep the whole rows read so far
                        break
                body = b"".join(chunks)
                status = response.status_code
                # Virtuoso's "anytime" queries answer 200 with a partial result when they hit the
                # server's limit, and say so only in these headers: never pass that off as complete.
                if response.headers.get("X-SQL-State") in ("S1TAT", "S1T00"):
                    raise QueryTimeout(f"the store stopped the query: {response.headers.get('X-SQL-Message', 'time limit')}")
                content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        except requests.Timeout:
            raise QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped") from None
        except requests.RequestException as exc:
            raise StoreBusy(f"the SPARQL endpoint is unreachable: {type(exc).__name__}") from None
        if status == 200:
            return content_type, (whole_rows(content_type, body, self.max_response_bytes) if cut else body), cut
        message = first_line(body.decode("utf-8", "replace"))
        if status in (400, 414):
            raise QueryError(message or f"the store refused the query ({status})")
        if status in (408, 504) or "timeout" in message.lower() or "timed out" in message.lower():
            raise QueryTimeout(f"the store stopped the query: {message}")
        if status in (429, 503):
            raise StoreBusy(f"the store is busy ({status})")
        # Virtuoso reports some compile errors as 500 with an SQL state; keep the text, it is the server's.
        if status == 500 and ("SPARQL compiler" in message or "SP0" in message):
            raise QueryError(message)
        raise StoreBusy(f"the store answered {status}: {message}")

    def status(self) -> dict:
        """For ``/healthz``: the endpoint and how many of this process's query slots are free."""
        idle = self._slots._value  # BoundedSemaphore keeps its count here; read-only use
        status = {"store": self.query_url, "workers": self._max_concurrent, "idle": idle, "running": self._max_concurrent - idle}
        if self._cache is not None:
            status["result_cache"] = self._cache.status()
        return status

    def close(self) -> None:
        self._session.close()

