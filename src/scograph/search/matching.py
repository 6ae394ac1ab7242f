"""Name normalisation and similarity, shared by the index (names table) and reconciliation."""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

from scograph.search.segment import has_cjk

_PUNCT = re.compile(r"[\s\-‐‑‒–—―_.,;:!?'\"“”‘’()\[\]{}《》〈〉「」『』（）【】、，。：；！？·/\\]+")
_PAREN_TAIL = re.compile(r"\s*[(（][^()（）]*[)）]\s*$")


def normalize(name: str) -> str:
    """Casefolded, without diacritics (Montréal = montreal), punctuation and dashes to single
    spaces; no spaces between CJK characters."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", name).casefold())
    text = unicodedata.normalize("NFC", "".join(ch for ch in text if not unicodedata.combining(ch)))
    text = _PUNCT.sub(" ", text).strip()
    if has_cjk(text):
        text = re.sub(r"(?<=[\u3400-\u9fff])\s+|\s+(?=[\u3400-\u9fff])", "", text)
    return text


def variants(name: str) -> list[str]:
    """Other ways people write a label: ``Target 3: Conserve…`` -> ``Target 3``; ``X (2018)`` -> ``X``."""
    out = []
    head, sep, tail = name.partition(": ")
    if sep and head.strip() and tail.strip():
        out += [head.strip(), tail.strip()]
    stripped = _PAREN_TAIL.sub("", name)
    if stripped and stripped != name:
        out.append(stripped)
    return out


def similarity(a: str, b: str) -> float:
    """0..100 between two normalised names (100 only when equal).

    Edit similarity, raised when ``a`` is contained in ``b`` ("2030 agenda" in "2030 agenda for
    sustainable development"): then 60 + 35 x the share of ``b`` it covers, always below 95, so
    a part of a name ranks its candidates well but is never a certain match.
    """
    if a == b:
        return 100.0
    if not a or not b:
        return 0.0
    score = 99.0 * SequenceMatcher(None, a, b, autojunk=False).ratio()
    contained = (a in b) if has_cjk(a) else set(a.split()) <= set(b.split())
    if contained and len(a) < len(b):
        score = max(score, 60.0 + 35.0 * len(a) / len(b))
    return round(score, 2)


def expand_abbreviations(query: str, aliases: dict[str, str]) -> str:
    """Replace whole-word abbreviations that are themselves names of the candidate.

    ``kunming montreal gbf`` with the alias ``gbf`` -> ``global biodiversity framework``
    (the candidate's label minus the words already in the query) gives
    ``kunming montreal global biodiversity framework``.
    """
    words = query.split()
    out: list[str] = []
    for word in words:
        expansion = aliases.get(word)
        if expansion:
            out += [w for w in expansion.split() if w not in words]
        else:
            out.append(word)
    return " ".join(out)
