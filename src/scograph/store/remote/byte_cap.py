"""Keeping the whole rows of an answer that the byte cap cut short.

Separate because it reads a partial body (N-Triples lines, a SPARQL JSON
document cut mid-row) that no parser accepts as it is.
"""

from __future__ import annotations

import json

from scograph.store.base import ResultTooLarge


def whole_rows(content_type: str, prefix: bytes, max_bytes: int) -> bytes | dict:
    """The whole rows at the start of an answer the byte cap cut short.

    N-Triples: up to the last complete line. SPARQL JSON: the head and every
    complete binding (each read with ``raw_decode``; servers write the head
    first). Anything else cannot be cut safely and is refused in a sentence."""
    if content_type in ("application/n-triples", "text/plain"):
        return prefix[: prefix.rfind(b"\n") + 1]
    if content_type in ("application/sparql-results+json", "application/json"):
        document = _json_prefix(prefix.decode("utf-8", "ignore"))
        if document is not None:
            return document
    raise ResultTooLarge(
        f"the answer is larger than this endpoint's limit of {max_bytes} bytes and the store sent it "
        "in a form that cannot be cut; add a LIMIT or select fewer or shorter values"
    )


def _json_prefix(text: str) -> dict | None:
    decoder = json.JSONDecoder()

    def skip(i: int) -> int:
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        return i

    head_at, rows_at = text.find('"head"'), text.find('"bindings"')
    if head_at < 0 or rows_at < head_at:
        return None
    try:
        head, _ = decoder.raw_decode(text, skip(text.index(":", head_at) + 1))
        i = skip(text.index("[", rows_at) + 1)
    except ValueError:
        return None
    rows = []
    while i < len(text) and text[i] != "]":
        try:
            row, i = decoder.raw_decode(text, i)
        except ValueError:  # the row the cap cut in two
            break
        rows.append(row)
        i = skip(i)
        if i < len(text) and text[i] == ",":
            i = skip(i + 1)
    return {"head": head if isinstance(head, dict) else {}, "results": {"bindings": rows}}
