"""``scograph publish``: push a release into a SPARQL 1.1 Graph Store Protocol server.

Readers never see half a release:

1. each graph of the release is uploaded (in chunks, with progress) to a
   *versioned* graph ``{graph}/v/{version}/{publish id}`` that no reader looks at yet;
2. the triple count of every uploaded graph is checked against the manifest;
3. one SPARQL Update rewrites the pointer graph ``{base}graph/current``
   (:mod:`scograph.store.pointer`), only if it still names the release this
   publish started from: from then on readers query the new graphs;
4. after a grace period (queries already running on the old graphs finish and
   readers' cached pointers expire) the previous release's graphs are dropped.

If anything fails before step 3, the graphs uploaded so far are dropped and the
previous release stays served; the error names the server and the graph.

Two publishes may race to one store (two operators, a retried CI job): each
writes its own graphs (the publish id), the pointer switch is a compare-and-swap,
and graphs the pointer names are never dropped. The loser of the switch fails
saying which release won, and leaves nothing behind; if both published the same
release, the loser reports it as already served.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import pyoxigraph as ox
import requests
from requests.auth import AuthBase, HTTPBasicAuth, HTTPDigestAuth

from scograph.release import Release
from scograph.store.remote import network_reason
from scograph.store.pointer import (
    CurrentRelease,
    parse_pointer_rows,
    read_query,
    switch_update,
    versioned_graph_iri,
)

Log = Callable[[str], None]
#: progress(graph IRI, triples sent so far, triples in the graph)
Progress = Callable[[str, int, int], None]

#: Endpoint paths of well-known servers, relative to the server's root URL.
PRESETS: dict[str, dict[str, str]] = {
    "oxigraph": {"gsp": "/store", "query": "/query", "update": "/update", "auth": "basic"},
    # Virtuoso's writable endpoints want a user with the SPARQL_UPDATE role, with digest auth.
    "virtuoso": {"gsp": "/sparql-graph-crud-auth", "query": "/sparql", "update": "/sparql-auth", "auth": "digest"},
}


class PublishError(Exception):
    """Publishing stopped; the previously served release (if any) is still served."""


@dataclass(frozen=True)
class Target:
    """Where a release goes: the server's Graph Store Protocol, query and update endpoints."""

    gsp_url: str
    query_url: str
    update_url: str
    auth: AuthBase | None = None
    timeout: float = 300.0

    @classmethod
    def from_preset(
        cls,
        root_url: str,
        preset: str = "oxigraph",
        *,
        gsp_url: str | None = None,
        query_url: str | None = None,
        update_url: str | None = None,
        user: str | None = None,
        password: str | None = None,
        auth_scheme: str | None = None,
    ) -> "Target":
        if preset not in PRESETS:
            raise ValueError(f"unknown server preset {preset!r}; choose one of {', '.join(PRESETS)}")
        if not root_url.startswith(("http://", "https://")):
            raise ValueError(f"server URL must start with http:// or https://, got {root_url!r}")
        paths = PRESETS[preset]
        root = root_url.rstrip("/")
        auth = None
        if user is not None:
            scheme = auth_scheme or paths["auth"]
            auth = HTTPDigestAuth(user, password or "") if scheme == "digest" else HTTPBasicAuth(user, password or "")
        return cls(
            gsp_url=gsp_url or root + paths["gsp"],
            query_url=query_url or root + paths["query"],
            update_url=update_url or root + paths["update"],
            auth=auth,
        )


@dataclass(frozen=True)
class PublishOutcome:
    version: str
    previous: str | None
    graphs: dict[str, str]  # logical -> stored graph IRI
    triples: int
    skipped: bool = False


