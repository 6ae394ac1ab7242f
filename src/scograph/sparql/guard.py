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

The engine reads keywords case-insensitively and with no word boundary
(``SERVICE:x`` is ``SERVICE`` + ``:x``, ``trueSERVICE:x`` is ``true`` +
``SERVICE`` + ``:x``, ``FROMNAMEDex:g`` is ``FROM NAMED ex:g``), so the guard
does not wait for a whole word: any name token with ``SERVICE`` in it (outside
a local name, which the engine reads whole) is refused, and one that begins
with ``FROM`` is read as the dataset clause it may be. The differential test
(``tests/test_guard_differential.py``) runs thousands of generated queries
through the real engine against a local listener to hold this to account.

It also bounds what the engine's recursive parser and evaluator get: nesting
deeper than :data:`MAX_NESTING` or more than :data:`MAX_CHAIN` chained
operators is a QueryError (400) before any worker sees it.

Where the engine may read ``<`` as "less than" (after a value inside ``( )``),
an IRI-looking token is also read the engine's way, and refused when a quote or
``#`` inside it would open a string or comment of unknown extent:
``FILTER(?o<?p)SERVICE:x#>`` hides a SERVICE call that way.

This is the first of two walls: query worker processes also run without a
network (see :mod:`scograph.store.query_worker`).

Most queries need none of this reading: :func:`screen` tells from the bare text,
in a few microseconds, that a query cannot hold anything the guard refuses (no
``SERVICE`` or ``FROM`` anywhere in it, in any case, and too few brackets and
operators in all to pass a bound), so the embedded store sends such a query to
the engine unread and the engine tells its form (issue 12: the reading was the
largest cost of an uncached request on the web side).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from scograph.sparql.lexer import Token, tokens
from scograph.sparql.prologue import Prologue
from scograph.store.base import QueryError, QueryRefused

#: Keywords that exist only in SPARQL Update.
UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH", "USING", "DATA"}
)
QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")

#: How deep ``{ ( [`` and ``<< >>`` may nest. A fresh query worker (pyoxigraph 0.5.13,
#: main thread, 8 MiB stack) dies of a stack overflow at 2,208 nested groups ``{ { ...``
#: (2,176 still run) and at 4,672 nested parentheses (4,608 run); nested ``[ ]`` and
#: ``<< >>`` cost polynomial parse time (128 deep: 6 s and 13 s). 64 is a 34-fold margin
#: under the smallest overflow, and real queries nest a handful of levels.
#: Measured by ``benchmarks/guard_bench.py --depth`` (numbers in benchmarks/REPORT-guard.md).
MAX_NESTING = 64
#: How many operators one query may chain (``UNION OPTIONAL MINUS FILTER BIND`` and each
#: of ``+ - * / | ^ = < > ! &``): the engine nests each into the one before, so long chains
#: overflow a worker's stack as deep nesting does: 6,592 ``{}UNION`` or ``OPTIONAL{}``,
#: 6,912 ``+1`` and 9,344 ``||true`` (most under the 64 KB size limit). 2,000 is a
#: three-fold margin under the smallest, and far more than real queries chain.
MAX_CHAIN = 2000
_CHAIN_WORDS = frozenset({"UNION", "OPTIONAL", "MINUS", "FILTER", "BIND"})
_CHAIN_OPERATORS = frozenset("+-*/|^=<>!&")

_SIGNIFICANT_SKIP = frozenset({"space", "comment"})
_OPENERS, _CLOSERS = frozenset("{(["), frozenset("})]")


@dataclass(frozen=True)
class QueryInfo:
    """What the guard learnt about an allowed query."""

    form: str  # SELECT, ASK, CONSTRUCT or DESCRIBE
    from_graphs: tuple[str, ...] = ()
    from_named_graphs: tuple[str, ...] = ()

    @property
    def returns_graph(self) -> bool:
        return self.form in ("CONSTRUCT", "DESCRIBE")


