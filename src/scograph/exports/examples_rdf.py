"""The example queries as RDF, so that query editors and tools can discover what to ask.

The convention of the SIB SPARQL examples: each query is a
``sh:SPARQLExecutable`` (and ``sh:SPARQLSelectExecutable``,
``sh:SPARQLConstructExecutable``...) with its text in ``sh:select`` /
``sh:construct`` / ``sh:ask`` / ``sh:describe``, ``rdfs:label`` and
``rdfs:comment`` in English and Chinese, and ``schema:target`` the endpoint
it runs on. Written to the release as ``sparql-examples.ttl`` and served at
``/.well-known/sparql-examples``.
"""

from __future__ import annotations

import re

import pyoxigraph as ox

from scograph.examples import ExampleQuery, example_queries
from scograph.namespaces import DCTERMS, PREFIXES, RDF, RDFS, SCHEMA, SH

_N = ox.NamedNode

FILE_NAME = "sparql-examples.ttl"

#: Query form -> (executable class, property holding the query text).
FORMS = {
    "SELECT": ("SPARQLSelectExecutable", "select"),
    "CONSTRUCT": ("SPARQLConstructExecutable", "construct"),
    "ASK": ("SPARQLAskExecutable", "ask"),
}


def query_form(query: str) -> str:
    """``SELECT``, ``CONSTRUCT`` or ``ASK``: the first such keyword outside comments, IRIs and strings.

    SHACL has no executable class for DESCRIBE, so an example must not be one.
    """
    text = re.sub(r"#[^\n]*", " ", query)
    text = re.sub(r"<[^<>\s]*>|\"[^\"\n]*\"|'[^'\n]*'", " ", text)
    match = re.search(r"\b(SELECT|CONSTRUCT|ASK|DESCRIBE)\b", text, re.IGNORECASE)
    if match is None or match[1].upper() not in FORMS:
        raise ValueError("an example query must be a SELECT, CONSTRUCT or ASK query (SHACL has no DESCRIBE executable)")
    return match[1].upper()


def query_text(example: ExampleQuery) -> str:
    """The query without its header lines (``# title:`` ...), which become labels and comments."""
    lines = example.query.split("\n")
    while lines and re.match(r"# (title|description|title-zh|description-zh|scope):", lines[0]):
        lines.pop(0)
    return "\n".join(lines)


def example_iri(base: str, example: ExampleQuery) -> ox.NamedNode:
    return _N(f"{base}.well-known/sparql-examples#{example.slug}")


def examples_triples(base: str, examples: tuple[ExampleQuery, ...] | None = None) -> list[ox.Triple]:
    t = ox.Triple
    out: list[ox.Triple] = []
    endpoint = _N(base + "sparql")
    for example in examples or example_queries():
        node = example_iri(base, example)
        try:
            kind, prop = FORMS[query_form(example.query)]
        except ValueError as exc:
            raise ValueError(f"src/scograph/queries/{example.slug}.rq: {exc}") from None
        out += [
            t(node, _N(str(RDF.type)), _N(str(SH.SPARQLExecutable))),
            t(node, _N(str(RDF.type)), _N(str(SH) + kind)),
            t(node, _N(str(SH) + prop), ox.Literal(query_text(example))),
            t(node, _N(str(SCHEMA.target)), endpoint),
            t(node, _N(str(DCTERMS.identifier)), ox.Literal(example.slug)),
            t(node, _N(str(RDFS.label)), ox.Literal(example.title, language="en")),
            t(node, _N(str(RDFS.comment)), ox.Literal(example.description, language="en")),
        ]
        if example.title_zh:
            out.append(t(node, _N(str(RDFS.label)), ox.Literal(example.title_zh, language="zh")))
        if example.description_zh:
            out.append(t(node, _N(str(RDFS.comment)), ox.Literal(example.description_zh, language="zh")))
        if example.corpus_wide:
            out.append(t(node, _N(str(SCHEMA.keywords)), ox.Literal("corpus")))
    return sorted(out, key=lambda tr: (str(tr.subject), str(tr.predicate), str(tr.object)))


def examples_turtle(base: str) -> bytes:
    return turtle(examples_triples(base))


def turtle(triples: list[ox.Triple]) -> bytes:
    prefixes = {k: PREFIXES[k] for k in ("sh", "rdfs", "rdf", "schema", "dcterms")}
    return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes)


def with_endpoint(triples: list[ox.Triple], endpoint: str) -> list[ox.Triple]:
    """The examples with ``schema:target`` naming ``endpoint``: where the server that serves them answers.

    The release file names ``{base}sparql``; a server with another public URL
    (``--public-url``, a trusted proxy, a loopback address) says its own.
    """
    target = _N(str(SCHEMA.target))
    out = [ox.Triple(t.subject, t.predicate, _N(endpoint)) if t.predicate == target else t for t in triples]
    return sorted(out, key=lambda tr: (str(tr.subject), str(tr.predicate), str(tr.object)))
