"""The documents of the graph as plain Python objects: what every export writes out.

Read with SPARQL through a ``select`` callable, so the same code serves the build
(an in-memory Oxigraph store of the validated data and ontology graphs) and the
web app (any :class:`scograph.store.base.Store`, embedded or remote). Row values
may be pyoxigraph or rdflib terms; :func:`value` and :func:`language` read both.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import pyoxigraph as ox

Select = Callable[[str], list[dict[str, Any]]]

SCOG = "ontology#"  # relative to the base IRI
ELI = "http://data.europa.eu/eli/ontology#"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS_PREF = "http://www.w3.org/2004/02/skos/core#prefLabel"
DCTERMS = "http://purl.org/dc/terms/"

#: Predicates from a clause to what its text names, in the order references are listed.
REFERENCE_PREDICATES = (ELI + "cites", "mentions", "enumerates", ELI + "is_about", "commitsTo", "committedBy")


def value(term: Any) -> str:
    if isinstance(term, (ox.NamedNode, ox.Literal, ox.BlankNode)):
        return term.value
    return str(term)


def language(term: Any) -> str | None:
    return getattr(term, "language", None) or None


@dataclass(frozen=True)
class Referent:
    """Something a clause's text names: an organisation, person, place, event, concept, instrument."""

    iri: str
    types: tuple[str, ...]
    labels: dict[str, str]


@dataclass(frozen=True)
class Part:
    """A clause or clause item, with its verbatim text per language (``zh``, ``en``)."""

    iri: str
    position: int
    types: tuple[str, ...]
    labels: dict[str, str]
    texts: dict[str, str]
    number: str | None = None
    references: tuple[str, ...] = ()
    enumerates: tuple[str, ...] = ()
    children: tuple["Part", ...] = ()

    def type_name(self) -> str:
        """Local name of the clause's scograph class (``OperativeClause``), or ``""``."""
        names = sorted(t.rsplit("#", 1)[-1] for t in self.types if "/ontology#" in t)
        return names[0] if names else ""


@dataclass(frozen=True)
class Document:
    iri: str
    titles: dict[str, str]
    labels: dict[str, str]
    date: str | None
    creator: str | None
    creator_labels: dict[str, str]
    place_labels: dict[str, str]
    #: Language tag (``zh``) -> (expression IRI, ISO 639-2 code such as ``zho``).
    expressions: dict[str, tuple[str, str]]
    parts: tuple[Part, ...]
    referents: dict[str, Referent] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return self.iri.rstrip("/").rsplit("/", 1)[-1]

    def digest(self) -> str:
        """SHA-256 of everything the exports say about the document: tells releases where it changed."""
        payload = json.dumps(asdict(self), ensure_ascii=False, sort_keys=True, default=list)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def all_parts(self) -> Iterable[Part]:
        def walk(parts):
            for part in parts:
                yield part
                yield from walk(part.children)

        return walk(self.parts)


