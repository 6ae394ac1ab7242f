"""Which queries may reach the engine: read-only, no outbound requests, release graphs only.

A lexical check, fast enough to run on every request (and cached): the query
is split into tokens the way a SPARQL parser splits it, so that strings, IRIs,
comments, variables and prefixed names are opaque and only bare keywords are
looked at. It refuses

- SPARQL Update however it is smuggled (``INSERT``, ``DELETE``, ``LOAD``,
  ``CLEAR``, ``DROP``, ...: none of them is a keyword of the query language),
- ``SERVICE`` (pyoxigraph would fetch the IRI over the network),
- ``FROM`` / ``FROM NAMED`` with an IRI that is not a graph of the release
  (a public endpoint must never be made to fetch a remote document).

It also tells the query form (SELECT, ASK, CONSTRUCT, DESCRIBE), which content
negotiation needs before the query runs; :func:`rewrite_iris` uses the same
tokens to rename IRIs (the remote store maps graph names with it). A query the
guard lets through may still be malformed: the engine's parser has the last word.

This is the first of two walls: query worker processes also run without a
network (see :mod:`scograph.store.query_worker`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urljoin

from scograph.store.base import QueryError, QueryRefused

#: Keywords that exist only in SPARQL Update.
UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH", "USING", "DATA"}
)
QUERY_FORMS = frozenset({"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"})

_PN_CHARS = r"[\w\-\u00B7\u0300-\u036F\u203F-\u2040]"
_PN_LOCAL_ESC = r"\\[_~.\-!$&'()*+,;=/?#@%]"
_PLX = rf"(?:%[0-9A-Fa-f]{{2}}|{_PN_LOCAL_ESC})"
_PN_LOCAL = rf"(?:(?:{_PN_CHARS}|:|{_PLX})(?:(?:{_PN_CHARS}|[.:]|{_PLX})*(?:{_PN_CHARS}|:|{_PLX}))?)"
_PN_PREFIX = r"(?:[^\W\d_](?:[\w.\-\u00B7\u0300-\u036F\u203F-\u2040]*[\w\-\u00B7\u0300-\u036F\u203F-\u2040])?)"

_TOKEN = re.compile(
    rf"""
    (?P<space>\s+)
  | (?P<comment>\#[^\r\n]*)
  | (?P<string>\"\"\"(?:(?:\"|\"\")?(?:[^\"\\]|\\.))*\"\"\"
             |'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''
             |\"(?:[^\"\\\r\n]|\\.)*\"
             |'(?:[^'\\\r\n]|\\.)*')
  | (?P<iri><(?:[^<>\"{{}}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{{4}}|\\U[0-9A-Fa-f]{{8}})*>)
  | (?P<var>[?$][\w\u00B7\u0300-\u036F\u203F-\u2040]+)
  | (?P<bnode>_:{_PN_LOCAL}?)
  | (?P<pname>{_PN_PREFIX}?:{_PN_LOCAL}?)
  | (?P<word>[^\W\d_][\w]*)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class QueryInfo:
    """What the guard learnt about an allowed query."""

    form: str  # SELECT, ASK, CONSTRUCT or DESCRIBE
    from_graphs: tuple[str, ...] = ()
    from_named_graphs: tuple[str, ...] = ()

    @property
    def returns_graph(self) -> bool:
        return self.form in ("CONSTRUCT", "DESCRIBE")


def _unescape_iri(text: str) -> str:
    return re.sub(
        r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})",
        lambda m: chr(int(m.group(1) or m.group(2), 16)),
        text,
    )


def check_query(query: str, allowed_graphs: frozenset[str] | None = None) -> QueryInfo:
    """Return what the query is, or raise QueryRefused / QueryError saying why it cannot run.

    ``allowed_graphs`` are the graph IRIs ``FROM`` / ``FROM NAMED`` may name;
    ``None`` allows none.
    """
    return _check(query, allowed_graphs or frozenset())


@lru_cache(maxsize=2048)
def _check(query: str, allowed_graphs: frozenset[str]) -> QueryInfo:
    prefixes: dict[str, str] = {}
    base = ""
    form: str | None = None
    from_graphs: list[str] = []
    from_named: list[str] = []
    # A tiny state machine over significant tokens: what the previous keywords expect next.
    expecting: str | None = None  # "prefix-name", "prefix-iri", "base-iri", "from"
    pending_prefix = ""
    from_is_named = False

    for match in _TOKEN.finditer(query):
        kind = match.lastgroup
        if kind in ("space", "comment"):
            continue
        text = match.group()
        upper = text.upper() if kind == "word" else ""

        if expecting == "prefix-name":
            pending_prefix = text[:-1] if kind == "pname" and text.endswith(":") else ""
            expecting = "prefix-iri"
            continue
        if expecting == "prefix-iri":
            if kind == "iri":
                prefixes[pending_prefix] = urljoin(base, _unescape_iri(text[1:-1]))
            expecting = None
            continue
        if expecting == "base-iri":
            if kind == "iri":
                base = urljoin(base, _unescape_iri(text[1:-1]))
            expecting = None
            continue
        if expecting == "from":
            if upper == "NAMED" and not from_is_named:
                from_is_named = True
                continue
            graph = _resolve(kind, text, prefixes, base)
            if graph is None:
                raise QueryError(f"FROM{' NAMED' if from_is_named else ''} must be followed by a graph IRI, not {text!r}")
            if graph not in allowed_graphs:
                raise QueryRefused(
                    f"FROM{' NAMED' if from_is_named else ''} <{graph}> is not a graph of this dataset; "
                    "this endpoint never fetches remote data (allowed graphs: "
                    + (", ".join(f"<{g}>" for g in sorted(allowed_graphs)) or "none")
                    + ")"
                )
            (from_named if from_is_named else from_graphs).append(graph)
            expecting = None
            continue

        if kind != "word":
            continue
        if upper in UPDATE_KEYWORDS:
            raise QueryRefused(f"SPARQL Update ({upper}) is not allowed: this endpoint is read-only")
        if upper == "SERVICE":
            raise QueryRefused("SERVICE (federated query) is not allowed: this endpoint makes no outbound requests")
        if form is None:
            if upper == "PREFIX":
                expecting = "prefix-name"
            elif upper == "BASE":
                expecting = "base-iri"
            elif upper in QUERY_FORMS:
                form = upper
        if upper == "FROM":
            expecting, from_is_named = "from", False

    if expecting == "from":
        raise QueryError("FROM must be followed by a graph IRI")
    if form is None:
        raise QueryError("not a SPARQL query: expected SELECT, ASK, CONSTRUCT or DESCRIBE")
    return QueryInfo(form, tuple(from_graphs), tuple(from_named))


def _resolve(kind: str | None, text: str, prefixes: dict[str, str], base: str) -> str | None:
    if kind == "iri":
        return urljoin(base, _unescape_iri(text[1:-1]))
    if kind == "pname":
        prefix, _, local = text.partition(":")
        if prefix not in prefixes:
            raise QueryError(f"prefix {prefix}: is not declared")
        return prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)
    return None


