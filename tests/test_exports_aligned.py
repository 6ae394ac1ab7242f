"""Clause-aligned bilingual text (TMX, CSV, JSON Lines): read by real readers, texts equal the graph's.

The expected texts come from the release's own store by SPARQL, not from the
export code, so a wrong, missing or reordered clause fails here.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json

import pytest
import rdflib
from translate.storage import tmx

DOC = "https://w3id.org/scograph/id/document/2024/green-development-initiative"
FILES = ("scograph-aligned.tmx", "scograph-aligned.csv", "scograph-aligned.jsonl")


@pytest.fixture(scope="module")
def clauses(store) -> list[tuple[str, str, str]]:
    """(clause IRI, zh text, en text) of every clause of the Initiative, in document order, from the store."""
    rows = store.select(
        f"""PREFIX eli: <http://data.europa.eu/eli/ontology#> PREFIX scog: <https://w3id.org/scograph/ontology#>
SELECT ?c ?zh ?en WHERE {{ GRAPH <https://w3id.org/scograph/graph/data> {{
  ?c eli:is_part_of <{DOC}> ; scog:position ?pos ; scog:text ?zh , ?en .
  FILTER(LANG(?zh) = "zh" && LANG(?en) = "en") }} }} ORDER BY ?pos"""
    )
    return [(str(r["c"]), str(r["zh"]), str(r["en"])) for r in rows]


def test_the_initiative_has_fifteen_clauses(clauses):
    assert len(clauses) == 15


def test_tmx_is_read_by_translate_toolkit_as_fifteen_aligned_units(release, clauses):
    store = tmx.tmxfile.parsefile(str(release.path / "scograph-aligned.tmx"))
    units = store.units
    assert len(units) == 15
    assert store.sourcelanguage == "zh"
    assert [(u.getid(), u.source, u.target) for u in units] == clauses
    for unit in units:
        languages = [tuv.get("{http://www.w3.org/XML/1998/namespace}lang") for tuv in unit.xmlelement.iter("tuv")]
        assert languages == ["zh", "en"]


def test_csv_texts_equal_the_graph(release, clauses):
    text = (release.path / "scograph-aligned.csv").read_bytes().decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [(r["clause"], r["zh"], r["en"]) for r in rows] == clauses
    assert {r["document"] for r in rows} == {DOC}
    # The signature block's line breaks survive CSV quoting.
    assert "\n" in rows[-1]["en"]


def test_jsonl_texts_equal_the_graph(release, clauses):
    lines = (release.path / "scograph-aligned.jsonl").read_text("utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [(r["clause"], r["zh"], r["en"]) for r in records] == clauses
    assert [r["position"] for r in records] == list(range(1, 16))
    assert "上海合作组织" in lines[-1]  # characters, not \\u escapes


@pytest.mark.parametrize("name", FILES)
def test_aligned_files_are_in_the_manifest_sums_and_void(release, name):
    listed = release.file(name)
    assert listed is not None
    data = (release.path / name).read_bytes()
    assert listed.sha256 == hashlib.sha256(data).hexdigest() and listed.bytes == len(data)
    assert f"{listed.sha256}  {name}" in (release.path / "SHA256SUMS").read_text().splitlines()

    void = rdflib.Graph().parse(release.path / "void.ttl", format="turtle")
    dcat = rdflib.Namespace("http://www.w3.org/ns/dcat#")
    spdx = rdflib.Namespace("http://spdx.org/rdf/terms#")
    dist = rdflib.URIRef(f"https://w3id.org/scograph/dataset/distribution/{name}")
    assert (rdflib.URIRef("https://w3id.org/scograph/dataset"), dcat.distribution, dist) in void
    assert void.value(dist, dcat.downloadURL) == rdflib.URIRef(f"https://w3id.org/scograph/download/{name}")
    assert int(void.value(dist, dcat.byteSize)) == len(data)
    checksum = void.value(dist, spdx.checksum)
    assert str(void.value(checksum, spdx.checksumValue)) == listed.sha256


def test_aligned_files_are_served_from_the_downloads_page(store):
    from scograph.web.app import create_app

    client = create_app(store).test_client()
    page = client.get("/downloads").get_data(as_text=True)
    for name in FILES:
        assert name in page
        response = client.get(f"/download/{name}")
        assert response.status_code == 200
    assert client.get("/download/scograph-aligned.csv").headers["Content-Type"].startswith("text/csv")
