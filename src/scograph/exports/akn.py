"""Akoma Ntoso 3.0 (OASIS LegalDocML) files of each document: one per language version, one with both.

The Initiative is a ``statement``: ``preface`` (its title), ``preamble`` (the
opening paragraph, the recitals, the chapeau as a formula), ``mainBody`` (the
numbered operative paragraphs; clause items and enumerated forms of
cooperation as a ``blockList``), ``conclusions`` (commitment, closing
reaffirmation, signature block). ``references`` lists, as TLC elements, what
the clauses' text names; each clause element points at them with ``refersTo``,
and where a referent's label occurs in the text it is wrapped in an inline
element (``<person refersTo="#person-xi-jinping">Xi Jinping</person>``).

Every element's ``eId`` is computed from the clause IRI (:func:`eid`) and back
(:func:`clause_key`), and the text of each element is the clause's
``scog:text`` exactly: separators between list items stay in the item they
follow, so an element's text content is the clause text. IRIs follow the AKN
Naming Convention's FRBR pattern as AKN4UN applies it (``docs/uri-policy.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from scograph.exports.akn_ids import (  # noqa: F401  (re-exported: the identifiers belong with the format)
    MULTILINGUAL,
    AknIris,
    akn_iris,
    clause_key,
    eid,
    file_name,
    key_from_eid,
)
from scograph.exports.akn_ids import subtype as _subtype
from scograph.exports.akn_ids import tlc_eid as _tlc_eid
from scograph.exports.model import Document, Part, Referent

AKN_NS = "http://docs.oasis-open.org/legaldocml/ns/akn/3.0"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_A = "{%s}" % AKN_NS

#: Where each kind of clause goes, by its scograph class.
PREAMBLE_TYPES = {"OpeningParagraph", "PreambularClause", "Chapeau"}
CONCLUSION_TYPES = {"Commitment", "ClosingParagraph", "SignatureBlock"}

#: TLC element for what a clause names, by the kind segment of its IRI (``.../id/person/...``).
TLC_BY_KIND = {
    "organization": "TLCOrganization",
    "state": "TLCOrganization",
    "person": "TLCPerson",
    "place": "TLCLocation",
    "event": "TLCEvent",
    "concept": "TLCConcept",
    "concept-scheme": "TLCConcept",
    "mechanism": "TLCObject",
    "instrument": "TLCReference",
    "document": "TLCReference",
}

# -- text segmentation ------------------------------------------------------------------------


@dataclass(frozen=True)
class ListSegments:
    intro: str
    items: tuple[str, ...]  # each item's text with the separator that follows it
    wrap_up: str


def _segments(text: str, pieces: list[str]) -> ListSegments | None:
    """Cut ``text`` at ``pieces`` (found in order, case-insensitively); ``None`` if one is missing."""
    lowered = text.lower()
    starts, position = [], 0
    for piece in pieces:
        found = lowered.find(piece.lower(), position)
        if found < 0 or not piece:
            return None
        starts.append(found)
        position = found + len(piece)
    items = [text[a:b] for a, b in zip(starts, starts[1:])] + [text[starts[-1] : position]]
    return ListSegments(text[: starts[0]], tuple(items), text[position:])


def list_of(doc: Document, part: Part, lang: str) -> tuple[ListSegments, list[Part | str]] | None:
    """The list a clause's text holds: its item parts (clause 1) or what it enumerates (clause 6)."""
    text = part.texts.get(lang)
    if not text:
        return None
    if part.children and all(lang in c.texts for c in part.children):
        segments = _segments(text, [c.texts[lang] for c in part.children])
        return (segments, list(part.children)) if segments else None
    if part.enumerates and part.type_name() == "OperativeClause":
        labels = [doc.referents[i].labels.get(lang, "") if i in doc.referents else "" for i in part.enumerates]
        found = sorted((text.lower().find(label.lower()), label, iri) for label, iri in zip(labels, part.enumerates) if label)
        if len(found) != len(labels) or found[0][0] < 0:
            return None
        segments = _segments(text, [label for _, label, _ in found])
        return (segments, [iri for _, _, iri in found]) if segments else None
    return None