def rewrite_iris(query: str, mapping: dict[str, str]) -> str:
    """Write ``<mapping[iri]>`` wherever the query names a key of ``mapping``.

    An IRI counts however it is written: in full, relative to ``BASE`` or as a
    prefixed name. Strings, comments and the prologue (``PREFIX`` / ``BASE``
    declarations) are left as written.
    """
    if not mapping:
        return query
    return _rewrite(query, tuple(sorted(mapping.items())))


@lru_cache(maxsize=2048)
def _rewrite(query: str, mapping_items: tuple[tuple[str, str], ...]) -> str:
    mapping = dict(mapping_items)
    prefixes: dict[str, str] = {}
    base = ""
    expecting: str | None = None  # "prefix-name", "prefix-iri", "base-iri"
    pending_prefix = ""
    out: list[str] = []
    for match in _TOKEN.finditer(query):  # the tokens cover the whole text, so joining them gives it back
        kind, text = match.lastgroup, match.group()
        out.append(text)
        if kind in ("space", "comment"):
            continue
        if expecting == "prefix-name":
            pending_prefix = text[:-1] if kind == "pname" and text.endswith(":") else ""
            expecting = "prefix-iri"
        elif expecting == "prefix-iri":
            if kind == "iri":
                prefixes[pending_prefix] = urljoin(base, _unescape_iri(text[1:-1]))
            expecting = None
        elif expecting == "base-iri":
            if kind == "iri":
                base = urljoin(base, _unescape_iri(text[1:-1]))
            expecting = None
        elif kind == "word" and text.upper() in ("PREFIX", "BASE"):
            expecting = "prefix-name" if text.upper() == "PREFIX" else "base-iri"
        elif kind in ("iri", "pname"):
            try:
                iri = _resolve(kind, text, prefixes, base)
            except QueryError:  # an undeclared prefix: the engine will say so
                continue
            if iri in mapping:
                out[-1] = f"<{mapping[iri]}>"
    return "".join(out)
