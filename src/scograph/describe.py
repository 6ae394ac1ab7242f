"""What the server says about one resource, read through the Store with SPARQL.

The RDF description of a resource is its *concise bounded description*
(every triple with the resource as subject, following blank nodes a few
levels down) plus the labels of everything it links to, so a client gets a
graph it can show without a second request. Pages add what links *to* the
resource ("which clauses cite the GBF").

Everything here is SPARQL 1.1 over :class:`~scograph.store.base.Store`, so it
works the same on the embedded store and on a remote endpoint.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import rdflib
from rdflib import Literal, URIRef

from scograph.namespaces import graph_iri
from scograph.store.base import Store

RDFS_SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
ELI_HAS_PART = "http://data.europa.eu/eli/ontology#has_part"

#: Properties whose values name a thing for people, in order of preference.
LABEL_PROPERTIES: tuple[str, ...] = (
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://purl.org/dc/terms/title",
)
_LABEL_VALUES = " ".join(f"<{p}>" for p in LABEL_PROPERTIES)

#: How far blank nodes are followed: checksums, periods and SHACL property shapes are one
#: level deep, short RDF lists (owl:unionOf) a few more. Deeper structures are cut off.
BLANK_NODE_DEPTH = 4

#: Pages show at most this many incoming links (the rest are a SPARQL query away).
INCOMING_LIMIT = 500

#: Namespace documents: hash IRIs ``ontology#X`` / ``shapes#X`` are described by the
#: document ``ontology`` / ``shapes``, which holds the whole named graph of that name.
NAMESPACE_DOCUMENTS = ("ontology", "shapes")

_OWL_VERSION_IRI = "<http://www.w3.org/2002/07/owl#versionIRI>"


def _iri(value: str) -> str:
    """An IRI written into a query; refuses anything that could break out of ``<...>``."""
    if any(c in value for c in '<>"{}|^`\\ \n\r\t'):
        raise ValueError(f"not an IRI that can be described: {value!r}")
    return f"<{value}>"


def _blank_node_chain(subject: str, depth: int) -> str:
    """Nested OPTIONALs that follow blank-node objects ``depth`` levels down."""
    if depth == 0:
        return ""
    obj = f"?o{depth}"
    inner = _blank_node_chain(obj, depth - 1)
    return f"OPTIONAL {{ FILTER(isBlank({subject})) {subject} ?p{depth} {obj} . {inner} }}"


def describe_query(iri: str) -> str:
    """CONSTRUCT the concise bounded description of ``iri`` plus labels of what it links to."""
    levels = range(BLANK_NODE_DEPTH, 0, -1)
    template_bnodes = " ".join(
        f"?o{d + 1} ?p{d} ?o{d} ." if d < BLANK_NODE_DEPTH else f"?o ?p{d} ?o{d} ." for d in levels
    )
    return f"""
CONSTRUCT {{
  ?r ?p ?o . {template_bnodes}
  ?x ?lp ?label .
}}
WHERE {{
  VALUES ?r {{ {_iri(iri)} }}
  {{
    ?r ?p ?o .
    {_blank_node_chain("?o", BLANK_NODE_DEPTH)}
  }}
  UNION
  {{
    {{ ?r ?x ?any }}
    UNION {{ ?r ?any ?x }}
    UNION {{ ?r ?any ?b . FILTER(isBlank(?b)) ?b ?x ?any2 }}
    UNION {{ ?r ?any ?b . FILTER(isBlank(?b)) ?b ?any2 ?x }}
    FILTER(isIRI(?x))
    VALUES ?lp {{ {_LABEL_VALUES} }}
    ?x ?lp ?label .
  }}
}}"""


def exists(store: Store, iri: str) -> bool:
    """True when the release says anything about ``iri`` (as subject or as object)."""
    node = _iri(iri)
    return store.ask(f"ASK {{ {{ {node} ?p ?o }} UNION {{ ?s ?p {node} }} }}")


def describe(store: Store, iri: str) -> rdflib.Graph:
    """The RDF description of one resource (see the module docstring)."""
    return store.construct(describe_query(iri))


def namespace_of_version(store: Store, iri: str) -> str | None:
    """``"ontology"`` when ``iri`` is the ``owl:versionIRI`` of the ontology (or of the shapes), else ``None``."""
    if not iri.startswith(store.base_iri) or not iri[len(store.base_iri):].startswith(tuple(n + "/" for n in NAMESPACE_DOCUMENTS)):
        return None  # cheap: only ontology/... and shapes/... can be version IRIs of ours
    for name in NAMESPACE_DOCUMENTS:
        graph = _iri(graph_iri(store.base_iri, name))
        if store.ask(f"ASK {{ GRAPH {graph} {{ ?document {_OWL_VERSION_IRI} {_iri(iri)} }} }}"):
            return name
    return None


def namespace_document_iri(graph: rdflib.Graph) -> str | None:
    """The IRI of the ``owl:Ontology`` in a namespace document's graph (it may differ from ``{base}ontology``
    when the base IRI is not the default: the vocabulary keeps its IRIs)."""
    for subject in graph.subjects(rdflib.RDF.type, rdflib.OWL.Ontology):
        if isinstance(subject, URIRef):
            return str(subject)
    return None


def describe_namespace(store: Store, name: str) -> rdflib.Graph:
    """The whole ``ontology`` or ``shapes`` document: its named graph plus labels of what it reuses."""
    if name not in NAMESPACE_DOCUMENTS:
        raise ValueError(f"no namespace document called {name!r}")
    graph = _iri(graph_iri(store.base_iri, name))
    return store.construct(
        f"""
