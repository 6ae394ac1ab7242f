"""Highlighting hits: FTS5 marks the English matches, these add the Chinese ones and cut a passage.

FTS5's ``highlight()`` marks tokens of the porter-tokenized columns; Chinese is
indexed as bigrams in other columns, so Chinese matches are marked here, as
substrings of the original text. Marks are private-use characters, turned into
``<mark>`` only after HTML escaping (:func:`scograph.web.search.marked_html`).
"""

from __future__ import annotations

import re

MARK_START, MARK_END = "\ue000", "\ue001"
SNIPPET_CHARS = 220


def mark_cjk(marked: str, needles: list[str]) -> str:
    """Add marks around every occurrence of the CJK needles in an FTS5-highlighted string."""
    plain, flags, inside = [], [], False
    for ch in marked:
        if ch == MARK_START:
            inside = True
        elif ch == MARK_END:
            inside = False
        else:
            plain.append(ch)
            flags.append(inside)
    text = "".join(plain)
    for needle in needles:
        for m in re.finditer(re.escape(needle), text):
            for i in range(m.start(), m.end()):
                flags[i] = True
    out, inside = [], False
    for ch, flag in zip(text, flags):
        if flag != inside:
            out.append(MARK_START if flag else MARK_END)
            inside = flag
        out.append(ch)
    if inside:
        out.append(MARK_END)
    return "".join(out)


def window(marked: str, size: int = SNIPPET_CHARS) -> str:
    """A passage of about ``size`` characters around the first mark (marks kept balanced)."""
    visible = marked.replace(MARK_START, "").replace(MARK_END, "")
    if len(visible) <= size:
        return marked
    first = marked.find(MARK_START)
    start = max(0, first - size // 4) if first >= 0 else 0
    # Walk the marked string, counting visible characters, so marks never split.
    out, count, seen, inside = [], 0, 0, False
    for ch in marked:
        if ch in (MARK_START, MARK_END):
            if seen >= start:
                out.append(ch)
            inside = ch == MARK_START
            continue
        if seen >= start and count < size:
            out.append(ch)
            count += 1
        seen += 1
    if inside or (out and out.count(MARK_START) > out.count(MARK_END)):
        out.append(MARK_END)
    text = "".join(out)
    return ("…" if start > 0 else "") + text + ("…" if start + size < len(visible) else "")


def first_marked_line(marked: str) -> str:
    """The first line with a mark (each label or text is a line), else the first line."""
    lines = marked.split("\n")
    return next((line for line in lines if MARK_START in line), lines[0])
