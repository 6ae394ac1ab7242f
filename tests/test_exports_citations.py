"""Citations (CSL-JSON, BibTeX, RIS) by content negotiation on a real ``scograph serve``, and in the release.

Each is parsed by a real reader (``json``, ``bibtexparser``, ``rispy``) and its
fields are checked against the graph, queried from the release's store.
"""

from __future__ import annotations

import json

import bibtexparser
import pytest
import requests
import rispy

from tests.processes import ScographServe

BASE = "https://w3id.org/scograph/"
DOC = BASE + "id/document/2024/green-development-initiative"
VERSION_NAMES = {"en": "English version", "zh": "中文本"}
LANGUAGE_NAMES = {"en": "English", "zh": "Chinese"}
TYPES = {
    "csl": "application/vnd.citationstyles.csl+json",
    "bib": "application/x-bibtex",
    "ris": "application/x-research-info-systems",
}


@pytest.fixture(scope="module")
def server(release, settings, tmp_path_factory):
    with ScographServe(settings.build_dir, tmp_path_factory.mktemp("serve-citations") / "serve.log") as srv:
        yield srv.url


@pytest.fixture(scope="module")
def graph_labels(store) -> dict[str, dict[str, str]]:
    """rdfs:label per language of the document and each of its parts (clauses and items), from the store."""
    rows = store.select(
        f"""SELECT ?s ?label WHERE {{ {{ BIND(<{DOC}> AS ?s) }} UNION {{ ?s <http://data.europa.eu/eli/ontology#is_part_of>+ <{DOC}> }}
  ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label }}"""
    )
    out: dict[str, dict[str, str]] = {}
    for r in rows:
        out.setdefault(str(r["s"]), {})[r["label"].language] = str(r["label"])
    return out


def _local(server: str, iri: str) -> str:
    return server + "/" + iri[len(BASE):]


def test_document_and_nineteen_parts_are_citable(graph_labels):
    assert len(graph_labels) == 1 + 15 + 4  # the Initiative, its clauses, clause 1's items


def _get(server: str, iri: str, fmt: str, **params) -> requests.Response:
    """Dereference the IRI as a client would: Accept on /id/..., follow the 303."""
    response = requests.get(_local(server, iri), headers={"Accept": TYPES[fmt]}, params=params, timeout=30, allow_redirects=False)
    assert response.status_code == 303, (iri, response.status_code)
    location = response.headers["Location"]
    assert location.startswith("/doc/"), location  # relative: no host in a redirect (scograph.web.origin)
    response = requests.get(server + location, headers={"Accept": TYPES[fmt]}, params=params, timeout=30)
    assert response.status_code == 200, (location, response.text)
    assert response.headers["Content-Type"].split(";")[0] == TYPES[fmt]
    return response


def test_bibtex_by_content_negotiation_matches_the_graph(server, graph_labels, store):
    for iri, labels in graph_labels.items():
        entries = bibtexparser.loads(_get(server, iri, "bib").text).entries
        assert [e["language"] for e in entries] == ["English", "Chinese"]
        for entry, lang in zip(entries, ("en", "zh")):
            assert entry["title"].strip("{}") == labels[lang]
            assert entry["url"] == iri
            assert entry["year"] == "2024" and entry["date"] == "2024-07-08"
            assert entry["note"] == f"{VERSION_NAMES[lang]}. scograph release {store.version}"
            if iri != DOC:
                assert entry["booktitle"] == graph_labels[DOC][lang]
            else:
                assert "booktitle" not in entry


def test_ris_by_content_negotiation_matches_the_graph(server, graph_labels, store):
    for iri, labels in graph_labels.items():
        records = rispy.loads(_get(server, iri, "ris").text)
        assert len(records) == 2
        for record, lang in zip(records, ("en", "zh")):
            assert record["type_of_reference"] == "GOVDOC"
            assert record["title"] == labels[lang]
            assert record["urls"] == [iri]
            assert record["language"] == LANGUAGE_NAMES[lang]
            assert record["notes"] == [f"{VERSION_NAMES[lang]}. scograph release {store.version}"]
            assert record["year"] == "2024"


