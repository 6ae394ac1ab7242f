"""The "current release" pointer graph of a remote triplestore.

``scograph publish`` never overwrites the graphs readers are using. It loads a
release into *versioned* graphs (``{base}graph/data/v/{version}/{publish id}``...),
checks them, then rewrites one small pointer graph, ``{base}graph/current``, with a
single SPARQL Update operation that only applies if the pointer still names the
release the publish started from (compare-and-swap), so that of two publishes
racing to the same store one wins and the other sees it lost. Readers
(:class:`scograph.store.remote.RemoteStore`) read the pointer and query only the
graphs it names, so they see either the whole old release or the whole new one,
and front ends keep no state of their own: any number of them can share one store.

The pointer uses existing vocabularies only::

    <{base}dataset> dcat:hasCurrentVersion <{base}dataset/release/{version}> .
    <{base}dataset/release/{version}> owl:versionInfo "{version}" ;
        dcterms:hasPart <{base}graph/data/v/{version}/{publish id}> , ... .
    <{base}graph/data/v/{version}/{publish id}> dcterms:isVersionOf <{base}graph/data> .
"""

from __future__ import annotations

from dataclasses import dataclass, field

DCAT_HAS_CURRENT_VERSION = "http://www.w3.org/ns/dcat#hasCurrentVersion"
OWL_VERSION_INFO = "http://www.w3.org/2002/07/owl#versionInfo"
DCTERMS_HAS_PART = "http://purl.org/dc/terms/hasPart"
DCTERMS_IS_VERSION_OF = "http://purl.org/dc/terms/isVersionOf"


def pointer_graph_iri(base_iri: str) -> str:
    return f"{base_iri}graph/current"


def versioned_graph_iri(graph_iri: str, version: str, publish_id: str) -> str:
    """Where one publish of a release stores a graph: ``{graph}/v/{version}/{publish_id}``.

    The publish id keeps two publishes of the same release (two operators, a retried
    job) from writing into each other's graphs, or into the graphs being served."""
    return f"{graph_iri}/v/{version}/{publish_id}"


def release_iri(base_iri: str, version: str) -> str:
    return f"{base_iri}dataset/release/{version}"


@dataclass(frozen=True)
class CurrentRelease:
    """What the pointer graph says: which release is served, and where its graphs are."""

    base_iri: str
    version: str
    #: logical graph IRI (``{base}graph/data``) -> stored graph IRI (``.../v/{version}``)
    graphs: dict[str, str] = field(default_factory=dict)

    @property
    def physical_to_logical(self) -> dict[str, str]:
        return {physical: logical for logical, physical in self.graphs.items()}


def _iri(value: str) -> str:
    if any(c in value for c in '<>"{}|^`\\ \n'):
        raise ValueError(f"not a safe IRI for a SPARQL update: {value!r}")
    return f"<{value}>"


def pointer_triples(current: CurrentRelease) -> str:
    """The pointer graph's content as a SPARQL triples block (for INSERT DATA / INSERT)."""
    dataset = _iri(current.base_iri + "dataset")
    release = _iri(release_iri(current.base_iri, current.version))
    if not current.version.isalnum():
        raise ValueError(f"release version must be alphanumeric, got {current.version!r}")
    lines = [
        f"{dataset} <{DCAT_HAS_CURRENT_VERSION}> {release} .",
        f'{release} <{OWL_VERSION_INFO}> "{current.version}" .',
    ]
    for logical, physical in sorted(current.graphs.items()):
        lines.append(f"{release} <{DCTERMS_HAS_PART}> {_iri(physical)} .")
        lines.append(f"{_iri(physical)} <{DCTERMS_IS_VERSION_OF}> {_iri(logical)} .")
    return "\n".join(lines)


def switch_update(current: CurrentRelease, *, previous: CurrentRelease | None) -> str:
    """One SPARQL Update that makes ``current`` the served release, if ``previous`` still is.

    The pointer is replaced by a *single* DELETE/INSERT operation, which a store
    applies all-or-nothing, and whose WHERE clause matches only while the pointer
    names ``previous`` (or, for the first publish, while there is no pointer): if
    another publish switched in the meantime, nothing changes, and the caller's
    read-back shows it lost. (Both stores instantiate no template when the WHERE
    clause has no solution, which is what makes this a compare-and-swap.)
    """
    graph = _iri(pointer_graph_iri(current.base_iri))
    body = pointer_triples(current)
    if previous is None:
        return (
            f"INSERT {{ GRAPH {graph} {{\n{body}\n}} }}\n"
            f"WHERE {{ FILTER NOT EXISTS {{ GRAPH {graph} {{ ?s ?p ?o }} }} }}"
        )
    dataset = _iri(current.base_iri + "dataset")
    expected = _iri(release_iri(previous.base_iri, previous.version))
    return (
        f"DELETE {{ GRAPH {graph} {{ ?s ?p ?o }} }}\n"
        f"INSERT {{ GRAPH {graph} {{\n{body}\n}} }}\n"
        f"WHERE {{ GRAPH {graph} {{ {dataset} <{DCAT_HAS_CURRENT_VERSION}> {expected} . ?s ?p ?o }} }}"
    )


def read_query(base_iri: str | None) -> str:
    """SELECT reading every pointer (or only the one of ``base_iri``)."""
    graph = _iri(pointer_graph_iri(base_iri)) if base_iri else "?pointer"
    return (
        "SELECT ?pointer ?dataset ?version ?physical ?logical WHERE {\n"
        f"  GRAPH {graph} {{\n"
        f"    ?dataset <{DCAT_HAS_CURRENT_VERSION}> ?release .\n"
        f"    ?release <{OWL_VERSION_INFO}> ?version .\n"
        f"    OPTIONAL {{ ?release <{DCTERMS_HAS_PART}> ?physical . ?physical <{DCTERMS_IS_VERSION_OF}> ?logical }}\n"
        "  }\n"
        + (f"  BIND({graph} AS ?pointer)\n" if base_iri else "")
        + "}"
    )


def parse_pointer_rows(rows: list[dict[str, str]], base_iri: str | None) -> list[CurrentRelease]:
    """Group the rows of :func:`read_query` (plain string values) into releases, one per base IRI.

    A pointer counts only when it sits in the graph its own base IRI names, so a
    stray copy of the triples elsewhere in the store is ignored.
    """
    found: dict[str, CurrentRelease] = {}
    for row in rows:
        dataset = row["dataset"]
        if not dataset.endswith("/dataset"):
            continue
        base = dataset[: -len("dataset")]
        if base_iri and base != base_iri:
            continue
        if row.get("pointer") and row["pointer"] != pointer_graph_iri(base):
            continue
        release = found.setdefault(base, CurrentRelease(base, row["version"], {}))
        if row.get("physical") and row.get("logical"):
            release.graphs[row["logical"]] = row["physical"]
    return list(found.values())