def screen(query: str) -> bool:
    """True when the query's text alone shows that :func:`check_query` has nothing to refuse in it.

    Each test over-approximates what the guard reads, over the whole text (strings,
    IRIs and comments included, which the guard would skip):

    - no ``SERVICE`` and no ``FROM`` in the upper-cased text, so no name token can
      hold either (upper-casing maps more characters to ASCII letters than the
      engine's case-insensitive keywords accept, never fewer), except in lines that
      are comments from their start (:func:`_only_in_comment_lines`);
    - ``{ ( [`` and half the ``<`` in all are at most :data:`MAX_NESTING`, so no
      nesting can be deeper;
    - the operator characters and the chaining words in all are at most
      :data:`MAX_CHAIN`.

    Update keywords are not looked for: ``store.query`` parses the query language
    only, so an update is a syntax error for the engine, and a store that ran a
    screened query the engine refused asks :func:`check_query` for its words
    (``tests/test_guard_differential.py`` holds the guard's refusals of screened
    queries to that). A False says nothing: the query is read in full.
    """
    return _cached_screen(query) if len(query) <= CACHED_QUERY_CHARS else _screen(query)


def _screen(query: str) -> bool:
    upper = query.upper()
    if ("SERVICE" in upper or "FROM" in upper) and not _only_in_comment_lines(upper):
        return False
    nesting = query.count("<") // 2  # "<<" takes two; str.count is one C pass a character: ~15 us in all for 1 KB
    for char in _OPENERS:
        nesting += query.count(char)
    if nesting > MAX_NESTING:
        return False
    chain = 0
    for char in _CHAIN_OPERATORS:
        chain += query.count(char)
    for word in _CHAIN_WORDS:
        chain += upper.count(word)
    return chain <= MAX_CHAIN


def _only_in_comment_lines(upper: str) -> bool:
    """Whether every ``SERVICE`` and ``FROM`` of the upper-cased query is in a line that is a
    comment from its first character that is not a space or a tab (the example queries' own
    ``# description: ... from ...`` lines: a guard read of 200 us for each).

    Only a long string (three double or three single quotes) can hold a line break: IRIs
    hold no control character, short strings no raw line break, and a comment ends at the
    first carriage return or line feed (pyoxigraph ends it there and nowhere else: not at
    NEL, LINE SEPARATOR, form feed, ...). So without one, each line begins outside any
    token, and a ``#`` there opens a comment that runs to the line's end."""
    if '"""' in upper or "'''" in upper:
        return False
    for line in upper.replace("\r", "\n").split("\n"):
        if ("SERVICE" in line or "FROM" in line) and not line.lstrip(" \t").startswith("#"):
            return False
    return True


def graph_form(query: str) -> str:
    """CONSTRUCT or DESCRIBE, for a query the engine answered with triples.

    Only one of the two words in the text settles it (the form's keyword is in the
    text); with both (one in a string or an IRI, say) the guard reads the query."""
    upper = query.upper()
    construct, describe = "CONSTRUCT" in upper, "DESCRIBE" in upper
    if construct != describe:
        return "CONSTRUCT" if construct else "DESCRIBE"
    return check_query(query).form


def check_query(query: str, allowed_graphs: frozenset[str] | None = None) -> QueryInfo:
    """Return what the query is, or raise QueryRefused / QueryError saying why it cannot run.

    ``allowed_graphs`` are the graph IRIs ``FROM`` / ``FROM NAMED`` may name;
    ``None`` allows none.
    """
    allowed = allowed_graphs or frozenset()
    return _cached_check(query, allowed) if len(query) <= CACHED_QUERY_CHARS else _check(query, allowed)


def _graph_readings(token: Token, prologue: Prologue, named: bool) -> list[tuple[bool, str]]:
    """Every (named, graph IRI) the engine may read ``token`` as after ``FROM`` (``NAMED``).

    A prefixed name such as ``NAMEDex:g`` is ``FROM NAMED ex:g`` for the engine
    when the prefix ``NAMEDex`` is not declared, and a default graph when it is:
    both readings are returned, the engine's first, and each must be allowed.
    """
    if token.kind == "iri":
        return [(named, prologue.resolve_iri(token.text))]
    if token.kind != "pname":
        return []
    readings = []
    whole = prologue.expand(token.text)
    if whole is not None:
        readings.append((named, whole))
    if not named and token.text[:5].upper() == "NAMED":
        rest = prologue.expand(token.text[5:])
        if rest is not None:
            readings.append((True, rest))
    return readings


