"""Writing the search index of a release: one SQLite file, built from the release's store.

Tables (see :mod:`scograph.search.index` for how they are read):

- ``resources``: one row per indexed IRI: kind, landing URL (relative to the
  site root; a clause lands on its anchor in the document page), labels.
- ``fts``: FTS5, one row per resource (rowid = resource id), all languages:
  ``label`` (labels, alternative labels, titles, notations,
  identifiers) and ``body`` (clause texts, definitions, descriptions) through
  ``porter unicode61``; ``cjk_label`` and ``cjk_body`` hold the same texts as
  character bigrams (:mod:`scograph.search.segment`).
- ``names`` + ``names_tri`` (FTS5 trigram): every name and its variants,
  normalised, for reconciliation and misspelt queries.
- ``props``: the values data extension returns (dates, Wikidata and GeoNames
  ids, memberships, citations), precomputed so a remote store is never asked.

Deterministic: rows are inserted in sorted order and the file is VACUUMed, so
the same store gives the same bytes (with the same SQLite library version).
"""

from __future__ import annotations

import os
import sqlite3
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from scograph.namespaces import graph_iri
from scograph.search.kinds import KINDS, OTHER
from scograph.search.matching import normalize, variants
from scograph.search.query import LATIN_WORD
from scograph.search.segment import segment_cjk
from scograph.web.presentation import Site

#: File name of the index inside a release directory.
SEARCH_INDEX = "search.sqlite"
FORMAT_VERSION = "2"
SEGMENTER = "cjk-bigram"

RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
ELI = "http://data.europa.eu/eli/ontology#"
OWL = "http://www.w3.org/2002/07/owl#"
ORG = "http://www.w3.org/ns/org#"
TIME = "http://www.w3.org/2006/time#"
SCHEMA = "https://schema.org/"

#: Literal properties that name a resource (search label column, reconciliation names).
NAME_PROPERTIES = (RDFS + "label", SKOS + "prefLabel", DCT + "title", SKOS + "altLabel", SKOS + "notation", DCT + "identifier")
#: Preferred labels (for display), in order.
DISPLAY_PROPERTIES = (SKOS + "prefLabel", RDFS + "label", DCT + "title")
#: Literal properties that say what a resource is or says (search body column).
BODY_PROPERTIES = ("ontology#text", SKOS + "definition", DCT + "description")
DATE_PROPERTIES = (ELI + "date_document", DCT + "date", SCHEMA + "startDate", SCHEMA + "foundingDate")
LINK_PROPERTIES = {ELI + "cites": "cites", "ontology#mentions": "mentions", ELI + "is_about": "about", ELI + "is_part_of": "part_of"}
WIKIDATA = "http://www.wikidata.org/entity/"
GEONAMES = ("http://sws.geonames.org/", "https://sws.geonames.org/")

#: Secondary indexes, created after the rows are in (faster than maintaining them row by row).
INDEX_SQL = """
CREATE INDEX resources_kind ON resources (kind);
CREATE INDEX names_normal ON names (normal);
CREATE INDEX names_resource ON names (resource);
CREATE INDEX props_resource ON props (resource, pid);
CREATE INDEX props_wikidata ON props (value) WHERE pid = 'wikidata';
"""

