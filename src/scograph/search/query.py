"""What a user typed -> a safe FTS5 MATCH expression.

Users never write FTS5 syntax: the query is split into words, quoted phrases
(``"green development"``) and prefixes (``biodiv*``); every piece is then
written as a double-quoted FTS5 string of word characters only, so quotes,
``NEAR``, ``AND``/``OR``/``NOT``, ``*`` in odd places, ``^``, column filters
(``label:``) and parentheses in the input are either words or dropped, never
syntax. English goes to the ``label``/``body`` columns (porter-stemmed), CJK
runs to the bigram columns as phrases (:mod:`scograph.search.segment`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scograph.search.segment import CJK_RUN, bigrams

#: Hard limits on what is parsed (the web layer refuses longer input with a 400 first).
MAX_QUERY_CHARS = 500
MAX_TERMS = 16

_PIECE = re.compile(r'"([^"]*)"|(\S+)')
# Word characters that are not CJK ideographs (those are handled as runs).
_WORD = re.compile(r"[^\W\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
LATIN_WORD = _WORD
#: A prefix matches at most this many indexed words (the most common first is not known; alphabetical).
MAX_PREFIX_WORDS = 64
_CJK_OR_WORD = re.compile(rf"{CJK_RUN.pattern}|{_WORD.pattern}")

EN_COLUMNS = "{label body}"
CJK_COLUMNS = "{cjk_label cjk_body}"


@dataclass(frozen=True)
class Term:
    """One unit of a query: a word, a phrase of words, or a CJK run; maybe a prefix."""

    tokens: tuple[str, ...]
    cjk: bool
    prefix: bool = False

    def expression(self, expansions: dict[str, list[str]] | None = None) -> str:
        if self.cjk:
            run = self.tokens[0]
            columns = CJK_COLUMNS
            if len(run) == 1:
                # One character: bigrams starting with it, or the character standing alone.
                return f'{columns} : ("{run}" * OR "{run}")'
            return f'{columns} : "{" ".join(bigrams(run))}"'
        columns = EN_COLUMNS
        if self.prefix and len(self.tokens) == 1 and expansions is not None:
            # The index stores porter stems ("sustain"), so "sustainab*" cannot match natively:
            # the prefix becomes the indexed words it starts ("sustainable", "sustainability").
            words = expansions.get(self.tokens[0]) or [self.tokens[0]]
            return f"{columns} : (" + " OR ".join(f'"{w}"' for w in words) + ")"
        star = " *" if self.prefix else ""
        return f'{columns} : "{" ".join(self.tokens)}"{star}'


@dataclass(frozen=True)
class ParsedQuery:
    terms: tuple[Term, ...]

    @property
    def empty(self) -> bool:
        return not self.terms

    def in_language(self, lang: str | None) -> "ParsedQuery":
        """Only the terms that can match text in ``lang``: CJK runs for ``zh``, the rest for ``en``."""
        if lang is None:
            return self
        return ParsedQuery(tuple(t for t in self.terms if t.cjk == (lang == "zh")))

    @property
    def prefixes(self) -> list[str]:
        return [t.tokens[0] for t in self.terms if t.prefix and len(t.tokens) == 1]

    def all_of(self, expansions: dict[str, list[str]] | None = None) -> str:
        return " AND ".join(f"({t.expression(expansions)})" for t in self.terms)

    def any_of(self, expansions: dict[str, list[str]] | None = None) -> str:
        return " OR ".join(f"({t.expression(expansions)})" for t in self.terms)

    @property
    def cjk_needles(self) -> list[str]:
        """CJK runs to highlight (FTS5 cannot highlight bigram matches in the original text)."""
        return [t.tokens[0] for t in self.terms if t.cjk]


def _split(text: str, prefix: bool) -> list[Term]:
    """A phrase or word -> terms: latin words stay together as one phrase, each CJK run is its own term."""
    terms: list[Term] = []
    words: list[str] = []
    for match in _CJK_OR_WORD.finditer(text):
        piece = match.group(0)
        if CJK_RUN.fullmatch(piece):
            if words:
                terms.append(Term(tuple(words), cjk=False))
                words = []
            terms.append(Term((piece,), cjk=True))
        else:
            words.append(piece.lower())
    if words:
        terms.append(Term(tuple(words), cjk=False, prefix=prefix))
    return terms


def parse(text: str) -> ParsedQuery:
    """Parse user input (any string at all) into terms; never raises."""
    text = text[:MAX_QUERY_CHARS]
    terms: list[Term] = []
    for match in _PIECE.finditer(text):
        phrase, bare = match.group(1), match.group(2)
        if phrase is not None:
            terms += _split(phrase, prefix=False)
        else:
            prefix = bare.endswith("*") and len(bare.rstrip("*")) >= 2
            # A bare piece with inner punctuation ("Kunming-Montreal") is split into separate words.
            for part in _split(bare, prefix=False):
                if part.cjk:
                    terms.append(part)
                else:
                    terms += [Term((w,), cjk=False) for w in part.tokens]
            if prefix and terms and not terms[-1].cjk:
                terms[-1] = Term(terms[-1].tokens, cjk=False, prefix=True)
    unique: list[Term] = []
    for term in terms:
        if term not in unique:
            unique.append(term)
    return ParsedQuery(tuple(unique[:MAX_TERMS]))
