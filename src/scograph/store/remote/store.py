"""The remote store: answer from any SPARQL 1.1 endpoint (Oxigraph server, Virtuoso...).

Same interface and bounds as the embedded store: every query passes the same
guard before it leaves, runs under a client-side deadline, at most
``max_concurrent_queries`` at a time, and its result is capped at
``max_results``. Results are parsed and re-serialized with pyoxigraph, so a
client gets the same formats whichever store answers.

Answers are kept in the same bounded result cache as the embedded store's,
keyed on the release version as well, so a publish is never hidden by it.

Some stores cut long results without saying so (Virtuoso's ``ResultSetMaxRows``
answers 200 with the first N rows and no header). A truncated answer passed off
as complete is the one failure a reader cannot notice, so on start-up the store
is asked for ``max_results + 1`` generated rows, and a store that returns fewer
is refused with the setting to change.

The release served is whatever the store's pointer graph names (see
:mod:`scograph.store.pointer`); it is re-read every ``pointer_ttl`` seconds, so
front ends hold no state and follow ``scograph publish`` on their own. Graph
names stay the logical ones (``{base}graph/data``): IRIs of the release's
graphs are mapped to the stored, versioned graphs on the way out and back on
the way in, and the protocol dataset (``default-graph-uri`` /
``named-graph-uri``) is always limited to the current release's graphs, so the
pointer graph and other releases are never visible. A graph IRI is mapped
however the query writes it: in full, relative to ``BASE`` or as a prefixed name.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import pyoxigraph as ox
import requests
from requests.adapters import HTTPAdapter

from scograph.store.base import (
    N_TRIPLES,
    SPARQL_JSON,
    QueryError,
    QueryOutcome,
    QueryRefused,
    QueryTimeout,
    ResultTooLarge,
    Store,
    StoreBusy,
    StoreUnavailable,
)
from scograph.sparql.guard import check_query, rewrite_iris
from scograph.store.cache import ResultCache, result_key
from scograph.store.embedded import GRAPH_FORMATS, RESULTS_FORMATS
from scograph.store.query_worker import DEFAULT_MAX_BYTES, fit_bytes
from scograph.store.pointer import CurrentRelease, parse_pointer_rows, read_query

#: Asked of the server: SELECT/ASK answer JSON, CONSTRUCT/DESCRIBE N-Triples (or Turtle).
ACCEPT_RESULTS = "application/sparql-results+json"
ACCEPT_GRAPH = "application/n-triples, text/turtle;q=0.9"
#: Graph IRIs outside the current release are replaced by this one, which names no graph.
EMPTY_GRAPH = "urn:scograph:no-such-graph"



#: Pauses (seconds) before re-reading a pointer graph found empty; then it counts as "nothing published".
POINTER_EMPTY_RETRIES = (0.05, 0.1, 0.2, 0.4)


class _NoPointer(Exception):
    """The pointer graph named no release (possibly for an instant, during a switch)."""

class RemoteStoreError(Exception):
    """The remote store cannot serve: unreachable, no release published, or ambiguous."""


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
        result_cache_bytes: int = 64 * 1024 * 1024,
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
            self._check_row_limit()

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
            current = self._read_pointer()
            self._pointer = _CachedPointer(current, time.monotonic())
            return current

    def _read_pointer(self) -> CurrentRelease:
        # Virtuoso makes a DELETE/INSERT visible to concurrent readers in two steps: a
        # reader polling during a republish saw an empty pointer (tests/test_publish.py,
        # 2 of 4 runs). An empty pointer is therefore read again briefly before it counts.
        for delay in POINTER_EMPTY_RETRIES:
            try:
                return self._read_pointer_once()
            except _NoPointer:
                time.sleep(delay)
        return self._read_pointer_once(final=True)

    def _read_pointer_once(self, final: bool = False) -> CurrentRelease:
        try:
            response = self._session.post(
                self.query_url,
                data={"query": read_query(self._base_filter)},
                headers={"Accept": SPARQL_JSON},
                timeout=(self.connect_timeout, self.query_timeout),
            )
        except requests.RequestException as exc:
            raise RemoteStoreError(f"cannot reach the SPARQL endpoint {self.query_url}: {network_reason(exc)}") from None
        if response.status_code != 200:
            raise RemoteStoreError(
                f"the SPARQL endpoint {self.query_url} answered {response.status_code} "
                f"when reading the current release: {_first_line(response.text)}"
            )
        try:
            bindings = response.json()["results"]["bindings"]
        except (ValueError, KeyError) as exc:
            raise RemoteStoreError(f"{self.query_url} did not answer SPARQL JSON results: {exc}") from None
        rows = [{name: value["value"] for name, value in row.items()} for row in bindings]
        releases = parse_pointer_rows(rows, self._base_filter)
        if not releases and not final:
            raise _NoPointer()
        if not releases:
            raise RemoteStoreError(
                f"no scograph release is published at {self.query_url}"
                + (f" for base IRI {self._base_filter}" if self._base_filter else "")
                + "; run `scograph publish --to ...` first"
            )
        if len(releases) > 1:
            bases = ", ".join(sorted(r.base_iri for r in releases))
            raise RemoteStoreError(f"{self.query_url} holds releases for several base IRIs ({bases}); choose one with base_iri")
        return releases[0]

    def _check_row_limit(self) -> None:
        """Refuse a store that silently returns fewer rows than ``max_results + 1`` when asked."""
        wanted = self.max_results + 1
        digits = max(1, len(str(wanted)))
        values = " ".join(f"VALUES ?d{i} {{ 0 1 2 3 4 5 6 7 8 9 }}" for i in range(digits))
        query = f"SELECT ?d0 WHERE {{ {values} }} LIMIT {wanted}"
        try:
            response = self._session.post(
                self.query_url,
                data={"query": query},
                headers={"Accept": SPARQL_JSON},
                timeout=(self.connect_timeout, self.query_timeout),
            )
            rows = len(response.json()["results"]["bindings"]) if response.status_code == 200 else None
        except (requests.RequestException, ValueError, KeyError):
            rows = None
        if rows is None:
            raise RemoteStoreError(f"{self.query_url} could not answer a plain SELECT of {wanted} generated rows")
        if rows < wanted:
            raise RemoteStoreError(
                f"{self.query_url} cuts results at {rows} rows without saying so, below --max-results "
                f"{self.max_results}: answers could be silently incomplete. Raise the store's row limit "
                f"(Virtuoso: [SPARQL] ResultSetMaxRows in virtuoso.ini) or lower --max-results below {rows}."
            )

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
        outcome = self._outcome(content_type, body, current, results_media_type, graph_media_type, cap, cut)
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

    def _dataset_params(
        self, current: CurrentRelease, default_graph_uris: Sequence[str], named_graph_uris: Sequence[str]
    ) -> list[tuple[str, str]]:
        def physical(uris: Sequence[str]) -> list[str]:
            return sorted({current.graphs.get(uri, EMPTY_GRAPH) for uri in uris})

        if not default_graph_uris and not named_graph_uris:
            # The embedded store's default: the union of the release's graphs, each also named.
            everything = sorted(current.graphs.values())
            return [("default-graph-uri", g) for g in everything] + [("named-graph-uri", g) for g in everything]
        # An explicit dataset: only what it names (an empty list of either kind stays empty).
        return [("default-graph-uri", g) for g in physical(default_graph_uris) or [EMPTY_GRAPH]] + [
            ("named-graph-uri", g) for g in physical(named_graph_uris) or [EMPTY_GRAPH]
        ]

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
        params += self._dataset_params(current, default_graph_uris, named_graph_uris)
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
            return content_type, (_whole_rows(content_type, body, self.max_response_bytes) if cut else body), cut
        message = _first_line(body.decode("utf-8", "replace"))
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

    def _outcome(
        self,
        content_type: str,
        body: bytes,
        current: CurrentRelease,
        results_media_type: str,
        graph_media_type: str,
        cap: int,
        cut: bool = False,
    ) -> QueryOutcome:
        back = current.physical_to_logical
        max_bytes = self.max_response_bytes
        if content_type in ("application/sparql-results+json", "application/json"):
            try:
                document = body if isinstance(body, dict) else json.loads(body)
            except ValueError as exc:
                raise StoreBusy(f"the store sent malformed JSON results: {exc}") from None
            if "boolean" not in document and _virtuoso_ask(document):
                # Virtuoso answers ASK as a SELECT of ?__ASK_RETVAL: one row "1" for true, none (or "0") for false.
                rows = document["results"]["bindings"]
                document = {"boolean": bool(rows) and rows[0]["__ASK_RETVAL"]["value"] not in ("0", "false")}
            if "boolean" in document:
                parsed = ox.parse_query_results(json.dumps({"head": {}, "boolean": document["boolean"]}).encode(), format=ox.QueryResultsFormat.JSON)
                return QueryOutcome("ASK", results_media_type, parsed.serialize(format=RESULTS_FORMATS[results_media_type]), 1)
            bindings = document.get("results", {}).get("bindings", [])
            truncated = cut or len(bindings) > cap
            bindings = [_map_binding_row(row, back) for row in bindings[:cap]]
            names = document.get("head", {}).get("vars", [])

            def serialize(n: int) -> bytes:
                clean = {"head": {"vars": names}, "results": {"bindings": bindings[:n]}}
                if results_media_type == SPARQL_JSON:
                    return json.dumps(clean, ensure_ascii=False).encode("utf-8")
                parsed = ox.parse_query_results(json.dumps(clean).encode(), format=ox.QueryResultsFormat.JSON)
                return parsed.serialize(format=RESULTS_FORMATS[results_media_type])

            out, count = fit_bytes(serialize, len(bindings), max_bytes)
            return QueryOutcome("SELECT", results_media_type, out, count, truncated or count < len(bindings))
        if isinstance(body, dict):
            raise StoreBusy(f"the store answered an unexpected media type {content_type!r}")
        source_format = {"application/n-triples": ox.RdfFormat.N_TRIPLES, "text/plain": ox.RdfFormat.N_TRIPLES, "text/turtle": ox.RdfFormat.TURTLE}.get(content_type)
        if source_format is None:
            raise StoreBusy(f"the store answered an unexpected media type {content_type!r}")
        try:
            triples = [q.triple for q in ox.parse(body, format=source_format)]
        except SyntaxError as exc:
            raise StoreBusy(f"the store sent a malformed graph: {exc}") from None
        truncated = cut or len(triples) > cap
        triples = [_map_triple(t, back) for t in triples[:cap]]

        def serialize(n: int) -> bytes:
            return ox.serialize(triples[:n], format=GRAPH_FORMATS[graph_media_type]) or b""

        out, count = fit_bytes(serialize, len(triples), max_bytes)
        return QueryOutcome("CONSTRUCT", graph_media_type, out, count, truncated or count < len(triples))

    def status(self) -> dict:
        """For ``/healthz``: the endpoint and how many of this process's query slots are free."""
        idle = self._slots._value  # BoundedSemaphore keeps its count here; read-only use
        status = {"store": self.query_url, "workers": self._max_concurrent, "idle": idle, "running": self._max_concurrent - idle}
        if self._cache is not None:
            status["result_cache"] = self._cache.status()
        return status

    def close(self) -> None:
        self._session.close()