class _Bounds:
    """What the engine's recursive parser and evaluator would face, and SERVICE however glued.

    Keeps the stack of open brackets (``{ ( [`` and ``<<``), the count of chained
    operators, and reads an IRI the engine may not read as one (see :meth:`ambiguous_iri`).
    """

    def __init__(self) -> None:
        self.stack: list[str] = []  # "{", "(", "[", "<<", or "V" for a VALUES data block
        self.chain = 0
        self.values_pending = False
        self.previous: Token | None = None  # the previous significant token (the language-tag test reads it too)
        self._lone_angle: Token | None = None  # a '<' or '>' that may pair with the next one

    def visit(self, token: Token) -> None:
        text, upper = token.text, token.text.upper()
        previous, self.previous = self.previous, token
        pair = ""  # "<<" or ">>": two lone angle brackets side by side
        if token.kind == "other" and text in ("<", ">"):
            lone = self._lone_angle
            if lone is not None and lone.text == text and lone.start + 1 == token.start:
                pair, self._lone_angle = text * 2, None
            else:
                self._lone_angle = token
        else:
            self._lone_angle = None

        if token.kind == "iri" and self._may_be_an_operator(previous):
            self.ambiguous_iri(token)
            self.previous = token
        if token.kind == "other":
            if text[0] in _OPENERS or pair == "<<":
                kind = pair or ("V" if text[0] == "{" and self.values_pending else text[0])
                self._open(1 if pair else len(text), kind)
                if text[0] == "{":
                    self.values_pending = False
            elif text[0] in _CLOSERS or pair == ">>":
                del self.stack[len(self.stack) - min(len(self.stack), 1 if pair else len(text)) :]
            if text[0] in _CHAIN_OPERATORS:
                self.chain += len(text)
        elif token.kind == "word":
            words = upper.split(".")
            self.chain += sum(word in _CHAIN_WORDS for word in words)
            self.values_pending = self.values_pending or upper == "VALUES"
        if self.chain > MAX_CHAIN:
            raise QueryError(
                f"the query chains more than {MAX_CHAIN} operators (UNION, OPTIONAL, MINUS, FILTER, BIND, "
                "+ - * / | ^ = < > ! &); please split it"
            )
        # SERVICE, however glued: the engine finds the keyword inside any name token but a local name.
        name_part = upper if token.kind == "word" else upper.partition(":")[0] if token.kind == "pname" else ""
        if "SERVICE" in name_part:
            raise QueryRefused("SERVICE (federated query) is not allowed: this endpoint makes no outbound requests")

    def _open(self, count: int, kind: str) -> None:
        self.stack.extend([kind] * count)
        if len(self.stack) > MAX_NESTING:
            raise QueryError(
                f"the query nests deeper than {MAX_NESTING} levels of {{ }}, ( ), [ ] or << >>; please flatten it"
            )

    def _may_be_an_operator(self, previous: Token | None) -> bool:
        """Whether the engine may read this ``<`` as "less than": after a value, in an expression.

        Expressions only ever stand inside ``( )``; VALUES rows and ``{ }`` / ``[ ]``
        / ``<< >>`` inside them hold terms only, where ``<`` always opens an IRI.
        """
        if not self.stack or self.stack[-1] != "(" or "V" in self.stack or previous is None:
            return False
        return previous.kind in ("var", "iri", "pname", "string", "bnode", "word") or (
            previous.kind == "other" and previous.text[-1] in ")]}"
        )

    def ambiguous_iri(self, token: Token) -> None:
        """``FILTER(?a<?b)SERVICE:x#>``: an IRI for us, "?a < ?b) SERVICE :x" and a comment for the
        engine. Read what is inside as the engine might; a quote or a '#' inside would start a
        string or a comment that ends who knows where, so such a query is refused."""
        inside = token.text[1:-1]
        if "'" in inside or "#" in inside:
            raise QueryError(
                f"{token.text} right after a value inside ( ) may be read as a comparison (<) or as an IRI; "
                "write a space after '<' or before it, or put the IRI in a PREFIX"
            )
        for inner in tokens(inside):
            if inner.kind not in _SIGNIFICANT_SKIP:
                self.visit(inner)