# -- writing ----------------------------------------------------------------------------------


def _el(parent, tag: str, attrs: dict[str, str] | None = None, text: str | None = None):
    element = etree.SubElement(parent, _A + tag, attrs or {})
    if text is not None:
        element.text = text
    return element


def _refers_to(doc: Document, part: Part) -> dict[str, str]:
    refs = [r for r in part.references if r in doc.referents]
    return {"refersTo": " ".join("#" + _tlc_eid(r) for r in refs)} if refs else {}


def _text_blocks(parent, doc: Document, part: Part, langs: list[tuple[str, str]], element_id: str, mixed: list) -> None:
    """The clause's text under ``parent``: one ``<p>`` per language, or a ``blockList`` when it holds a list."""
    lists = {lang: list_of(doc, part, lang) for lang, _ in langs}
    marks = _Marks(element_id, mixed)
    if all(lists.values()):
        block = _el(parent, "blockList", {"eId": f"{element_id}__list_1"})
        first = next(iter(lists.values()))
        intro_langs = [(lang, code) for lang, code in langs if lists[lang][0].intro]
        if intro_langs:
            intro = _el(block, "listIntroduction")
            _inline_texts(intro, [(code, lists[lang][0].intro) for lang, code in intro_langs], len(langs) > 1)
        for index in range(len(first[0].items)):
            item_part = first[1][index]
            attrs = {"eId": f"{element_id}__list_1__item_{index + 1}"}
            if isinstance(item_part, Part):
                attrs.update(_refers_to(doc, item_part))
            elif item_part in doc.referents:  # an enumerated concept
                attrs["refersTo"] = "#" + _tlc_eid(item_part)
            item = _el(block, "item", attrs)
            for lang, code in langs:
                _marked_p(item, {XML_LANG: code} if len(langs) > 1 else {}, lists[lang][0].items[index], doc, part, lang, marks)
        wrap_langs = [(lang, code) for lang, code in langs if lists[lang][0].wrap_up]
        if wrap_langs:
            wrap = _el(block, "listWrapUp")
            _inline_texts(wrap, [(code, lists[lang][0].wrap_up) for lang, code in wrap_langs], len(langs) > 1)
        return
    for lang, code in langs:
        _marked_p(parent, {XML_LANG: code} if len(langs) > 1 else {}, part.texts[lang], doc, part, lang, marks)


#: Inline element marking a mention in the text, by the kind segment of the referent's IRI.
INLINE_BY_KIND = {
    "organization": "organization",
    "state": "organization",
    "person": "person",
    "place": "location",
    "event": "event",
    "concept": "concept",
    "concept-scheme": "concept",
    "mechanism": "object",
}


class _Marks:
    """Numbers the inline mentions of one clause element (``para_3__organization_1``...)."""

    def __init__(self, element_id: str, mixed: list) -> None:
        self.element_id = element_id
        self.counts: dict[str, int] = {}
        #: (element, text or tail, value) of mixed content, restored after indentation touches it.
        self.mixed = mixed

    def next_eid(self, tag: str) -> str:
        self.counts[tag] = self.counts.get(tag, 0) + 1
        return f"{self.element_id}__{tag}_{self.counts[tag]}"


def _mentions(text: str, doc: Document, part: Part, lang: str) -> list[tuple[int, int, str, str]]:
    """(start, end, inline tag, referent IRI): the first place each referent's label occurs, longest first, no overlaps.

    Labels are matched case-insensitively ("Climate change" in "...including climate change"); the
    text inside the element is the clause's own.
    """
    lowered = text.lower()
    candidates = []
    for iri in part.references:
        referent = doc.referents.get(iri)
        tag = INLINE_BY_KIND.get(iri.split("/id/", 1)[-1].split("/", 1)[0])
        label = referent.labels.get(lang) if referent else None
        if tag and label and label.lower() in lowered:
            candidates.append((label.lower(), tag, iri))
    taken: list[tuple[int, int, str, str]] = []
    for label, tag, iri in sorted(candidates, key=lambda c: (-len(c[0]), c[2])):
        start = lowered.find(label)
        while start >= 0 and any(start < e and start + len(label) > b for b, e, _t, _i in taken):
            start = lowered.find(label, start + 1)
        if start >= 0:
            taken.append((start, start + len(label), tag, iri))
    return sorted(taken)