class _Server:
    """The few HTTP calls publishing needs, each failure turned into a PublishError naming the server."""

    def __init__(self, target: Target):
        self.target = target
        self.session = requests.Session()
        self.session.auth = target.auth

    def _call(self, what: str, method: str, url: str, **kwargs) -> requests.Response:
        try:
            response = self.session.request(method, url, timeout=self.target.timeout, **kwargs)
        except requests.RequestException as exc:
            raise PublishError(f"{what}: cannot reach {url}: {network_reason(exc)}") from None
        if response.status_code >= 300:
            detail = " ".join(response.text.split())[:300]
            raise PublishError(f"{what}: {url} answered {response.status_code} {response.reason}: {detail}")
        return response

    def select(self, what: str, query: str) -> list[dict[str, str]]:
        response = self._call(
            what, "POST", self.target.query_url, data={"query": query}, headers={"Accept": "application/sparql-results+json"}
        )
        try:
            bindings = response.json()["results"]["bindings"]
        except (ValueError, KeyError):
            raise PublishError(f"{what}: {self.target.query_url} did not answer SPARQL JSON results") from None
        return [{k: v["value"] for k, v in row.items()} for row in bindings]

    def update(self, what: str, update: str) -> None:
        self._call(what, "POST", self.target.update_url, data={"update": update})

    def put_graph(self, what: str, graph: str, body: bytes, *, replace: bool) -> None:
        self._call(
            what,
            "PUT" if replace else "POST",
            self.target.gsp_url,
            params={"graph": graph},
            data=body,
            headers={"Content-Type": "application/n-triples; charset=utf-8"},
        )

    def count(self, graph: str) -> int:
        rows = self.select(f"counting <{graph}>", f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        return int(rows[0]["n"]) if rows else 0

    def drop(self, graph: str) -> None:
        """Drop a graph by SPARQL Update, or through the Graph Store Protocol if the update endpoint fails."""
        try:
            self.update(f"dropping <{graph}>", f"DROP SILENT GRAPH <{graph}>")
        except PublishError:
            url = self.target.gsp_url
            try:
                response = self.session.delete(url, params={"graph": graph}, timeout=self.target.timeout)
            except requests.RequestException as exc:
                raise PublishError(f"dropping <{graph}>: cannot reach {url}: {network_reason(exc)}") from None
            if response.status_code >= 300 and response.status_code != 404:  # 404: nothing to drop
                raise PublishError(f"dropping <{graph}>: {url} answered {response.status_code} {response.reason}") from None


def current_release(target: Target, base_iri: str) -> CurrentRelease | None:
    """The release the server's pointer graph names for ``base_iri``, or None."""
    rows = _Server(target).select("reading the current release", read_query(base_iri))
    found = parse_pointer_rows(rows, base_iri)
    return found[0] if found else None


def _new_publish_id() -> str:
    """When the publish started (UTC) and a random part: unique, and tells an operator its age."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(3)


def _release_graphs(release: Release) -> dict[str, list[ox.Triple]]:
    """The release's triples by named graph, read from its N-Quads dump."""
    graphs: dict[str, list[ox.Triple]] = {g: [] for g in release.graphs}
    for quad in ox.parse(path=str(release.path / "scograph.nq"), format=ox.RdfFormat.N_QUADS):
        graphs.setdefault(quad.graph_name.value, []).append(quad.triple)
    return graphs


def _blank_node_groups(triples: list[ox.Triple]) -> list[list[ox.Triple]]:
    """Triples grouped so that all triples sharing a blank node are in one group.

    Each upload is parsed separately and blank node labels are scoped to one
    document, so a blank node split across two chunks would become two nodes.
    """
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for t in triples:
        nodes = [n.value for n in (t.subject, t.object) if isinstance(n, ox.BlankNode)]
        if len(nodes) == 2:
            parent[find(nodes[0])] = find(nodes[1])
        elif nodes:
            find(nodes[0])
    groups: dict[str, list[ox.Triple]] = {}
    plain: list[list[ox.Triple]] = []
    for t in triples:
        node = next((n.value for n in (t.subject, t.object) if isinstance(n, ox.BlankNode)), None)
        if node is None:
            plain.append([t])
        else:
            groups.setdefault(find(node), []).append(t)
    return plain + list(groups.values())


def chunks(triples: list[ox.Triple], size: int) -> Iterator[list[ox.Triple]]:
    """Chunks of about ``size`` triples that never split a blank node's triples."""
    chunk: list[ox.Triple] = []
    for group in _blank_node_groups(triples):
        if chunk and len(chunk) + len(group) > size:
            yield chunk
            chunk = []
        chunk.extend(group)
    if chunk or not triples:
        yield chunk


def publish(
    release: Release,
    target: Target,
    *,
    chunk_triples: int = 50_000,
    grace: float = 30.0,
    log: Log = lambda _msg: None,
    progress: Progress = lambda _graph, _done, _total: None,
) -> PublishOutcome:
    """Make ``release`` the one ``target`` serves; raise :class:`PublishError` on failure."""
    if chunk_triples < 1:
        raise ValueError("chunk_triples must be at least 1")
    server = _Server(target)
    base, version = release.base_iri, release.version
    previous = current_release(target, base)
    if previous is not None and previous.version == version:
        log(f"release {version} is already the one served by {target.query_url}")
        return PublishOutcome(version, version, previous.graphs, 0, skipped=True)
    log(f"publishing release {version} to {target.gsp_url}" + (f" (replacing {previous.version})" if previous else ""))

    graphs = _release_graphs(release)
    publish_id = _new_publish_id()
    stored = {logical: versioned_graph_iri(logical, version, publish_id) for logical in sorted(graphs)}
    uploaded: list[str] = []
    try:
        for logical, physical in stored.items():
            triples = graphs[logical]
            uploaded.append(physical)
            sent = 0
            for index, chunk in enumerate(chunks(triples, chunk_triples)):
                body = ox.serialize(chunk, format=ox.RdfFormat.N_TRIPLES) or b""
                server.put_graph(f"uploading graph <{physical}>", physical, body, replace=index == 0)
                sent += len(chunk)
                progress(logical, sent, len(triples))
            expected = len(set(triples))
            found = server.count(physical)
            if found != expected:
                raise PublishError(
                    f"graph <{physical}> on {target.gsp_url} holds {found} triples after upload, expected {expected}"
                )
        new = CurrentRelease(base, version, dict(stored))
        server.update("switching the current release", switch_update(new, previous=previous))
        check = current_release(target, base)
        if check is not None and check.version == version and check.graphs != new.graphs:
            # A concurrent publish of this same release switched first: it is served, ours is surplus.
            _drop_quietly(server, uploaded, log, served=check)
            log(f"release {version} was published to {target.query_url} by another run meanwhile; it is served")
            return PublishOutcome(version, previous.version if previous else None, check.graphs, 0, skipped=True)
        if check is None or check.graphs != new.graphs:
            now = f"release {check.version}" if check else "no release"
            raise PublishError(
                f"another publish changed the current release on {target.query_url} while this one was uploading "
                f"(it now names {now}); release {version} was not switched in"
            )
    except BaseException as exc:
        served = _served_or_none(target, base)
        _drop_quietly(server, uploaded, log, served=served)
        kept = f"release {served.version} is still served" if served else "nothing was published"
        if isinstance(exc, PublishError):
            raise PublishError(f"{exc}\nThe uploaded graphs were dropped; {kept}.") from None
        raise
    log(f"release {version} is now served by {target.query_url}")

    if previous is not None:
        stale = [g for g in previous.graphs.values() if g not in stored.values()]
        if stale and grace > 0:
            log(f"waiting {grace:g} s for readers of release {previous.version} before dropping its graphs")
            time.sleep(grace)
        _drop_quietly(server, stale, log, served=_served_or_none(target, base))
    return PublishOutcome(version, previous.version if previous else None, stored, sum(len(t) for t in graphs.values()))


def _served_or_none(target: Target, base_iri: str) -> CurrentRelease | None:
    try:
        return current_release(target, base_iri)
    except PublishError:  # the server went away: then nothing can be dropped either
        return None


def _drop_quietly(server: _Server, graphs: Iterable[str], log: Log, *, served: CurrentRelease | None) -> None:
    """Drop graphs, never one the pointer names right now (a concurrent publish may have switched to it)."""
    keep = set(served.graphs.values()) if served else set()
    for graph in graphs:
        if graph in keep:
            log(f"keeping <{graph}>: the current release uses it")
            continue
        try:
            server.drop(graph)
        except PublishError as exc:
            log(f"warning: could not drop <{graph}>: {exc}")

