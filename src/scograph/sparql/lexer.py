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
# Runs of plain characters are matched as runs ("unrolled loops": normal* (special normal*)*),
# which the regex engine does in one C loop; "special" always starts with a character
# "normal" excludes, so there is a single way to match and nothing to backtrack into.
_LOCAL = rf"(?:[{_BASE}_0-9:]|{_PLX})[{_CHARS}:]*(?:(?:{_PLX})[{_CHARS}:]*)*(?:\.+(?:[{_CHARS}:]+|{_PLX})+)?"
_PREFIX = rf"[{_BASE}][{_CHARS}]*(?:\.+[{_CHARS}]+)*"

# One finditer pass. Each alternative matches a whole token, or fails without scanning
# text that a later attempt will scan again: a prefix with no ':' after it fails, then
# "word" takes the whole run of name characters and dots at once, so "a.a.a..." is read
# twice in all instead of once per dot (the old pattern's quadratic cost).
_MAIN = re.compile(
    rf"""
    (?P<space>[ \t\r\n]+)
  | (?P<comment>\#[^\r\n]*)
  | (?P<string>\"\"\"[^\"\\]*(?:(?:{_ECHAR_UCHAR}|\"\"?(?:[^\"\\]|{_ECHAR_UCHAR}))[^\"\\]*)*\"\"\"
             |'''[^'\\]*(?:(?:{_ECHAR_UCHAR}|''?(?:[^'\\]|{_ECHAR_UCHAR}))[^'\\]*)*'''
             |\"[^\"\\\r\n]*(?:(?:{_ECHAR_UCHAR})[^\"\\\r\n]*)*\"
             |'[^'\\\r\n]*(?:(?:{_ECHAR_UCHAR})[^'\\\r\n]*)*')
  | (?P<badstring>[\"'])
  | (?P<iri><[^<>\"{{}}|^`\\\x00-\x20]*(?:\\(?:u[0-9A-Fa-f]{{4}}|U[0-9A-Fa-f]{{8}})[^<>\"{{}}|^`\\\x00-\x20]*)*>)
  | (?P<var>[?$][{_BASE}_0-9][{_VAR_CHARS}]*)
  | (?P<bnode>_:[{_BASE}_0-9][{_CHARS}]*(?:\.+[{_CHARS}]+)*)
  | (?P<pname>(?:{_PREFIX})?:(?:{_LOCAL})?)
  | (?P<word>[{_BASE}_0-9][{_CHARS}.]*)
  | (?P<other>(?P<char>[{{}}()\[\]\\.,;+\-*/|^=!&@%~`])(?P=char)*|.)
    """,
    re.VERBOSE | re.DOTALL,
)
_PREFIX_START = re.compile(rf"[{_BASE}]")
_NAME_RUN = re.compile(rf"[{_CHARS}.]*")


class Token(NamedTuple):
    #: space, comment, string, iri, var, bnode, pname, word (may hold dots: ``a.b``), or
    #: other: one character, or a run of one punctuation character (``{{{``)
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
    open a string, so the engine would refuse the query too. A long string that
    does not end is refused even where the engine would read an empty string and
    go on: stopping at the first failed scan keeps the cost linear.
    """
    for match in _MAIN.finditer(query):
        kind, text, start = match.lastgroup, match.group(), match.start()
        if kind == "badstring" or (kind == "string" and len(text) == 2 and query.startswith(text[0] * 3, start)):
            line = query.count("\n", 0, start) + 1
            raise QueryError(f"line {line}: a string literal does not end (or has an escape SPARQL does not know)")
        yield Token(kind, text, start)


def is_prefix_label(text: str) -> bool:
    """Whether ``text`` (a piece of a name token) is a whole PN_PREFIX, or empty."""
    return text == "" or (_PREFIX_START.match(text) is not None and not text.endswith(".") and _NAME_RUN.fullmatch(text) is not None)
