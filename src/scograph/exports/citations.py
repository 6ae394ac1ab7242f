"""Citations of a document and of every clause in CSL-JSON, BibTeX and RIS.

One citation per language version: a reference manager holds "Operative clause
3, English version" and "执行条款 3, 中文本" as two references, each with its
own title, language and note naming the version. The URL is the clause's (or
document's) IRI, which names the clause in every language; the note also names
the scograph release, since the text is quoted from it. No access date is
written (it would make the same graph give different bytes).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from scograph.exports.model import Document, Part

#: How each language version names itself, in its own language (from the data's conventions).
VERSION_NAMES = {"en": "English version", "zh": "中文本"}
#: BibTeX ``language`` and RIS ``LA`` values.
LANGUAGE_NAMES = {"en": "English", "zh": "Chinese"}


@dataclass(frozen=True)
class Citation:
    key: str
    iri: str
    language: str
    title: str
    container_title: str | None  # the document, for a clause
    author: str | None
    date: str | None  # YYYY-MM-DD
    place: str | None
    version_name: str  # "English version"
    expression: str | None  # IRI of the language version
    release: str
    number: str | None = None

    @property
    def note(self) -> str:
        return f"{self.version_name}. scograph release {self.release}"


def _key(doc: Document, part: Part | None, lang: str) -> str:
    year = (doc.date or "")[:4]
    local = part.iri[len(doc.iri) :].replace("/clause/", "").replace("/", "-").strip("-") if part else ""
    raw = "-".join(x for x in (doc.slug, year, local, lang) if x)
    return re.sub(r"[^A-Za-z0-9-]", "-", raw)


def _pick(labels: dict[str, str], lang: str) -> str | None:
    return labels.get(lang) or labels.get("en") or next(iter(labels.values()), None)


def citation(doc: Document, part: Part | None, lang: str, release: str) -> Citation:
    """The citation of ``part`` (or of the document when ``part`` is None) in language version ``lang``."""
    subject_labels = part.labels if part else (doc.labels or doc.titles)
    return Citation(
        key=_key(doc, part, lang),
        iri=part.iri if part else doc.iri,
        language=lang,
        title=_pick(subject_labels, lang) or (part.iri if part else doc.iri),
        container_title=_pick(doc.labels or doc.titles, lang) if part else None,
        author=_pick(doc.creator_labels, lang),
        date=doc.date,
        place=_pick(doc.place_labels, lang),
        version_name=VERSION_NAMES.get(lang, lang),
        expression=doc.expressions.get(lang, (None, None))[0],
        release=release,
        number=part.number if part else None,
    )


def citations(doc: Document, release: str, iri: str | None = None, languages: Iterable[str] | None = None) -> list[Citation]:
    """Citations of the document and every clause and item (or only of ``iri``), one per language version."""
    langs = [lang for lang in (languages or doc.expressions) if lang in doc.expressions]
    subjects: list[Part | None] = [None, *doc.all_parts()]
    if iri is not None:
        subjects = [s for s in subjects if (s.iri if s else doc.iri) == iri]
    return [citation(doc, s, lang, release) for s in subjects for lang in langs]


# -- CSL-JSON ------------------------------------------------------------------------------


def csl_item(c: Citation) -> dict:
    item = {
        "id": c.key,
        "type": "document",
        "title": c.title,
        "language": c.language,
        "URL": c.iri,
        "note": c.note,
        "version": c.version_name,
        "source": f"scograph release {c.release}",
    }
    if c.container_title:
        item["container-title"] = c.container_title
    if c.author:
        item["author"] = [{"literal": c.author}]
    if c.date:
        item["issued"] = {"date-parts": [[int(x) for x in c.date.split("-")]]}
    if c.place:
        item["event-place"] = c.place
        item["publisher-place"] = c.place
    if c.number:
        item["number"] = c.number
    return item


def csl_json(cites: Iterable[Citation]) -> bytes:
    return (json.dumps([csl_item(c) for c in cites], ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


# -- BibTeX --------------------------------------------------------------------------------

_BIBTEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def _bib(text: str) -> str:
    return "".join(_BIBTEX_SPECIAL.get(ch, ch) for ch in text)


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def bibtex_entry(c: Citation) -> str:
    fields: list[tuple[str, str]] = [("title", "{" + _bib(c.title) + "}")]
    if c.author:
        fields.append(("author", "{" + _bib(c.author) + "}"))  # a corporate author: braced, not split into names
    if c.container_title:
        fields.append(("booktitle", _bib(c.container_title)))
    if c.date:
        year, month, _day = c.date.split("-")
        fields += [("year", year), ("month", _MONTHS[int(month) - 1]), ("date", c.date)]
    if c.place:
        fields.append(("address", _bib(c.place)))
    if c.number:
        fields.append(("number", _bib(c.number)))
    fields += [("language", LANGUAGE_NAMES.get(c.language, c.language)), ("url", c.iri), ("note", _bib(c.note))]
    body = ",\n".join(f"  {name} = {{{val}}}" for name, val in fields)
    return f"@misc{{{c.key},\n{body}\n}}\n"


def bibtex(cites: Iterable[Citation]) -> bytes:
    return "\n".join(bibtex_entry(c) for c in cites).encode("utf-8")


# -- RIS -----------------------------------------------------------------------------------


def ris_record(c: Citation) -> str:
    lines = [("TY", "GOVDOC"), ("ID", c.key), ("TI", c.title)]
    if c.container_title:
        lines.append(("T2", c.container_title))
    if c.author:
        lines.append(("AU", c.author))
    if c.date:
        lines += [("PY", c.date[:4]), ("DA", c.date.replace("-", "/"))]
    if c.place:
        lines.append(("CY", c.place))
    if c.number:
        lines.append(("SE", c.number))
    lines += [("LA", LANGUAGE_NAMES.get(c.language, c.language)), ("UR", c.iri), ("N1", c.note), ("ER", "")]
    # RIS is one tag a line; a value never spans lines.
    return "".join(f"{tag}  - {' '.join(val.split())}\r\n" for tag, val in lines)


def ris(cites: Iterable[Citation]) -> bytes:
    return "".join(ris_record(c) for c in cites).encode("utf-8")


#: Format name -> (media type, writer, file extension).
FORMATS = {
    "csl": ("application/vnd.citationstyles.csl+json", csl_json, "csl.json"),
    "bib": ("application/x-bibtex", bibtex, "bib"),
    "ris": ("application/x-research-info-systems", ris, "ris"),
}
