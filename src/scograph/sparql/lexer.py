"""SPARQL split into tokens the way Oxigraph's parser reads them, in linear time.

The guard (:mod:`scograph.sparql.guard`) decides what may reach the engine from
these tokens, so they follow the engine's own terminals (spargebra's PEG
grammar, as shipped in pyoxigraph 0.5) rather than the W3C grammar where the
two differ:

- whitespace is only space, tab, CR and LF; anything else is a token of its own;
- a local name (``ex:a.b``) takes at most one run of dots (``ex:a.b.c`` is
  ``ex:a.b`` then ``.`` then ``c`` for the engine, so it is for us too);
- string escapes are only ``\\t \\b \\n \\r \\f \\" \\' \\\\`` and ``\\u``/``\\U``;
- name characters are the engine's ``PN_CHARS_BASE`` ranges (no astral planes).

Keywords are *not* recognised here: the engine matches them case-insensitively
and with no word boundary (``SERVICE:x`` is ``SERVICE`` + ``:x``), so the guard
looks inside every name token instead (see there).

Every pattern is a single greedy run or an alternation of disjoint character
classes, so no input makes the regular expression engine backtrack beyond one
token: tokenizing costs time linear in the input (``benchmarks/guard_bench.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from scograph.store.base import QueryError

# spargebra's PN_CHARS_BASE, PN_CHARS_U and PN_CHARS, character for character.
_BASE = (
    "A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D"
    "\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD"
)
_CHARS = _BASE + "_\\-0-9\u00B7\u0300-\u036F\u203F-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_ECHAR_UCHAR = r"\\[tbnrf\"'\\]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"

_VAR_CHARS = _BASE + "_0-9\u00B7\u0300-\u036F\u203F-\u2040"
_MAIN = re.compile(
    rf"""
    (?P<space>[ \t\r\n]+)
  | (?P<comment>\#[^\r\n]*)
  | (?P<name>[{_BASE}_0-9][{_CHARS}.]*)
  | (?P<var>[?$][{_BASE}_0-9][{_VAR_CHARS}]*)
  | (?P<quote>["'])
  | (?P<iri><(?:[^<>"{{}}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{{4}}|\\U[0-9A-Fa-f]{{8}})*>)
  | (?P<colon>:)
  | (?P<other>(?P<char>[{{}}()\[\]\\.,;+\-*/|^=!&@%~`])(?P=char)*|.)
    """,
    re.VERBOSE | re.DOTALL,
)

_STRINGS = {
    '"""': re.compile(rf'"""(?:(?:""|")?(?:[^"\\]|{_ECHAR_UCHAR}))*"""'),
    "'''": re.compile(rf"'''(?:(?:''|')?(?:[^'\\]|{_ECHAR_UCHAR}))*'''"),
    '"': re.compile(rf'"(?:[^"\\\r\n]|{_ECHAR_UCHAR})*"'),
    "'": re.compile(rf"'(?:[^'\\\r\n]|{_ECHAR_UCHAR})*'"),
}
_LOCAL = re.compile(rf"(?:[{_BASE}_0-9:]|{_PLX})(?:[{_CHARS}:]|{_PLX})*(?:\.+(?:[{_CHARS}:]|{_PLX})+)?")
_BNODE_LABEL = re.compile(rf"[{_BASE}_0-9][{_CHARS}]*(?:\.+[{_CHARS}]+)*")
_PREFIX_START = re.compile(rf"[{_BASE}]")
_NAME_RUN = re.compile(rf"[{_CHARS}.]*")


class Token(NamedTuple):
    #: space, comment, string, iri, var, bnode, pname, word, or other: one character, or
    #: a run of one punctuation character (``{{{``), which the guard counts
    kind: str
    text: str
    start: int

    @property
    def prefix(self) -> str:
        """The prefix of a prefixed name (``ex`` of ``ex:a``)."""
        return self.text.partition(":")[0]


def tokens(query: str) -> Iterator[Token]:
    """Yield the tokens of ``query``; joined, their texts give the query back.

    Raises QueryError for a string literal that does not end: a quote can only
    open a string, so the engine would refuse the query too.
    """
    pos, end = 0, len(query)
    while pos < end:
        match = _MAIN.match(query, pos)
        assert match is not None  # "other" matches any character
        kind, text = match.lastgroup, match.group()
        if kind == "name" and _is_prefix(query, pos, text):
            token = _prefixed_name(query, pos, text)
        elif kind == "name":
            yield from _words(pos, text)
            pos += len(text)
            continue
        elif kind == "colon":
            token = _prefixed_name(query, pos, "")
        elif kind == "quote":
            token = _string(query, pos)
        else:
            token = Token(kind, text, pos)
        yield token
        pos += len(token.text)


def _is_prefix(query: str, pos: int, run: str) -> bool:
    """A run of name characters is a prefix when ':' follows it directly and it can start one."""
    after = pos + len(run)
    return (
        after < len(query)
        and query[after] == ":"
        and not run.endswith(".")
        and (run == "_" or _PREFIX_START.match(run) is not None)
    )


def _words(pos: int, run: str) -> Iterator[Token]:
    """A run of name characters and dots that is no prefix: words and dots."""
    offset = 0
    for index, part in enumerate(run.split(".")):
        if index:
            yield Token("other", ".", pos + offset)
            offset += 1
        if part:
            yield Token("word", part, pos + offset)
            offset += len(part)


def _prefixed_name(query: str, pos: int, prefix: str) -> Token:
    """``prefix:local`` or a blank node ``_:label`` starting at ``pos``."""
    colon = pos + len(prefix)
    if prefix == "_":
        label = _BNODE_LABEL.match(query, colon + 1)
        if label is None:  # "_:" alone is no blank node; the engine fails on it
            return Token("other", "_", pos)
        return Token("bnode", query[pos : label.end()], pos)
    local = _LOCAL.match(query, colon + 1)
    return Token("pname", query[pos : local.end() if local else colon + 1], pos)


def is_prefix_label(text: str) -> bool:
    """Whether ``text`` (a piece of a name token) is a whole PN_PREFIX, or empty."""
    return text == "" or (_PREFIX_START.match(text) is not None and not text.endswith(".") and _NAME_RUN.fullmatch(text) is not None)


def _string(query: str, pos: int) -> Token:
    opener = query[pos] * 3 if query.startswith(query[pos] * 3, pos) else query[pos]
    match = _STRINGS[opener].match(query, pos)
    if match is None:
        line = query.count("\n", 0, pos) + 1
        raise QueryError(f"line {line}: a string literal does not end (or has an escape SPARQL does not know)")
    return Token("string", match.group(), pos)
