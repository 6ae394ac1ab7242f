"""Full-text search: the release's index, ``GET /search`` in the Flask app, and a real ``scograph serve``.

Expected hits are computed from the release's own store with SPARQL (which
literals contain the query), never written down by hand.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from scograph.publish import publish
from scograph.search.highlight import MARK_START
from scograph.search.index import SearchIndex
from scograph.search.indexer import SEARCH_INDEX, write_index
from scograph.web.app import create_app
from tests.processes import free_port, stop, wait_until_ready
from tests.triplestores import oxigraph_server

BASE = "https://w3id.org/scograph/"
DOC = BASE + "id/document/2024/green-development-initiative"
JSON = {"Accept": "application/json"}
SERVER_START_SECONDS = 60


@pytest.fixture(scope="module")
def index(release) -> SearchIndex:
    idx = SearchIndex(release.search_index_path)
    yield idx
    idx.close()


@pytest.fixture(scope="module")
def client(store):
    return create_app(store).test_client()


def containing(store, text: str) -> set[str]:
    """Clauses and documents whose Chinese text or title contains ``text``, straight from SPARQL."""
    rows = store.select(
        f"""SELECT DISTINCT ?s WHERE {{
  GRAPH <{BASE}graph/data> {{
    ?s ?p ?o . FILTER(isIRI(?s) && isLiteral(?o) && lang(?o) = "zh" && CONTAINS(STR(?o), "{text}"))
    {{ ?s <http://data.europa.eu/eli/ontology#is_part_of>+ <{DOC}> }} UNION {{ VALUES ?s {{ <{DOC}> }} }}
  }} }}"""
    )
    return {str(r["s"]) for r in rows}


def search_ids(index: SearchIndex, query: str, **kw) -> list[str]:
    result = index.search(query, per_page=100, **kw)
    assert result.total == len(result.hits), "raise per_page: the test wants every hit"
    return [h.iri for h in result.hits]


# -- the index in the release ------------------------------------------------------------------


def test_release_lists_the_index_in_its_manifest_with_its_checksum(release):
    entry = release.manifest["search"]
    path = release.path / entry["file"]
    assert entry["file"] == SEARCH_INDEX and path.is_file()
    assert entry["bytes"] == path.stat().st_size
    assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert entry["segmenter"] == "cjk-bigram" and entry["resources"] > 100


def test_index_is_deterministic(release, tmp_path):
    import pyoxigraph as ox

    store = ox.Store.read_only(str(release.store_path))
    write_index(store, tmp_path / "a.sqlite", release.base_iri)
    write_index(store, tmp_path / "b.sqlite", release.base_iri)
    assert (tmp_path / "a.sqlite").read_bytes() == (tmp_path / "b.sqlite").read_bytes()
    assert (tmp_path / "a.sqlite").read_bytes() == release.search_index_path.read_bytes()


def test_served_index_is_read_only(index):
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        index.db.execute("DELETE FROM resources")


@pytest.mark.parametrize("query", ["绿色", "生物多样性", "废弃物", "上合组织", "发展"])
def test_chinese_query_finds_every_paragraph_and_title_that_contains_it(index, store, query):
    expected = containing(store, query)
    assert expected, f"the data has no paragraph with {query}"
    found = set(search_ids(index, query, kinds=["clause", "document"]))
    assert found == expected


def test_green_finds_eight_clauses_and_the_title(index):
    clauses = search_ids(index, "绿色", kinds=["clause"])
    assert len(clauses) == 8
    assert DOC in search_ids(index, "绿色", kinds=["document"])


def test_chinese_hits_are_highlighted_in_the_original_text(index):
    hit = index.search("生物多样性", kinds=["clause"]).hits[0]
    assert f"{MARK_START}生物多样性\ue001" in hit.snippet_marked


def test_english_stemming_phrases_and_prefixes(index, store):
    op4 = DOC + "/clause/op-4"
    assert op4 in search_ids(index, "wastes")  # the text says "waste"
    phrase = set(search_ids(index, '"green development"', kinds=["clause"]))
    loose = set(search_ids(index, "development green", kinds=["clause"]))
    assert phrase and phrase <= loose
    # The phrase finds exactly the clauses whose English text has the two words in a row.
    rows = store.select(
        f"""SELECT DISTINCT ?s WHERE {{ GRAPH <{BASE}graph/data> {{ ?s <{BASE}ontology#text> ?t ; <http://data.europa.eu/eli/ontology#is_part_of>+ <{DOC}>
        FILTER(lang(?t) = "en" && REGEX(?t, "green\\\\s+development", "i")) }} }}"""
    )
    assert phrase == {str(r["s"]) for r in rows}
    assert set(search_ids(index, "biodiv*")) >= set(search_ids(index, "biodiversity"))
    assert not search_ids(index, "biodiv")  # without the star it is a (missing) word


def test_language_filter(index):
    assert search_ids(index, "绿色", lang="en") == []
    assert set(search_ids(index, "green", lang="en", kinds=["clause"])) and search_ids(index, "green", lang="zh") == []


def test_misspelling_falls_back_to_a_close_name(index):
    result = index.search("biodiversty")
    assert result.mode == "fuzzy" and result.suggestion.lower() == "biodiversity"
    assert BASE + "id/concept/topic/biodiversity" in [h.iri for h in result.hits]


# -- GET /search in the app ------------------------------------------------------------------------


def test_json_hits_have_id_labels_kind_snippet_and_score(client):
    r = client.get("/search?q=绿色&kind=clause", headers=JSON)
    assert r.status_code == 200 and r.mimetype == "application/json"
    body = r.get_json()
    assert body["total"] == 8 and len(body["hits"]) == 8
    for hit in body["hits"]:
        assert hit["id"].startswith(DOC + "/clause/") and hit["kind"] == "clause"
        assert hit["labels"]["en"] and hit["labels"]["zh"]
        assert "<mark>绿色</mark>" in hit["snippet"] and isinstance(hit["score"], float)
        assert hit["url"].startswith(BASE + "doc/document/2024/green-development-initiative#")  # absolute: the public URL
    scores = [h["score"] for h in body["hits"]]
    assert scores == sorted(scores, reverse=True)


def test_clause_hit_lands_on_its_anchor_in_the_document_page(client):
    hit = next(h for h in client.get("/search?q=废弃物&kind=clause", headers=JSON).get_json()["hits"])
    page, anchor = hit["url"].split("#")
    html = client.get(page.replace(BASE, "/"), headers={"Accept": "text/html"}).get_data(as_text=True)
    assert f'id="{anchor}"' in html


def test_html_results_have_kind_label_highlight_and_link(client):
    r = client.get("/search?q=wastes", headers={"Accept": "text/html"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and r.mimetype == "text/html"
    assert '<span class="kind">clause</span>' in html and "<mark>waste</mark>" in html
    assert 'href="/doc/document/2024/green-development-initiative#op-4"' in html  # links are relative


def test_lang_is_the_interface_language_and_text_filters_the_matches(client):
    """``lang`` chooses the interface (as on every page, and the search forms carry it); ``text`` filters."""
    zh = client.get("/search?q=wastes&lang=zh", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert '<html lang="zh">' in zh and "<mark>waste</mark>" in zh  # English matches on a Chinese page
    assert '<input type="hidden" name="lang" value="zh">' in zh and '<select name="text"' in zh
    assert 'href="/doc/document/2024/green-development-initiative?lang=zh#op-4"' in zh
    assert search_ids_json(client, "q=wastes&text=zh") == [] and search_ids_json(client, "q=wastes&text=en")
    assert search_ids_json(client, "q=wastes&lang=zh") == search_ids_json(client, "q=wastes")


def search_ids_json(client, params: str) -> list[str]:
    return [h["id"] for h in client.get("/search?" + params, headers=JSON).get_json()["hits"]]


def test_paging(client):
    first = client.get("/search?q=green&per_page=3", headers=JSON).get_json()
    second = client.get("/search?q=green&per_page=3&page=2", headers=JSON).get_json()
    assert first["total"] == second["total"] > 6
    assert len(first["hits"]) == 3 and len(second["hits"]) == 3
    assert not {h["id"] for h in first["hits"]} & {h["id"] for h in second["hits"]}
    assert first["next"].endswith("page=2&per_page=3") and first["previous"] is None
    beyond = client.get("/search?q=green&per_page=100&page=2", headers=JSON).get_json()
    assert beyond["hits"] == [] and beyond["total"] == first["total"]


@pytest.mark.parametrize(
    "params, names",
    [
        ("q=x&page=0", "page"),
        ("q=x&page=abc", "page"),
        ("q=x&page=101", "page"),
        ("q=x&per_page=1000", "per_page"),
        ("q=x&kind=planet", "kind"),
        ("q=x&text=fr", "text"),
        ("q=" + "a" * 401, "q"),
        ("q=" + "绿" * 10_000, "q"),
        ("q=", "q"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(client, params, names):
    r = client.get("/search?" + params, headers=JSON)
    assert r.status_code == 400
    assert f"The {names} parameter" in r.get_json()["message"] or f"kind {params.split('=')[-1]!r}" in r.get_json()["message"]


@pytest.mark.parametrize(
    "query",
    [
        '"', '""', '"unbalanced', 'green"', "NEAR(green development, 2)", "green NEAR development", "*", "**", "green*",
        "*green", "label:green", "{label body}: green", "body : 绿色", "^green", "green AND", "OR", "NOT green",
        "(green", "green)", "-green", "+", "'; DROP TABLE resources; --", "\x00", "\ue000mark\ue001", "绿色 AND NOT",
        "a" * 400, "绿色" * 200, " ".join(["green"] * 66),
    ],
)
def test_fts5_syntax_in_user_input_never_errors(client, query):
    r = client.get("/search", query_string={"q": query}, headers=JSON)
    assert r.status_code == 200, r.get_data(as_text=True)
    html = client.get("/search", query_string={"q": query}, headers={"Accept": "text/html"})
    assert html.status_code == 200


def test_ten_kilobytes_of_input_is_refused_not_parsed(client):
    r = client.get("/search", query_string={"q": '"NEAR(' * 2000}, headers=JSON)
    assert r.status_code == 400 and "at most 400" in r.get_json()["message"]


def test_every_page_has_the_search_box(client):
    for url in ["/", "/doc/document/2024/green-development-initiative", "/doc/state/chn", "/browse", "/downloads", "/search",
                "/sparql", "/ontology", "/doc/state/atlantis"]:
        html = client.get(url, headers={"Accept": "text/html"}).get_data(as_text=True)
        assert 'action="/search"' in html and 'name="q"' in html, url


def test_app_without_an_index_answers_503_with_a_reason(store, tmp_path):
    app = create_app(store, search_index=tmp_path / "missing.sqlite")
    r = app.test_client().get("/search?q=x", headers=JSON)
    assert r.status_code == 503 and "no search index" in r.get_json()["message"]


# -- real servers ------------------------------------------------------------------------------------


def _serve(settings, log: Path, *extra: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [str(Path(sys.executable).with_name("scograph")), "serve", "--build-dir", str(settings.build_dir),
               "--host", "127.0.0.1", "--port", str(port), "--workers", "1", *extra]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    return process, f"http://127.0.0.1:{port}"


def test_real_serve_answers_search(release, settings, tmp_path):
    process, url = _serve(settings, tmp_path / "serve.log")
    try:
        wait_until_ready(url + "/robots.txt", process, seconds=SERVER_START_SECONDS, log=tmp_path / "serve.log")
        body = requests.get(url + "/search", params={"q": "绿色", "kind": "clause"}, headers=JSON, timeout=30).json()
        assert body["total"] == 8 and all(h["url"].startswith(url + "/doc/") for h in body["hits"])
        assert requests.get(url + "/search", params={"q": 'NEAR("'}, headers=JSON, timeout=30).status_code == 200
        html = requests.get(url + "/search", params={"q": "生物多样性"}, headers={"Accept": "text/html"}, timeout=30).text
        assert "<mark>生物多样性</mark>" in html
    finally:
        stop(process)


def test_serve_with_a_remote_store_searches_the_local_release_index(release, settings, tmp_path):
    (tmp_path / "oxigraph").mkdir()
    with oxigraph_server(tmp_path / "oxigraph") as running:
        publish(release, running.target, grace=0)
        process, url = _serve(settings, tmp_path / "serve-remote.log", "--store", running.query_url)
        try:
            wait_until_ready(url + "/robots.txt", process, seconds=SERVER_START_SECONDS, log=tmp_path / "serve-remote.log")
            body = requests.get(url + "/search", params={"q": "废弃物"}, headers=JSON, timeout=30).json()
            assert DOC + "/clause/op-4" in [h["id"] for h in body["hits"]]
            # The page the hit links to is answered from the remote store.
            page = requests.get(body["hits"][0]["url"].split("#")[0], headers={"Accept": "text/html"}, timeout=30)
            assert page.status_code == 200
        finally:
            stop(process)


def test_judged_queries_name_real_resources_and_keep_their_recall(index, capsys):
    """The judged set of benchmarks/search_judged.json: every IRI exists; mean recall stays high."""
    import json

    from tests.conftest import REPO

    judged = json.loads((REPO / "benchmarks" / "search_judged.json").read_text("utf-8"))
    known = {iri for (iri,) in index.db.execute("SELECT iri FROM resources")}

    def resolve(path: str) -> str:
        if path.startswith("#"):
            return f"{BASE}id/{judged['document']}/clause/{path[1:]}"
        return path if path.startswith("http") else BASE + "id/" + path

    recalls = []
    for q in judged["queries"]:
        relevant = {resolve(p) for p in q["relevant"]}
        assert relevant <= known, (q["q"], relevant - known)
        found = {h.iri for h in index.search(q["q"], per_page=100).hits}
        recalls.append(len(relevant & found) / len(relevant))
    assert len(recalls) >= 40
    mean = sum(recalls) / len(recalls)
    with capsys.disabled():
        print(f"\njudged queries: mean recall {mean:.3f} over {len(recalls)} queries")
    assert mean >= 0.95


def test_a_release_built_before_search_is_rebuilt_with_its_index(tmp_path):
    import json

    from scograph.build import build
    from scograph.config import Settings
    from tests.conftest import REPO

    settings = Settings(source_root=REPO, build_dir=tmp_path / "build")
    first = build(settings)
    manifest = json.loads((first.path / "manifest.json").read_text("utf-8"))
    del manifest["search"]
    (first.path / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    (first.path / SEARCH_INDEX).unlink()
    again = build(settings)
    assert again.version == first.version and again.search_index_path.is_file()


def test_search_benchmark_still_runs(tmp_path):
    """benchmarks/search_bench.py at its smallest size: every section of the committed report is produced."""
    import json

    from tests.conftest import REPO

    report, results = tmp_path / "report.md", tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "search_bench.py"), "--triples", "3000", "--workdir", str(tmp_path / "work"),
         "--report", str(report), "--results", str(results)],
        capture_output=True, text=True, timeout=300, cwd=REPO,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    data = json.loads(results.read_text("utf-8"))
    assert len(data["relevance"]["queries"]) >= 40 and data["relevance"]["mean"]["recall"] > 0.9
    assert data["segmenters"]["methods"]["character bigrams (shipped)"]["recall"] == 1.0
    assert data["segmenters"]["methods"]["SQLite trigram tokenizer"]["zero_recall_queries"]  # the 2-character queries
    assert data["latency"]["search_ms"]["n"] > 0 and data["reconciliation"]["false_matches_for_absent"] == 0
    text = report.read_text("utf-8")
    for heading in ("## Relevance on the judged set", "## Chinese segmentation", "## Reconciliation", "## Latency at 3,000"):
        assert heading in text


def test_home_page_documents_search_and_reconciliation(client):
    html = client.get("/", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert 'href="/search?q=%E7%BB%BF%E8%89%B2"' in html
    assert 'id="reconcile"' in html and f"<code>{BASE}reconcile</code>" in html  # shown to copy: the public URL
    # The manifest's documentation link points at that section.
    assert client.get("/reconcile").get_json()["documentation"] == BASE + "#reconcile"