def _marked_p(parent, attrs: dict[str, str], text: str, doc: Document, part: Part, lang: str, marks: _Marks) -> None:
    """A ``<p>`` holding ``text`` exactly, with each mention it names wrapped in its inline element."""
    p = _el(parent, "p", attrs)
    position, last = 0, None
    for start, end, tag, iri in _mentions(text, doc, part, lang):
        before = text[position:start]
        if last is None:
            p.text = before
        else:
            last.tail = before
        last = _el(p, tag, {"eId": marks.next_eid(tag), "refersTo": "#" + _tlc_eid(iri)}, text[start:end])
        position = end
    if last is None:
        p.text = text
    else:
        last.tail = text[position:]
        marks.mixed.append((p, "text", p.text))
        marks.mixed += [(child, "tail", child.tail) for child in p]


def _inline_texts(parent, texts: list[tuple[str, str]], tagged: bool) -> None:
    if not tagged:
        parent.text = texts[0][1]
        return
    for code, text in texts:
        _el(parent, "span", {XML_LANG: code}, text)


def _frbr(meta, doc: Document, iris: AknIris, code: str, languages: list[str]) -> None:
    identification = _el(meta, "identification", {"source": "#scograph"})
    author = "#" + _tlc_eid(doc.creator) if doc.creator else "#scograph"
    date = doc.date or "1970-01-01"
    work = _el(identification, "FRBRWork")
    _el(work, "FRBRthis", {"value": iris.work + "/!main"})
    _el(work, "FRBRuri", {"value": iris.work})
    _el(work, "FRBRalias", {"value": doc.iri, "name": "scograph"})
    _el(work, "FRBRdate", {"date": date, "name": "adoption"})
    _el(work, "FRBRauthor", {"href": author})
    _el(work, "FRBRcountry", {"value": "sco"})
    _el(work, "FRBRsubtype", {"value": _subtype(doc)})
    _el(work, "FRBRnumber", {"value": doc.slug})
    for lang, title in doc.titles.items():
        _el(work, "FRBRname", {"value": title, XML_LANG: doc.expressions.get(lang, (None, lang))[1]})
    expression = _el(identification, "FRBRExpression")
    _el(expression, "FRBRthis", {"value": iris.expression(code) + "/!main"})
    _el(expression, "FRBRuri", {"value": iris.expression(code)})
    if code != MULTILINGUAL:
        lang = next(lang for lang, (_iri, c) in doc.expressions.items() if c == code)
        _el(expression, "FRBRalias", {"value": doc.expressions[lang][0], "name": "scograph"})
    _el(expression, "FRBRdate", {"date": date, "name": "adoption"})
    _el(expression, "FRBRauthor", {"href": author})
    for language in languages:
        _el(expression, "FRBRlanguage", {"language": language})
    manifestation = _el(identification, "FRBRManifestation")
    _el(manifestation, "FRBRthis", {"value": iris.manifestation(code)})
    _el(manifestation, "FRBRuri", {"value": iris.manifestation(code)})
    _el(manifestation, "FRBRdate", {"date": date, "name": "adoption"})
    _el(manifestation, "FRBRauthor", {"href": "#scograph"})


def _references(meta, doc: Document) -> None:
    references = _el(meta, "references", {"source": "#scograph"})
    _el(references, "TLCOrganization", {"eId": "scograph", "href": "https://w3id.org/scograph/", "showAs": "scograph"})
    by_tag: dict[str, list[Referent]] = {}
    wanted = set(doc.referents)
    if doc.creator:
        wanted.add(doc.creator)
    for iri in sorted(wanted):
        referent = doc.referents.get(iri) or Referent(iri, (), doc.creator_labels)
        kind = iri.split("/id/", 1)[-1].split("/", 1)[0]
        by_tag.setdefault(TLC_BY_KIND.get(kind, "TLCObject"), []).append(referent)
    # The schema wants TLC elements after any other reference kind; keep one fixed order.
    for tag in ("TLCPerson", "TLCOrganization", "TLCConcept", "TLCObject", "TLCEvent", "TLCLocation", "TLCReference"):
        for referent in by_tag.get(tag, []):
            attrs = {"eId": _tlc_eid(referent.iri), "href": referent.iri, "showAs": referent.labels.get("en") or next(iter(referent.labels.values()), referent.iri)}
            if tag == "TLCReference":
                attrs["name"] = "cited"
            _el(references, tag, attrs)


