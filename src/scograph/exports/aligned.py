"""Clause-aligned bilingual text: every clause as a zh-en pair keyed by its IRI.

Three files for three kinds of users: TMX 1.4 for translation-memory tools,
CSV for spreadsheets, JSON Lines for NLP pipelines. A unit is one clause of a
document (its items are parts of its text, not units of their own), in
document order; the texts are the graph's ``scog:text`` values, unchanged.
No file carries a date or a clock: the same graph gives the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from xml.sax.saxutils import escape, quoteattr

from scograph import __version__
from scograph.exports.model import Document, Part

#: The two languages aligned, in column order.
LANGUAGES = ("zh", "en")

CSV_COLUMNS = ("clause", "document", "position", "type", "label_en", "label_zh", "zh", "en")


def aligned_units(documents: Iterable[Document]) -> list[tuple[Document, Part]]:
    """Every clause that has a text in both languages, documents in IRI order, clauses in document order."""
    return [(doc, part) for doc in documents for part in doc.parts if all(lang in part.texts for lang in LANGUAGES)]


def tmx(documents: Iterable[Document]) -> bytes:
    """TMX 1.4b: one ``<tu>`` per clause, ``tuid`` the clause IRI, one ``<tuv>`` per language."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<!DOCTYPE tmx SYSTEM "tmx14.dtd">',
        '<tmx version="1.4">',
        f'  <header creationtool="scograph" creationtoolversion={quoteattr(__version__)} segtype="paragraph"'
        f' o-tmf="scograph" adminlang="en" srclang="{LANGUAGES[0]}" datatype="plaintext"/>',
        "  <body>",
    ]
    for doc, part in aligned_units(documents):
        lines.append(f"    <tu tuid={quoteattr(part.iri)}>")
        lines.append(f'      <prop type="x-document">{escape(doc.iri)}</prop>')
        if part.type_name():
            lines.append(f'      <prop type="x-clause-type">{escape(part.type_name())}</prop>')
        for lang in LANGUAGES:
            lines.append(f'      <tuv xml:lang="{lang}"><seg>{escape(part.texts[lang])}</seg></tuv>')
        lines.append("    </tu>")
    lines += ["  </body>", "</tmx>", ""]
    return "\n".join(lines).encode("utf-8")


def csv_bytes(documents: Iterable[Document]) -> bytes:
    """RFC 4180 CSV (CRLF line ends, fields with line breaks quoted), UTF-8, a header row."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for doc, part in aligned_units(documents):
        writer.writerow(
            [part.iri, doc.iri, part.position, part.type_name(), part.labels.get("en", ""), part.labels.get("zh", ""), part.texts["zh"], part.texts["en"]]
        )
    return out.getvalue().encode("utf-8")


def jsonl(documents: Iterable[Document]) -> bytes:
    """JSON Lines: one object per clause, keys sorted, Chinese as characters (not escapes)."""
    lines = []
    for doc, part in aligned_units(documents):
        record = {
            "clause": part.iri,
            "document": doc.iri,
            "position": part.position,
            "type": part.type_name(),
            "label": part.labels,
            "zh": part.texts["zh"],
            "en": part.texts["en"],
        }
        lines.append(json.dumps(record, ensure_ascii=False, sort_keys=True))
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
