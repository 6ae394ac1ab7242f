"""Turning RDF into what a page shows: labels, links that work locally, schema.org JSON-LD.

The canonical base IRI (``https://w3id.org/scograph/``) is mapped onto the
site's root: ``{base}id/state/chn`` is linked as ``/doc/state/chn`` (its page)
and ``{base}ontology#Clause`` as ``/ontology#Clause``. Links are relative to
the site (never built from the request's Host, see :mod:`scograph.web.origin`);
RDF responses keep canonical IRIs; only HTML links are rewritten.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import quote

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from scograph.namespaces import PREFIXES
from scograph.web import i18n

#: Languages a page shows labels in; the interface language comes first.
PAGE_LANGUAGES = i18n.LANGUAGES


def page_languages() -> tuple[str, ...]:
    """The label languages in the order this request shows them: its interface language first."""
    first = i18n.current_language()
    return (first, *(lang for lang in PAGE_LANGUAGES if lang != first))

#: Well-known sites an outbound link may point to, for the "external" marker.
EXTERNAL_SITES: tuple[tuple[str, str], ...] = (
    ("http://www.wikidata.org/entity/", "Wikidata"),
    ("https://www.wikidata.org/", "Wikidata"),
    ("http://sws.geonames.org/", "GeoNames"),
    ("https://sws.geonames.org/", "GeoNames"),
    ("http://metadata.un.org/sdg/", "UN SDG"),
    ("https://www.cbd.int/", "CBD"),
    ("http://publications.europa.eu/resource/authority/", "EU Publications Office"),
    ("https://creativecommons.org/", "Creative Commons"),
)

#: Predicates whose IRI values are identities or pages elsewhere: shown in the "Elsewhere" box.
OUTBOUND_PREDICATES = {
    str(OWL.sameAs),
    str(SKOS.exactMatch),
    str(SKOS.closeMatch),
    str(RDFS.seeAlso),
    "http://purl.org/dc/terms/source",
}

TEXT_PREDICATE_LOCAL = "ontology#text"


@dataclass(frozen=True)
class Site:
    """How canonical IRIs map onto the site serving this request."""

    base: str  # canonical base IRI, ends with "/"
    root: str  # path every link starts with, ends with "/" (origin.link_root(): "/" or a mount prefix)
    public: str = ""  # absolute URL of the site's root (origin.public_root()), for absolute links

    def absolute(self, link: str) -> str:
        """A link made by this class as an absolute URL (schema.org ``url``, the sitemap)."""
        return self.public + link[len(self.root) :] if self.public and link.startswith(self.root) else link

    def is_local(self, iri: str) -> bool:
        return iri.startswith(self.base)

    def local_iri(self, iri: str) -> str:
        """The IRI itself, moved onto this host (``/id/...`` answers 303 here)."""
        return self.root + iri[len(self.base) :] if self.is_local(iri) else iri

    def page_url(self, iri: str) -> str:
        """Where a person reads about ``iri`` on this host."""
        if iri.startswith(self.base + "id/"):
            return self.root + "doc/" + iri[len(self.base) + 3 :]
        if self.is_local(iri):
            return self.root + iri[len(self.base) :]
        return self.root + "browse?iri=" + quote(iri, safe="")

    def document_url(self, iri: str, extension: str) -> str:
        """The document URL of ``iri`` in one representation (``/doc/state/chn.ttl``)."""
        if iri.startswith(self.base + "id/"):
            return f"{self.root}doc/{iri[len(self.base) + 3 :]}.{extension}"
        if self.is_local(iri):
            path = iri[len(self.base) :].split("#", 1)[0]
            return f"{self.root}{path}.{extension}"
        return f"{self.root}browse?iri={quote(iri, safe='')}&format={extension}"


def compact(iri: str, base: str | None = None) -> str:
    """``http://data.europa.eu/eli/ontology#cites`` -> ``eli:cites``; unknown namespaces stay whole."""
    if base and iri.startswith(base + "id/"):
        return "id:" + iri[len(base) + 3 :]
    best = ""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(PREFIXES.get(best, "")):
            best = prefix
    return f"{best}:{iri[len(PREFIXES[best]):]}" if best else iri


def humanise(iri: str) -> str:
    """A readable name from an IRI's local part, for terms nobody labelled (``eli:is_about`` -> "is about")."""
    local = re.split(r"[#/]", iri.rstrip("/#"))[-1]
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", local).replace("_", " ").replace("-", " ")
    return words.lower() if words[:1].islower() or " " in words else words