def _virtuoso_ask(document: dict) -> bool:
    bindings = document.get("results", {}).get("bindings", [])
    return document.get("head", {}).get("vars") == ["__ASK_RETVAL"] and len(bindings) <= 1


def _map_binding_row(row: dict, back: dict[str, str]) -> dict:
    out = {}
    for name, value in row.items():
        kind = value.get("type")
        if kind == "uri" and value["value"].startswith("_:"):  # Virtuoso's way of sending a blank node
            value = {"type": "bnode", "value": re.sub(r"[^A-Za-z0-9]", "", value["value"]) or "b"}
        elif kind == "uri" and value["value"] in back:
            value = {"type": "uri", "value": back[value["value"]]}
        elif kind == "bnode":  # Virtuoso labels blank nodes "nodeID://b1001": not a valid label elsewhere
            value = {"type": "bnode", "value": re.sub(r"[^A-Za-z0-9]", "", value["value"]) or "b"}
        elif kind == "typed-literal":  # pre-standard form some stores (Virtuoso) still send
            value = {"type": "literal", "value": value["value"], "datatype": value["datatype"]}
        out[name] = value
    return out


def _map_triple(triple: ox.Triple, back: dict[str, str]) -> ox.Triple:
    def term(t):
        if isinstance(t, ox.NamedNode) and t.value in back:
            return ox.NamedNode(back[t.value])
        return t

    return ox.Triple(term(triple.subject), triple.predicate, term(triple.object))