CONSTRUCT {{ ?s ?p ?o . ?o ?lp ?label . }}
WHERE {{
  GRAPH {graph} {{ ?s ?p ?o }}
  OPTIONAL {{
    FILTER(isIRI(?o))
    FILTER NOT EXISTS {{ GRAPH {graph} {{ ?o ?anyp ?anyo }} }}
    VALUES ?lp {{ {_LABEL_VALUES} }}
    ?o ?lp ?label .
  }}
}}"""
    )


@dataclass(frozen=True)
class IncomingLink:
    subject: URIRef
    predicate: URIRef
    subject_labels: tuple[Literal, ...]


def incoming(store: Store, iri: str, limit: int = INCOMING_LIMIT) -> list[IncomingLink]:
    """Resources that link to ``iri`` ("what links here"), with their labels."""
    rows = store.select(
        f"""
SELECT ?s ?p (GROUP_CONCAT(DISTINCT CONCAT(STR(?label), "\\u001f", LANG(?label)); SEPARATOR="\\u001e") AS ?labels)
WHERE {{
  ?s ?p {_iri(iri)} .
  FILTER(isIRI(?s))
  OPTIONAL {{ VALUES ?lp {{ {_LABEL_VALUES} }} ?s ?lp ?label }}
}}
GROUP BY ?s ?p
ORDER BY ?p ?s
LIMIT {int(limit)}"""
    )
    links = []
    for row in rows:
        packed = str(row.get("labels", "") or "")
        labels = tuple(
            Literal(text, lang=lang or None)
            for text, _, lang in (item.partition("\u001f") for item in packed.split("\u001e") if item)
        )
        links.append(IncomingLink(URIRef(row["s"]), URIRef(row["p"]), labels))
    return links


def labels(store: Store, iris: Iterable[str]) -> dict[str, list[Literal]]:
    """Labels (all languages, all label properties) of many IRIs in one query."""
    wanted = sorted({str(i) for i in iris})
    if not wanted:
        return {}
    values = " ".join(_iri(i) for i in wanted)
    rows = store.select(
        f"SELECT ?x ?label WHERE {{ VALUES ?x {{ {values} }} VALUES ?lp {{ {_LABEL_VALUES} }} ?x ?lp ?label }}"
    )
    found: dict[str, list[Literal]] = {}
    for row in rows:
        found.setdefault(str(row["x"]), []).append(row["label"])
    return found


def _scog(store: Store, term: str) -> str:
    # The ontology namespace follows the deployment's base IRI (the build rewrites it).
    return _iri(f"{store.base_iri}ontology#{term}")


def is_policy_document(store: Store, iri: str) -> bool:
    """Whether ``iri`` is a policy document (it then gets the reading page, clause by clause)."""
    return store.ask(
        f"ASK {{ {_iri(iri)} a/<{RDFS_SUBCLASS}>* {_scog(store, 'PolicyDocument')} }}"
    )


def document_parts(store: Store, iri: str) -> rdflib.Graph:
    """Every triple of the document's clauses and their items, with labels of what they link to."""
    return store.construct(
        f"""
CONSTRUCT {{ ?part ?p ?o . ?o ?lp ?label . }}
WHERE {{
  {_iri(iri)} <{ELI_HAS_PART}>/<{ELI_HAS_PART}>? ?part .
  ?part ?p ?o .
  OPTIONAL {{ FILTER(isIRI(?o)) VALUES ?lp {{ {_LABEL_VALUES} }} ?o ?lp ?label }}
}}"""
    )


#: Kinds of thing a clause can refer to, as shown in the document diagram.
CATEGORIES: tuple[tuple[str, str], ...] = (
    ("instrument", "Instrument"),
    ("event", "Event"),
    # The W3C ORG ontology is not loaded, so its subclasses of org:Organization are listed too.
    ("organization", "http://www.w3.org/ns/org#Organization"),
    ("organization", "http://www.w3.org/ns/org#FormalOrganization"),
    ("organization", "http://www.w3.org/ns/org#OrganizationalUnit"),
)


def categories(store: Store, iris: Iterable[str]) -> dict[str, str]:
    """Which of :data:`CATEGORIES` each IRI belongs to (through rdfs:subClassOf); others are left out."""
    wanted = sorted({str(i) for i in iris})
    if not wanted:
        return {}
    roots = {
        (term if term.startswith("http") else f"{store.base_iri}ontology#{term}"): name for name, term in CATEGORIES
    }
    # Only IRIs can be classified; literals passed in by a caller are ignored.
    wanted = [i for i in wanted if i.startswith(("http://", "https://"))]
    if not wanted:
        return {}
    rows = store.select(
        f"""
SELECT DISTINCT ?x ?root WHERE {{
  VALUES ?x {{ {" ".join(_iri(i) for i in wanted)} }}
  VALUES ?root {{ {" ".join(_iri(r) for r in roots)} }}
  ?x a/<{RDFS_SUBCLASS}>* ?root .
}}"""
    )
    found: dict[str, str] = {}
    order = list(roots)
    for row in sorted(rows, key=lambda r: order.index(str(r["root"]))):
        found.setdefault(str(row["x"]), roots[str(row["root"])])
    return found