@dataclass(frozen=True)
class Label:
    text: str
    lang: str | None


def choose_labels(literals: Iterable[Literal]) -> list[Label]:
    """One label per page language (the interface language first), falling back to any label at all."""
    by_lang: dict[str | None, str] = {}
    for lit in sorted(literals, key=lambda lit: (lit.language or "", str(lit))):
        by_lang.setdefault(lit.language, str(lit))
    chosen = [Label(by_lang[lang], lang) for lang in page_languages() if lang in by_lang]
    if not chosen and by_lang:
        lang, text = next(iter(by_lang.items()))
        chosen = [Label(text, lang)]
    return chosen


def labels_in(graph: Graph, node) -> list[Literal]:
    from scograph.describe import LABEL_PROPERTIES

    return [o for p in LABEL_PROPERTIES for o in graph.objects(node, URIRef(p)) if isinstance(o, Literal)]


def _language_rank(lang: str | None) -> tuple[int, str]:
    """Values in the interface language first, then the other page language, then the rest."""
    order = page_languages()
    return (order.index(lang), "") if lang in order else (len(order), lang or "")


def term_labels(iri: str) -> list[Label]:
    """The interface's name for a reused vocabulary term the data does not label (none for other IRIs)."""
    name = i18n.term_label(iri)
    return [Label(name, i18n.current_language())] if name else []


@dataclass
class Value:
    """One value of a property, ready for a template."""

    kind: str  # "link", "literal" or "bnode"
    labels: list[Label] = field(default_factory=list)
    href: str | None = None
    iri: str | None = None
    external: str | None = None  # site name when the link leaves this site
    datatype: str | None = None
    rows: list["PropertyRow"] = field(default_factory=list)  # for blank nodes

    @property
    def has_label(self) -> bool:
        return bool(self.labels)


@dataclass
class PropertyRow:
    predicate: str
    labels: list[Label]
    compact: str
    values: list[Value]


def external_site(iri: str) -> str:
    for prefix, name in EXTERNAL_SITES:
        if iri.startswith(prefix):
            return name
    return i18n.text("value.external_site")


class Presenter:
    """Builds template rows from a description graph."""

    def __init__(self, site: Site, graph: Graph, predicate_labels: dict[str, list[Literal]], described: set[str]):
        self.site = site
        self.graph = graph
        self.predicate_labels = predicate_labels
        # External IRIs the store describes get a local page too (e.g. UN SDG goals).
        self.described = described

    def value(self, node, depth: int = 0) -> Value:
        if isinstance(node, Literal):
            return Value(
                "literal",
                [Label(str(node), node.language)],
                datatype=compact(str(node.datatype)) if node.datatype else None,
            )
        if isinstance(node, BNode):
            return Value("bnode", rows=self.rows(node, depth + 1) if depth < 4 else [])
        iri = str(node)
        labels = choose_labels(labels_in(self.graph, node)) or term_labels(iri)
        if self.site.is_local(iri):
            return Value("link", labels, self.site.page_url(iri), iri)
        if iri in self.described:
            return Value("link", labels, self.site.page_url(iri), iri, external=None)
        return Value("link", labels, iri, iri, external=external_site(iri))

    def rows(self, subject, depth: int = 0, skip: Iterable[str] = ()) -> list[PropertyRow]:
        skipped = set(skip)
        predicates = sorted({p for p in self.graph.predicates(subject) if str(p) not in skipped}, key=self._sort_key)
        out = []
        for p in predicates:
            values = [self.value(o, depth) for o in self.graph.objects(subject, p)]
            values.sort(key=lambda v: (v.kind, _language_rank(v.labels[0].lang if v.labels else None), v.labels[0].text if v.labels else v.iri or ""))
            out.append(PropertyRow(str(p), self.predicate_label(str(p)), compact(str(p), self.site.base), values))
        return out

    def predicate_label(self, iri: str) -> list[Label]:
        chosen = choose_labels(self.predicate_labels.get(iri, []))
        language = i18n.current_language()
        return [label for label in chosen if label.lang == language] or term_labels(iri) or chosen or [Label(humanise(iri), "en")]

    def _sort_key(self, predicate) -> tuple:
        # Type first, then labels, then everything else by its readable name.
        p = str(predicate)
        if p == str(RDF.type):
            return (0, "")
        from scograph.describe import LABEL_PROPERTIES

        if p in LABEL_PROPERTIES:
            return (1, p)
        return (2, self.predicate_label(p)[0].text.lower())