def test_csl_json_by_content_negotiation_matches_the_graph(server, graph_labels):
    for iri, labels in graph_labels.items():
        items = json.loads(_get(server, iri, "csl").text)
        assert [(i["title"], i["language"], i["URL"]) for i in items] == [(labels["en"], "en", iri), (labels["zh"], "zh", iri)]
        assert all(i["issued"] == {"date-parts": [[2024, 7, 8]]} for i in items)
        assert [i["version"] for i in items] == ["English version", "中文本"]


def test_one_language_version_with_lang(server, graph_labels):
    iri = DOC + "/clause/op-3"
    response = _get(server, iri, "bib", lang="zh")
    entries = bibtexparser.loads(response.text).entries
    assert len(entries) == 1 and entries[0]["title"].strip("{}") == graph_labels[iri]["zh"]
    assert response.headers["Content-Language"] == "zh"
    bad = requests.get(_local(server, iri).replace("/id/", "/doc/") + ".bib", params={"lang": "fr"}, timeout=30)
    assert bad.status_code == 400 and "lang" in bad.text


def test_what_is_not_a_document_or_clause_has_no_citation(server):
    for fmt in TYPES:
        response = requests.get(server + "/id/state/chn", headers={"Accept": TYPES[fmt]}, timeout=30, allow_redirects=False)
        assert response.status_code == 406
    assert requests.get(server + "/doc/state/chn.bib", timeout=30).status_code == 406
    # A browser still gets the page, and RDF clients their RDF.
    page = requests.get(server + "/id/document/2024/green-development-initiative/clause/op-3", headers={"Accept": "text/html,*/*;q=0.8"}, timeout=30)
    assert page.headers["Content-Type"].startswith("text/html")


def test_cite_box_links_the_three_formats(server):
    page = requests.get(server + "/doc/document/2024/green-development-initiative/clause/op-3.html", timeout=30).text
    assert ". English version. scograph release" in page  # the citation text says which language version
    assert "For a reference manager (one reference per language version):" in page
    for fmt, media_type in TYPES.items():
        extension = {"csl": "csl.json"}.get(fmt, fmt)
        href = f"/doc/document/2024/green-development-initiative/clause/op-3.{extension}"  # relative (scograph.web.origin)
        assert f'href="{href}" type="{media_type}"' in page
        response = requests.get(server + href, timeout=30)
        assert response.headers["Content-Type"].split(";")[0] == media_type
        assert "Content-Language" not in response.headers  # both language versions, as the box says
    # In Chinese, the box says it all in Chinese, and its links still give every language version.
    zh = requests.get(server + "/doc/document/2024/green-development-initiative/clause/op-3.html?lang=zh", timeout=30).text
    assert "。中文本。scograph 发布版本" in zh and "供文献管理软件使用（每个语言版本一条文献）：" in zh
    assert "English version" not in zh and "For a reference manager" not in zh
    assert 'href="/doc/document/2024/green-development-initiative/clause/op-3.bib" type="application/x-bibtex"' in zh
    document_page = requests.get(server + "/doc/document/2024/green-development-initiative.html", timeout=30).text
    assert document_page.count("/clause/op-3.bib") == 1  # the clause's own cite box on the document page


def test_release_citation_files_hold_every_document_and_clause(release, graph_labels):
    bib = bibtexparser.loads((release.path / "scograph-citations.bib").read_text("utf-8")).entries
    ris = rispy.loads((release.path / "scograph-citations.ris").read_text("utf-8"))
    csl = json.loads((release.path / "scograph-citations.csl.json").read_text("utf-8"))
    expected = {(iri, lang) for iri in graph_labels for lang in ("en", "zh")}
    assert {(e["url"], {"English": "en", "Chinese": "zh"}[e["language"]]) for e in bib} == expected
    assert {(r["urls"][0], {"English": "en", "Chinese": "zh"}[r["language"]]) for r in ris} == expected
    assert {(i["URL"], i["language"]) for i in csl} == expected
    assert len({e["ID"] for e in bib}) == len(bib) == 40
