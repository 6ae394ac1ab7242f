"""Every sentence of the seed appears verbatim in the data, in its language."""

from __future__ import annotations

import re

import pytest
from rdflib import Literal

from tests.conftest import SEED

TEXT_QUERY = """
PREFIX scog: <https://w3id.org/scograph/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?text WHERE {
  { ?s scog:text ?text } UNION { ?s dcterms:title ?text }
}"""


def _split_seed() -> tuple[str, str]:
    text = SEED.read_text("utf-8")
    zh, en = text.split("Initiative to Co-Build", 1)
    return zh, "Initiative to Co-Build" + en


def _paragraphs(block: str) -> list[str]:
    """Blank-line separated paragraphs; the English operative clauses are one line each."""
    paragraphs = []
    for para in re.split(r"\n\s*\n", block):
        para = para.strip()
        if not para:
            continue
        if re.match(r"^1\. ", para) and "\n2. " in para:
            paragraphs.extend(line.strip() for line in para.splitlines())
        else:
            paragraphs.append(para)
    return paragraphs


def _sentences(paragraph: str, lang: str) -> list[str]:
    paragraph = re.sub(r"^\d+\. ", "", paragraph)  # list labels live in eli:number
    if lang == "zh":
        parts = re.split(r"(?<=。)", paragraph)
    else:
        parts = re.split(r"(?<=\.) (?=[A-Z])", paragraph)
    return [p.strip() for p in parts if p.strip()]


@pytest.fixture(scope="module")
def texts(store) -> dict[str, set[str]]:
    by_lang: dict[str, set[str]] = {"zh": set(), "en": set()}
    for row in store.select(TEXT_QUERY):
        literal = row["text"]
        assert isinstance(literal, Literal)
        if literal.language in by_lang:
            by_lang[literal.language].add(str(literal))
    return by_lang


def test_seed_is_where_the_tests_expect_it():
    assert SEED.is_file(), f"seed text missing at {SEED}"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_seed_sentence_is_in_the_data_verbatim(texts, lang):
    zh, en = _split_seed()
    block = zh if lang == "zh" else en
    corpus = "\n\u0000\n".join(texts[lang])
    missing = [
        sentence
        for paragraph in _paragraphs(block)
        for sentence in _sentences(paragraph, lang)
        if sentence not in corpus
    ]
    assert not missing, f"{len(missing)} {lang} sentence(s) not found verbatim: {missing[:3]}"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_each_paragraph_is_exactly_one_clause_text(texts, lang):
    """Whole paragraphs (trimmed, list label removed) equal a clause text exactly."""
    zh, en = _split_seed()
    paragraphs = _paragraphs(zh if lang == "zh" else en)[1:]  # [0] is the title
    assert len(paragraphs) == 15
    for paragraph in paragraphs:
        assert re.sub(r"^\d+\. ", "", paragraph) in texts[lang], paragraph[:40]


def test_each_clause_has_one_zh_and_one_en_text(store):
    rows = store.select(
        """PREFIX scog: <https://w3id.org/scograph/ontology#>
        SELECT ?clause (COUNT(?zh) AS ?nzh) (COUNT(?en) AS ?nen) WHERE {
          ?clause a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* scog:Clause .
          OPTIONAL { ?clause scog:text ?zh FILTER (LANG(?zh) = "zh") }
          OPTIONAL { ?clause scog:text ?en FILTER (LANG(?en) = "en") }
        } GROUP BY ?clause"""
    )
    assert len(rows) == 15
    assert all(int(r["nzh"]) == 1 and int(r["nen"]) == 1 for r in rows)


def test_title_is_verbatim_in_both_languages(texts):
    zh, en = _split_seed()
    assert _paragraphs(zh)[0] in texts["zh"]
    assert _paragraphs(en)[0] in texts["en"]