def _check(query: str, allowed_graphs: frozenset[str]) -> QueryInfo:
    prologue = Prologue()
    form: str | None = None
    from_graphs: list[str] = []
    from_named: list[str] = []
    from_state: str | None = None  # "from" after FROM, "named" after FROM NAMED
    bounds = _Bounds()

    def take_graphs(readings: list[tuple[bool, str]]) -> None:
        for _named, graph in readings:
            if graph not in allowed_graphs:
                raise QueryRefused(
                    f"FROM{' NAMED' if _named else ''} <{graph}> is not a graph of this dataset; "
                    "this endpoint never fetches remote data (allowed graphs: "
                    + (", ".join(f"<{g}>" for g in sorted(allowed_graphs)) or "none")
                    + ")"
                )
        named, graph = readings[0]  # the engine takes the first reading
        (from_named if named else from_graphs).append(graph)

    for token in tokens(query):
        if token.kind in _SIGNIFICANT_SKIP:
            continue
        # "x"@data: a language tag for the engine, whatever its letters spell.
        previous = bounds.previous
        language_tag = previous is not None and previous.text == "@" and previous.start + 1 == token.start
        bounds.visit(token)
        text, upper = token.text, token.text.upper()

        if from_state is not None:
            named = from_state == "named"
            from_state = None
            if not named and token.kind == "word" and upper == "NAMED":
                from_state = "named"
                continue
            readings = _graph_readings(token, prologue, named)
            if not readings:
                if token.kind == "pname":
                    raise QueryError(f"prefix {token.prefix}: is not declared")
                raise QueryError(f"FROM{' NAMED' if named else ''} must be followed by a graph IRI, not {text!r}")
            take_graphs(readings)
            continue

        if form is None and prologue.feed(token):
            continue
        if token.kind not in ("word", "pname"):
            continue
        if token.kind == "word" and not language_tag:
            update = next((word for word in upper.split(".") if word in UPDATE_KEYWORDS), None)
            if update:
                raise QueryRefused(f"SPARQL Update ({update}) is not allowed: this endpoint is read-only")
        if form is None:
            form = next((f for f in QUERY_FORMS if upper.startswith(f)), None)
        if upper.startswith("FROM"):
            rest = Token(token.kind, text[4:], token.start + 4)
            if rest.text == "":
                from_state = "from"
            elif token.kind == "word" and rest.text.upper() == "NAMED":
                from_state = "named"
            else:  # FROMex:g, FROMNAMEDex:g; anything else is no dataset clause
                readings = _graph_readings(rest, prologue, named=False)
                if readings:
                    take_graphs(readings)

    if from_state is not None:
        raise QueryError("FROM must be followed by a graph IRI")
    if prologue.expecting is not None and form is None:
        raise QueryError("PREFIX and BASE must be followed by a name and an IRI")
    if form is None:
        raise QueryError("not a SPARQL query: expected SELECT, ASK, CONSTRUCT or DESCRIBE")
    return QueryInfo(form, tuple(from_graphs), tuple(from_named))


def rewrite_iris(query: str, mapping: dict[str, str]) -> str:
    """Write ``<mapping[iri]>`` wherever the query names a key of ``mapping``.

    An IRI counts however it is written: in full, relative to ``BASE`` or as a
    prefixed name. Strings, comments and the prologue (``PREFIX`` / ``BASE``
    declarations) are left as written.
    """
    if not mapping:
        return query
    items = tuple(sorted(mapping.items()))
    return _cached_rewrite(query, items) if len(query) <= CACHED_QUERY_CHARS else _rewrite(query, items)


def _rewrite(query: str, mapping_items: tuple[tuple[str, str], ...]) -> str:
    mapping = dict(mapping_items)
    prologue = Prologue()
    in_prologue = True
    out: list[str] = []
    try:
        all_tokens = list(tokens(query))
    except QueryError:  # the engine will say what is wrong
        return query
    for token in all_tokens:  # the tokens cover the whole text, so joining them gives it back
        out.append(token.text)
        if token.kind in _SIGNIFICANT_SKIP or (in_prologue and prologue.feed(token)):
            continue
        if token.kind == "word" and token.text.upper().startswith(QUERY_FORMS):
            in_prologue = False
        if token.kind == "iri":
            iri: str | None = prologue.resolve_iri(token.text)
        elif token.kind == "pname":
            iri = prologue.expand(token.text)  # None for an undeclared prefix: the engine will say so
        else:
            continue
        if iri in mapping:
            out[-1] = f"<{mapping[iri]}>"
    return "".join(out)


# Only short queries are cached: 2,048 entries of 64 KB queries would hold 128 MB per process,
# and a long query costs a few milliseconds to check again (benchmarks/REPORT-guard.md).
CACHED_QUERY_CHARS = 8192
_cached_check = lru_cache(maxsize=2048)(_check)
_cached_screen = lru_cache(maxsize=2048)(_screen)  # the web layer and the store screen each query once
_cached_rewrite = lru_cache(maxsize=2048)(_rewrite)