def _by_lang(rows: Iterable[dict], key: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for row in rows:
        term = row.get(key)
        if term is not None:
            out.setdefault(language(term) or "", value(term))
    return dict(sorted(out.items()))


def _documents_pattern(base: str, iris: list[str] | None) -> str:
    """Binds ``?doc`` to the given documents, or to every policy document."""
    if iris is not None:
        return "VALUES ?doc { " + " ".join(f"<{i}>" for i in iris) + " }"
    return f"?doc a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* <{base}{SCOG}PolicyDocument> ."


def document_iris(select: Select, base: str) -> list[str]:
    rows = select(f"SELECT DISTINCT ?doc WHERE {{ {_documents_pattern(base, None)} }} ORDER BY ?doc")
    return [value(r["doc"]) for r in rows]


def load_document(select: Select, base: str, iri: str) -> Document:
    """Everything the exports need about one policy document, in document order."""
    return _load(select, base, [iri])[0]


def load_documents(select: Select, base: str) -> list[Document]:
    """Every policy document, in IRI order. Five queries in all, whatever the number of documents."""
    return _load(select, base, None)


def _load(select: Select, base: str, iris: list[str] | None) -> list[Document]:
    scog = base + SCOG
    docs = _documents_pattern(base, iris)

    def by_doc(query: str) -> dict[str, list[dict]]:
        out: dict[str, list[dict]] = defaultdict(list)
        for row in select(query):
            out[value(row["doc"])].append(row)
        return out

    heads = by_doc(
        f"""SELECT ?doc ?title ?label ?date ?creator ?creatorLabel ?placeLabel WHERE {{ {docs}
  {{ ?doc <{DCTERMS}title> ?title }} UNION {{ ?doc <{RDFS_LABEL}> ?label }} UNION {{ ?doc <{ELI}date_document> ?date }}
  UNION {{ ?doc <{DCTERMS}creator> ?creator OPTIONAL {{ ?creator <{RDFS_LABEL}>|<{SKOS_PREF}> ?creatorLabel }} }}
  UNION {{ ?doc <{DCTERMS}spatial>/(<{RDFS_LABEL}>|<{SKOS_PREF}>) ?placeLabel }}
}}"""
    )
    expression_rows = by_doc(
        f"""SELECT ?doc ?expr ?lang ?code WHERE {{ {docs}
  ?doc <{ELI}is_realized_by> ?expr . ?expr <{DCTERMS}language> ?lang .
  OPTIONAL {{ ?expr <{ELI}language> ?code }} }} ORDER BY ?expr"""
    )
    part_rows = by_doc(
        f"""SELECT ?doc ?part ?parent ?pos ?type ?label ?text ?number WHERE {{ {docs}
  ?part <{ELI}is_part_of>+ ?doc ; <{ELI}is_part_of> ?parent ; <{scog}position> ?pos .
  {{ ?part a ?type }} UNION {{ ?part <{RDFS_LABEL}> ?label }} UNION {{ ?part <{scog}text> ?text }}
  UNION {{ ?part <{ELI}number> ?number }}
}}"""
    )
    predicates = [p if p.startswith("http") else scog + p for p in REFERENCE_PREDICATES]
    values = " ".join(f"<{p}>" for p in predicates)
    reference_rows = by_doc(
        f"""SELECT ?doc ?part ?p ?o ?type ?label WHERE {{ {docs}
  VALUES ?p {{ {values} }}
  ?part <{ELI}is_part_of>+ ?doc ; ?p ?o . FILTER(isIRI(?o))
  OPTIONAL {{ ?o a ?type }} OPTIONAL {{ ?o <{RDFS_LABEL}>|<{SKOS_PREF}> ?label }}
}}"""
    )
    order = iris if iris is not None else sorted(set(heads) | set(part_rows))
    return [
        _document(iri, heads.get(iri, []), expression_rows.get(iri, []), part_rows.get(iri, []), reference_rows.get(iri, []), predicates, scog)
        for iri in order
    ]


def _document(iri: str, head: list[dict], expression_rows: list[dict], rows: list[dict], ref_rows: list[dict], predicates: list[str], scog: str) -> Document:
    expressions = {}
    for row in expression_rows:
        code = value(row["code"]).rsplit("/", 1)[-1].lower() if row.get("code") is not None else value(row["lang"])
        expressions[value(row["lang"])] = (value(row["expr"]), code)

    fields: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    parents: dict[str, str] = {}
    positions: dict[str, int] = {}
    for row in rows:
        part = value(row["part"])
        parents[part] = value(row["parent"])
        positions[part] = int(value(row["pos"]))
        for key in ("type", "label", "text", "number"):
            if row.get(key) is not None:
                fields[part][key].append(row[key])

    references: dict[str, list[str]] = {}
    enumerates: dict[str, list[str]] = defaultdict(list)
    referent_types: dict[str, set[str]] = defaultdict(set)
    referent_labels: dict[str, list] = defaultdict(list)
    order = {p: i for i, p in enumerate(predicates)}
    seen: dict[str, set[tuple[int, str]]] = defaultdict(set)
    for row in ref_rows:
        part, target = value(row["part"]), value(row["o"])
        seen[part].add((order[value(row["p"])], target))
        if value(row["p"]) == scog + "enumerates" and target not in enumerates[part]:
            enumerates[part].append(target)
        if row.get("type") is not None:
            referent_types[target].add(value(row["type"]))
        if row.get("label") is not None:
            referent_labels[target].append(row["label"])
    for part, pairs in seen.items():
        references[part] = list(dict.fromkeys(target for _, target in sorted(pairs)))
    for items in enumerates.values():
        items.sort()

    children_of: dict[str, list[str]] = defaultdict(list)
    for part, parent in parents.items():
        children_of[parent].append(part)

    def make(part: str) -> Part:
        f = fields[part]
        numbers = [value(n) for n in f["number"]]
        return Part(
            iri=part,
            position=positions[part],
            types=tuple(sorted({value(t) for t in f["type"]})),
            labels=_by_lang([{"l": label} for label in f["label"]], "l"),
            texts=_by_lang([{"t": t} for t in f["text"]], "t"),
            number=min(numbers) if numbers else None,
            references=tuple(references.get(part, ())),
            enumerates=tuple(enumerates.get(part, ())),
            children=tuple(make(c) for c in sorted(children_of.get(part, []), key=lambda p: (positions[p], p))),
        )

    referents = {
        target: Referent(target, tuple(sorted(referent_types[target])), _by_lang([{"l": x} for x in referent_labels[target]], "l"))
        for target in sorted({t for targets in references.values() for t in targets})
    }
    return Document(
        iri=iri,
        titles=_by_lang(head, "title"),
        labels=_by_lang(head, "label"),
        date=next((value(r["date"]) for r in head if r.get("date") is not None), None),
        creator=next((value(r["creator"]) for r in head if r.get("creator") is not None), None),
        creator_labels=_by_lang(head, "creatorLabel"),
        place_labels=_by_lang(head, "placeLabel"),
        expressions=dict(sorted(expressions.items())),
        parts=tuple(make(p) for p in sorted(children_of.get(iri, []), key=lambda p: (positions[p], p))),
        referents=referents,
    )


def oxigraph_select(triples: Iterable[ox.Triple]) -> Select:
    """A ``select`` over an in-memory Oxigraph store holding ``triples`` (the build's graphs)."""
    store = ox.Store()
    # Through N-Triples bytes: Oxigraph reads the Python triples in Rust (twice as fast as Quads made here).
    store.bulk_load(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"", format=ox.RdfFormat.N_TRIPLES)

    def select(query: str) -> list[dict[str, Any]]:
        solutions = store.query(query)
        names = [v.value for v in solutions.variables]
        rows = []
        for solution in solutions:
            row = {}
            for name in names:
                term = solution[name]
                if term is not None:
                    row[name] = term
            rows.append(row)
        return rows

    return select