SCHEMA_SQL = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE resources (
  id INTEGER PRIMARY KEY, iri TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, url TEXT NOT NULL,
  label_en TEXT, label_zh TEXT, summary TEXT
);
CREATE VIRTUAL TABLE fts USING fts5(
  label, body, cjk_label, cjk_body,
  tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TABLE names (id INTEGER PRIMARY KEY, resource INTEGER NOT NULL, name TEXT NOT NULL, lang TEXT NOT NULL, normal TEXT NOT NULL, variant INTEGER NOT NULL);
-- Unstemmed words of the latin texts: a prefix query is expanded into them (porter stems break native prefixes).
CREATE TABLE words (word TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE VIRTUAL TABLE names_tri USING fts5(normal, tokenize = 'trigram');
CREATE TABLE props (resource INTEGER NOT NULL, pid TEXT NOT NULL, ord INTEGER NOT NULL, value TEXT NOT NULL, ref INTEGER);
"""


def _absolute(base: str, iri: str) -> str:
    return iri if iri.startswith(("http://", "https://")) else base + iri


class _Collector:
    """Reads what the index needs from the release store, with one SPARQL query per concern."""

    def __init__(self, store: ox.Store, base: str):
        self.store = store
        self.base = base
        self.data = graph_iri(base, "data")

    def rows(self, query: str):
        return self.store.query(query, use_default_graph_as_union=True)

    def literals(self, predicates) -> dict[str, list[tuple[str, str, str]]]:
        values = " ".join(f"<{_absolute(self.base, p)}>" for p in predicates)
        out: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
        for s, p, o in self.rows(
            f"SELECT ?s ?p ?o WHERE {{ GRAPH <{self.data}> {{ VALUES ?p {{ {values} }} ?s ?p ?o FILTER(isIRI(?s) && isLiteral(?o)) }} }}"
        ):
            out[s.value].append((p.value, o.value, o.language or ""))
        return out

    def links(self, predicates) -> dict[str, list[tuple[str, str]]]:
        values = " ".join(f"<{_absolute(self.base, p)}>" for p in predicates)
        out: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for s, p, o in self.rows(
            f"SELECT ?s ?p ?o WHERE {{ GRAPH <{self.data}> {{ VALUES ?p {{ {values} }} ?s ?p ?o FILTER(isIRI(?s) && isIRI(?o)) }} }}"
        ):
            out[s.value].append((p.value, o.value))
        return out

    def kinds(self) -> dict[str, str]:
        precedence = {k.id: i for i, k in enumerate(KINDS)}
        found: dict[str, str] = {}

        def offer(iri: str, kind: str) -> None:
            if iri not in found or precedence[kind] < precedence[found[iri]]:
                found[iri] = kind

        roots = {_absolute(self.base, c): k.id for k in KINDS for c in k.classes}
        values = " ".join(f"<{c}>" for c in roots)
        for s, c in self.rows(
            f"""SELECT DISTINCT ?s ?c WHERE {{ GRAPH <{self.data}> {{ ?s a ?t FILTER(isIRI(?s)) }}
  VALUES ?c {{ {values} }} ?t <{RDFS}subClassOf>* ?c }}"""
        ):
            offer(s.value, roots[c.value])
        for kind in KINDS:
            if kind.scheme:
                for (s,) in self.rows(
                    f"SELECT ?s WHERE {{ GRAPH <{self.data}> {{ ?s <{SKOS}inScheme> <{self.base}id/{kind.scheme}> }} }}"
                ):
                    offer(s.value, kind.id)
        return found

    def memberships(self) -> dict[str, list[tuple[str, str, str]]]:
        out: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
        for s, org, role, start in self.rows(
            f"""SELECT ?s ?org ?role ?start WHERE {{ GRAPH <{self.data}> {{
  ?s <{ORG}hasMembership> ?m . ?m <{ORG}organization> ?org ; <{ORG}role> ?role .
  OPTIONAL {{ ?m <{ORG}memberDuring>/<{TIME}hasBeginning> ?b .
             ?b <{TIME}inXSDDate>|<{TIME}inXSDgYearMonth>|<{TIME}inXSDgYear> ?start }} }} }}"""
        ):
            out[s.value].append((org.value, role.value, start.value if start is not None else ""))
        return out

    def anchors(self) -> dict[str, tuple[str, str]]:
        """Clause IRI -> (document IRI, anchor), the way the document page numbers its anchors."""
        parts: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for child, parent, pos in self.rows(
            f"""SELECT ?c ?p ?pos WHERE {{ GRAPH <{self.data}> {{ ?c <{ELI}is_part_of> ?p ; <{self.base}ontology#position> ?pos }} }}"""
        ):
            try:
                parts[parent.value].append((int(pos.value), child.value))
            except ValueError:
                continue
        documents = {
            s.value
            for (s,) in self.rows(
                f"SELECT ?s WHERE {{ GRAPH <{self.data}> {{ ?s a ?t }} ?t <{RDFS}subClassOf>* <{self.base}ontology#PolicyDocument> }}"
            )
        }
        out: dict[str, tuple[str, str]] = {}

        def walk(document: str, parent: str, anchor: str | None, depth: int) -> None:
            for i, (_, child) in enumerate(sorted(parts.get(parent, ()))):
                child_anchor = child.rsplit("/clause/", 1)[-1] if anchor is None else f"{anchor}-item-{i + 1}"
                out[child] = (document, child_anchor)
                if depth < 4:
                    walk(document, child, child_anchor, depth + 1)

        for document in sorted(documents):
            walk(document, document, None, 0)
        return out


def _language_order(literal: tuple[str, str, str]) -> tuple:
    """English lines first, then untagged, then Chinese; stable within a language."""
    return ({"en": 0, "": 1, "zh": 2}.get(literal[2], 3), literal)


def page_path(base: str, iri: str) -> str:
    """Where a resource's page is, relative to the site root (the web layer prefixes the root)."""
    return Site(base=base, root="").page_url(iri)


def _display_label(literals: list[tuple[str, str, str]], lang: str) -> str | None:
    for prop in DISPLAY_PROPERTIES:
        candidates = sorted(v for p, v, lg in literals if p == prop and lg == lang)
        if candidates:
            return candidates[0]
    return None


def write_store_index(store_path: Path, path: Path, base: str) -> dict:
    """``write_index`` of the store at ``store_path``, opened read-only (a job for the build's indexer process)."""
    store = ox.Store.read_only(str(store_path))
    try:
        return write_index(store, path, base)
    finally:
        del store  # closes RocksDB before the release directory is renamed


def write_index(store: ox.Store, path: Path, base: str, log: Callable[[str], None] = lambda _m: None) -> dict:
    """Write the index of the store's data graph to ``path``; returns counts for the manifest."""
    collector = _Collector(store, base)
    names = collector.literals(NAME_PROPERTIES)
    bodies = collector.literals(BODY_PROPERTIES)
    dates = collector.literals(DATE_PROPERTIES)
    links = collector.links([OWL + "sameAs", SKOS + "exactMatch", *LINK_PROPERTIES])
    kinds = collector.kinds()
    memberships = collector.memberships()
    anchors = collector.anchors()

    iris = sorted(set(names) | {i for i in bodies if i in kinds})
    ids = {iri: n + 1 for n, iri in enumerate(iris)}
    text_prop = base + "ontology#text"

    if path.exists():
        path.unlink()
    tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
    if tmp.exists():
        tmp.unlink()
    db = sqlite3.connect(tmp)
    db.executescript(
        "PRAGMA page_size = 4096; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -131072; PRAGMA temp_store = MEMORY;"
    )
    db.executescript(SCHEMA_SQL)
    db.executemany(
        "INSERT INTO meta VALUES (?, ?)",
        [("format", FORMAT_VERSION), ("base_iri", base), ("segmenter", SEGMENTER)],
    )
    fts_rows = 0
    words: set[str] = set()
    for iri in iris:
        rid = ids[iri]
        literals = sorted(names.get(iri, []))
        texts = sorted(bodies.get(iri, []), key=lambda t: (t[0] != text_prop, t))
        kind = kinds.get(iri, OTHER.id)
        if iri in anchors:
            document, anchor = anchors[iri]
            url = page_path(base, document) + "#" + anchor
        else:
            url = page_path(base, iri)
        label_en, label_zh = _display_label(literals, "en"), _display_label(literals, "zh")
        summary = next((v for _, v, lg in texts if lg == "en"), None) or next((v for _, v, _lg in texts), None)
        db.execute(
            "INSERT INTO resources VALUES (?, ?, ?, ?, ?, ?, ?)",
            (rid, iri, kind, url, label_en, label_zh, summary),
        )
        # One row per resource, every language in it: a mixed query ("SCO 绿色") can match
        # across languages; the language filter picks columns (CJK terms in the bigram columns).
        label_text = "\n".join(v for _, v, lg in sorted(literals, key=_language_order))
        body_text = "\n".join(v for _, v, lg in sorted(texts, key=_language_order))
        db.execute(
            "INSERT INTO fts (rowid, label, body, cjk_label, cjk_body) VALUES (?, ?, ?, ?, ?)",
            (rid, label_text, body_text, segment_cjk(label_text), segment_cjk(body_text)),
        )
        fts_rows += 1
        words.update(w.lower() for w in LATIN_WORD.findall(label_text + "\n" + body_text))
        seen: set[tuple[str, str]] = set()
        # Names are for matching things people name (memberships, intervals... are not reconciled).
        for _, value, lang in literals if kind != OTHER.id else ():
            for n, name in enumerate((value, *variants(value))):
                normal = normalize(name)
                if normal and (normal, lang) not in seen:
                    seen.add((normal, lang))
                    cursor = db.execute(
                        "INSERT INTO names (resource, name, lang, normal, variant) VALUES (?, ?, ?, ?, ?)", (rid, name, lang, normal, int(n > 0))
                    )
                    db.execute("INSERT INTO names_tri (rowid, normal) VALUES (?, ?)", (cursor.lastrowid, normal))

    def prop(iri: str, pid: str, values: list[str]) -> None:
        for n, value in enumerate(values):
            db.execute("INSERT INTO props VALUES (?, ?, ?, ?, ?)", (ids[iri], pid, n, value, ids.get(value)))

    for iri in iris:
        prop(iri, "kind", [kinds.get(iri, OTHER.id)])
        for lang in ("en", "zh"):
            label = _display_label(sorted(names.get(iri, [])), lang)
            prop(iri, f"label_{lang}", [label] if label else [])
        prop(iri, "date", sorted({v for _, v, _ in dates.get(iri, [])}))
        same = sorted({o for p, o in links.get(iri, []) if p in (OWL + "sameAs", SKOS + "exactMatch")})
        prop(iri, "wikidata", [o[len(WIKIDATA):] for o in same if o.startswith(WIKIDATA)])
        prop(iri, "geonames", [o.split("/")[3] for o in same if o.startswith(GEONAMES)])
        literals = names.get(iri, [])
        prop(iri, "identifier", sorted({v for p, v, _ in literals if p == DCT + "identifier"}))
        prop(iri, "notation", sorted({v for p, v, _ in literals if p == SKOS + "notation"}))
        held = sorted(memberships.get(iri, []))
        prop(iri, "membership_organisation", [org for org, _, _ in held])
        prop(iri, "membership_role", [role for _, role, _ in held])
        prop(iri, "membership_start", [start for _, _, start in held if start])
        for predicate, pid in LINK_PROPERTIES.items():
            full = _absolute(base, predicate)
            prop(iri, pid, sorted({o for p, o in links.get(iri, []) if p == full}))
        for lang in ("en", "zh"):
            prop(iri, f"text_{lang}", [v for p, v, lg in sorted(bodies.get(iri, [])) if p == text_prop and lg == lang])

    db.executemany("INSERT INTO words VALUES (?)", [(w,) for w in sorted(words)])
    db.executescript(INDEX_SQL)
    db.commit()
    db.execute("INSERT INTO fts (fts) VALUES ('optimize')")
    db.execute("INSERT INTO names_tri (names_tri) VALUES ('optimize')")
    db.commit()
    db.execute("VACUUM")
    db.close()
    os.replace(tmp, path)
    log(f"wrote search index: {len(iris)} resources, {fts_rows} text rows")
    return {"resources": len(iris), "rows": fts_rows, "segmenter": SEGMENTER}