def akn_document(doc: Document, base: str, langs: list[str]) -> bytes:
    """The Akoma Ntoso XML of ``doc`` in the language versions ``langs`` (``["zh"]``, or ``["zh", "en"]``)."""
    pairs = [(lang, doc.expressions[lang][1]) for lang in langs]
    code = pairs[0][1] if len(pairs) == 1 else MULTILINGUAL
    iris = akn_iris(doc, base)
    root = etree.Element(_A + "akomaNtoso", nsmap={None: AKN_NS})
    statement = _el(root, "statement", {"name": _subtype(doc), "contains": "originalVersion"})
    meta = _el(statement, "meta")
    _frbr(meta, doc, iris, code, [c for _, c in pairs])
    _references(meta, doc)

    preface = _el(statement, "preface")
    long_title = _el(preface, "longTitle", {"eId": "longTitle"})
    title_p = _el(long_title, "p")
    for lang, c in pairs:
        _el(title_p, "docTitle", {XML_LANG: c} if len(pairs) > 1 else {}, doc.titles.get(lang, ""))

    mixed: list = []
    preamble = _el(statement, "preamble")
    main_body = None
    conclusions = None
    recitals = None
    for part in doc.parts:
        kind = part.type_name()
        element_id = eid(clause_key(doc, part), kind)
        refs = _refers_to(doc, part)
        if kind in PREAMBLE_TYPES:
            if kind == "PreambularClause":
                if recitals is None:
                    recitals = _el(preamble, "recitals", {"eId": "recitals"})
                holder = _el(recitals, "recital", {"eId": element_id, **refs})
            elif kind == "Chapeau":
                holder = _el(preamble, "formula", {"eId": element_id, "name": "chapeau", **refs})
            else:
                holder = _el(preamble, "container", {"eId": element_id, "name": clause_key(doc, part), **refs})
            _text_blocks(holder, doc, part, pairs, element_id, mixed)
        elif kind in CONCLUSION_TYPES:
            if conclusions is None:
                conclusions = etree.Element(_A + "conclusions")
            holder = _el(conclusions, "container", {"eId": element_id, "name": clause_key(doc, part), **refs})
            _text_blocks(holder, doc, part, pairs, element_id, mixed)
        else:
            if main_body is None:
                main_body = _el(statement, "mainBody")
            if part.number is not None:
                paragraph = _el(main_body, "paragraph", {"eId": element_id, **refs})
                _el(paragraph, "num", None, f"{part.number}.")
                content = _el(paragraph, "content")
            else:
                content = _el(main_body, "container", {"eId": element_id, "name": clause_key(doc, part), **refs})
            _text_blocks(content, doc, part, pairs, element_id, mixed)
    if main_body is None:
        main_body = _el(statement, "mainBody")
    if conclusions is not None:
        statement.append(conclusions)
    if len(preamble) == 0:
        statement.remove(preamble)
    etree.indent(root, space="  ")
    for element, attribute, original in mixed:  # indentation must not enter a clause's text
        setattr(element, attribute, original)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8") + b"\n"


def element_links(doc: Document, base: str) -> list[tuple[str, str, str]]:
    """(clause IRI, language tag, AKN portion IRI) for every clause and item in every language version."""
    iris = akn_iris(doc, base)
    return [
        (part.iri, lang, iris.portion(code, eid(clause_key(doc, part), part.type_name())))
        for part in doc.all_parts()
        for lang, (_expr, code) in doc.expressions.items()
        if lang in part.texts
    ]