def network_reason(exc: requests.RequestException) -> str:
    """A short reason for a failed request, without urllib3's nested reprs."""
    if isinstance(exc, requests.Timeout):
        return "no answer in time"
    if isinstance(exc, requests.ConnectionError):
        text = str(exc)
        for reason in ("Connection refused", "Name or service not known", "No route to host", "Connection reset"):
            if reason in text:
                return reason.lower()
        return "connection failed"
    return type(exc).__name__


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:500]
    return ""


def _whole_rows(content_type: str, prefix: bytes, max_bytes: int) -> bytes | dict:
    """The whole rows at the start of an answer the byte cap cut short.

    N-Triples: up to the last complete line. SPARQL JSON: the head and every
    complete binding (each read with ``raw_decode``; servers write the head
    first). Anything else cannot be cut safely and is refused in a sentence."""
    if content_type in ("application/n-triples", "text/plain"):
        return prefix[: prefix.rfind(b"\n") + 1]
    if content_type in ("application/sparql-results+json", "application/json"):
        document = _json_prefix(prefix.decode("utf-8", "ignore"))
        if document is not None:
            return document
    raise ResultTooLarge(
        f"the answer is larger than this endpoint's limit of {max_bytes} bytes and the store sent it "
        "in a form that cannot be cut; add a LIMIT or select fewer or shorter values"
    )


def _json_prefix(text: str) -> dict | None:
    decoder = json.JSONDecoder()

    def skip(i: int) -> int:
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        return i

    head_at, rows_at = text.find('"head"'), text.find('"bindings"')
    if head_at < 0 or rows_at < head_at:
        return None
    try:
        head, _ = decoder.raw_decode(text, skip(text.index(":", head_at) + 1))
        i = skip(text.index("[", rows_at) + 1)
    except ValueError:
        return None
    rows = []
    while i < len(text) and text[i] != "]":
        try:
            row, i = decoder.raw_decode(text, i)
        except ValueError:  # the row the cap cut in two
            break
        rows.append(row)
        i = skip(i)
        if i < len(text) and text[i] == ",":
            i = skip(i + 1)
    return {"head": head if isinstance(head, dict) else {}, "results": {"bindings": rows}}
