"""The SPARQL 1.1 Protocol at /sparql, modelled on the W3C protocol test suite
(https://w3c.github.io/rdf-tests/sparql/sparql11/protocol/): query by GET, POST form
and POST direct; dataset parameters; bad requests; content negotiation; Chinese
literals in every format; the service description; the HTTP policies every
response shares (CORS, ETag/304, gzip); the result cap; the query page.

Flask's test client drives the real app on the session's embedded store.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from urllib.parse import quote

import pytest
import rdflib
from rdflib.query import Result

from scograph.examples import example_queries
from scograph.web.app import WebConfig, create_app

SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
CLAUSE = "https://w3id.org/scograph/id/document/2024/green-development-initiative/clause/op-3"
SCOG_TEXT = "https://w3id.org/scograph/ontology#text"
ZH_TEXT_QUERY = f'SELECT ?text WHERE {{ <{CLAUSE}> <{SCOG_TEXT}> ?text FILTER(LANG(?text) = "zh") }}'
ZH_CONSTRUCT = f'CONSTRUCT {{ <{CLAUSE}> <{SCOG_TEXT}> ?text }} WHERE {{ <{CLAUSE}> <{SCOG_TEXT}> ?text FILTER(LANG(?text) = "zh") }}'
FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"


@pytest.fixture(scope="module")
def app(store):
    return create_app(store, WebConfig(query_timeout=10.0, max_results=10_000))


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def expected_zh_text(release) -> str:
    """The Chinese text of op-3 read straight from the release dump, not through the endpoint."""
    graph = rdflib.Graph().parse(release.path / "scograph.nt", format="nt")
    texts = [o for o in graph.objects(rdflib.URIRef(CLAUSE), rdflib.URIRef(SCOG_TEXT)) if o.language == "zh"]
    assert len(texts) == 1
    assert any("\u4e00" <= ch <= "\u9fff" for ch in texts[0])
    return str(texts[0])


def get(client, query: str, **params):
    extra = "".join(f"&{k.replace('_', '-')}={quote(v)}" for k, v in params.items() if not isinstance(v, list))
    for k, values in params.items():
        if isinstance(values, list):
            extra += "".join(f"&{k.replace('_', '-')}={quote(v)}" for v in values)
    return client.get(f"/sparql?query={quote(query)}{extra}")


def rows(response) -> list[dict]:
    return json.loads(response.data)["results"]["bindings"]


def count(response) -> int:
    return int(rows(response)[0]["n"]["value"])


# -- query operations ---------------------------------------------------------------


def test_query_via_get(client):
    response = get(client, "ASK { ?s ?p ?o }")
    assert response.status_code == 200
    assert response.mimetype == "application/sparql-results+json"
    assert json.loads(response.data)["boolean"] is True


def test_query_via_post_form(client):
    response = client.post("/sparql", data={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"})
    assert response.status_code == 200
    assert count(response) > 1000


def test_query_via_post_direct(client):
    response = client.post("/sparql", data=b"ASK { ?s ?p ?o }", content_type=DIRECT)
    assert response.status_code == 200
    assert json.loads(response.data)["boolean"] is True


def test_post_direct_with_utf8_charset(client):
    response = client.post("/sparql", data="ASK { ?s ?p ?o }".encode(), content_type=f"{DIRECT}; charset=UTF-8")
    assert response.status_code == 200


def test_head_answers_like_get_without_body(client):
    response = client.head(f"/sparql?query={quote('ASK {}')}")
    assert response.status_code == 200
    assert response.data == b""


# -- dataset parameters -------------------------------------------------------------


def test_default_graph_uri_restricts_the_default_graph(client, release):
    ontology = release.base_iri + "graph/ontology"
    response = get(client, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", default_graph_uri=ontology)
    assert response.status_code == 200
    assert count(response) == release.graphs[ontology]


def test_multiple_default_graph_uris_are_merged(client, release):
    graphs = [release.base_iri + "graph/ontology", release.base_iri + "graph/shapes"]
    response = get(client, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", default_graph_uri=graphs)
    assert count(response) == sum(release.graphs[g] for g in graphs)


def test_named_graph_uri_restricts_graph_patterns(client, release):
    data = release.base_iri + "graph/data"
    response = get(client, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", named_graph_uri=data)
    assert [r["g"]["value"] for r in rows(response)] == [data]


def test_dataset_parameters_with_post_direct_are_in_the_url(client, release):
    provenance = release.base_iri + "graph/provenance"
    response = client.post(
        f"/sparql?default-graph-uri={quote(provenance)}",
        data=b"SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
        content_type=DIRECT,
    )
    assert count(response) == release.graphs[provenance]


def test_dataset_parameters_with_post_form(client, release):
    shapes = release.base_iri + "graph/shapes"
    response = client.post(
        "/sparql", data={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "default-graph-uri": shapes}
    )
    assert count(response) == release.graphs[shapes]


def test_from_in_the_query_names_a_release_graph(client, release):
    ontology = release.base_iri + "graph/ontology"
    response = get(client, f"SELECT (COUNT(*) AS ?n) FROM <{ontology}> WHERE {{ ?s ?p ?o }}")
    assert count(response) == release.graphs[ontology]


@pytest.mark.parametrize(
    "params",
    [
        {"default_graph_uri": "http://example.org/remote"},
        {"named_graph_uri": "https://w3id.org/scograph/graph/nope"},
    ],
)
def test_dataset_iris_outside_the_release_are_refused_not_ignored(client, params):
    response = get(client, "ASK { ?s ?p ?o }", **params)
    assert response.status_code == 403
    assert "not a graph of this dataset" in json.loads(response.data)["message"]


def test_from_a_remote_iri_is_refused(client):
    response = get(client, "SELECT * FROM <http://example.org/data.ttl> WHERE { ?s ?p ?o }")
    assert response.status_code == 403


# -- bad requests -------------------------------------------------------------------


def test_missing_query_with_post_is_400(client):
    response = client.post("/sparql", data={"default-graph-uri": "https://w3id.org/scograph/graph/data"})
    assert response.status_code == 400
    assert "missing query" in json.loads(response.data)["message"]


def test_missing_query_with_dataset_parameters_on_get_is_400(client):
    response = client.get(f"/sparql?default-graph-uri={quote('https://w3id.org/scograph/graph/data')}")
    assert response.status_code == 400


def test_multiple_query_parameters_are_400(client):
    response = client.get(f"/sparql?query={quote('ASK {}')}&query={quote('ASK {}')}")
    assert response.status_code == 400
    assert "given 2 times" in json.loads(response.data)["message"]


def test_query_in_url_and_form_body_is_400(client):
    response = client.post(f"/sparql?query={quote('ASK {}')}", data={"query": "ASK {}"})
    assert response.status_code == 400


def test_query_in_url_with_direct_post_is_400(client):
    response = client.post(f"/sparql?query={quote('ASK {}')}", data=b"ASK {}", content_type=DIRECT)
    assert response.status_code == 400


def test_malformed_query_is_400_with_the_parser_message(client):
    response = get(client, "SELECT * WHERE { ?s ?p ")
    assert response.status_code == 400
    message = json.loads(response.data)["message"]
    assert "error at 1:" in message  # Oxigraph's parser: line and column
    assert "Traceback" not in response.get_data(as_text=True)


def test_not_a_query_is_400(client):
    assert get(client, "hello world").status_code == 400


def test_empty_query_is_400(client):
    assert client.post("/sparql", data={"query": "  "}).status_code == 400


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_405_with_allow(client, method):
    response = client.open("/sparql", method=method)
    assert response.status_code == 405
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert {"GET", "POST"} <= allowed
    assert "PUT" not in allowed


def test_post_with_unknown_content_type_is_415(client):
    response = client.post("/sparql", data=b"ASK {}", content_type="text/plain")
    assert response.status_code == 415


@pytest.mark.parametrize("content_type", [f"{DIRECT}; charset=ISO-8859-1", f"{FORM}; charset=utf-16"])
def test_non_utf8_charset_is_415(client, content_type):
    body = b"ASK {}" if content_type.startswith(DIRECT) else b"query=ASK+%7B%7D"
    response = client.post("/sparql", data=body, content_type=content_type)
    assert response.status_code == 415
    assert "charset" in json.loads(response.data)["message"]


def test_invalid_utf8_body_is_400(client):
    response = client.post("/sparql", data=b'SELECT * WHERE { ?s ?p "\xff\xfe" }', content_type=DIRECT)
    assert response.status_code == 400
    assert "UTF-8" in json.loads(response.data)["message"]


def test_invalid_utf8_in_the_url_is_400(client):
    response = client.get("/sparql?query=ASK%20%7B%20%3Fs%20%3Fp%20%22%FF%22%20%7D")
    assert response.status_code == 400


def test_update_by_parameter_or_content_type_is_refused(client):
    assert client.post("/sparql", data={"update": "INSERT DATA { <a:a> <a:b> <a:c> }"}).status_code == 403
    assert client.post("/sparql", data=b"INSERT DATA { <a:a> <a:b> <a:c> }", content_type="application/sparql-update").status_code == 403
    assert client.get(f"/sparql?update={quote('CLEAR ALL')}").status_code == 403


def test_a_30kb_query_works_and_a_1mb_query_is_413(client):
    values = " ".join(f"<https://w3id.org/scograph/id/x/{i:06d}>" for i in range(900))
    query = f"SELECT ?s WHERE {{ VALUES ?s {{ {values} }} ?s ?p ?o }}"
    assert 30_000 <= len(query.encode()) <= 64 * 1024
    assert client.post("/sparql", data=query.encode(), content_type=DIRECT).status_code == 200
    assert client.post("/sparql", data={"query": query}).status_code == 200
    huge = "SELECT * WHERE { ?s ?p ?o } #" + "x" * (1024 * 1024)
    assert client.post("/sparql", data=huge.encode(), content_type=DIRECT).status_code == 413
    assert client.post("/sparql", data={"query": huge}).status_code == 413


# -- content negotiation --------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("application/json", "application/sparql-results+json"),
        ("text/csv;q=0.5, application/sparql-results+xml", "application/sparql-results+xml"),
        ("application/sparql-results+json;q=0.2, text/tab-separated-values;q=0.9, */*;q=0.1", "text/tab-separated-values"),
        ("application/xml;q=0.9,*/*;q=0.8", "application/sparql-results+xml"),
        # A browser opening a shared query link gets the query page with the results (tests/test_query_page.py).
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
    ],
)
def test_select_results_negotiated_by_accept(client, accept, expected):
    headers = {"Accept": accept} if accept else {}
    response = client.get(f"/sparql?query={quote('SELECT ?s WHERE { ?s ?p ?o } LIMIT 1')}", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == expected


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "text/turtle"),
        ("*/*", "text/turtle"),
        ("application/ld+json", "application/ld+json"),
        ("application/json", "application/ld+json"),
        ("application/n-triples", "application/n-triples"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("text/turtle;q=0.3, application/n-triples;q=0.7", "application/n-triples"),
    ],
)
def test_construct_results_negotiated_by_accept(client, accept, expected):
    headers = {"Accept": accept} if accept else {}
    response = client.get(f"/sparql?query={quote('CONSTRUCT WHERE { ?s ?p ?o } LIMIT 2')}", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == expected


def test_describe_is_a_graph_result(client):
    response = get(client, f"DESCRIBE <{CLAUSE}>")
    assert response.status_code == 200
    assert response.mimetype == "text/turtle"
    graph = rdflib.Graph().parse(data=response.data.decode("utf-8"), format="turtle")
    assert (rdflib.URIRef(CLAUSE), None, None) in graph


def test_format_parameter_wins_over_accept(client):
    response = client.get(
        f"/sparql?query={quote('SELECT ?s WHERE { ?s ?p ?o } LIMIT 1')}&format=csv",
        headers={"Accept": "application/sparql-results+xml"},
    )
    assert response.mimetype == "text/csv"
    response = get(client, "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1", format="nt")
    assert response.mimetype == "application/n-triples"


def test_nothing_acceptable_is_406(client):
    response = client.get(f"/sparql?query={quote('ASK {}')}", headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "available" in json.loads(response.data)["message"]
    response = client.get(f"/sparql?query={quote('SELECT * {}')}", headers={"Accept": "text/turtle"})
    assert response.status_code == 406
    # format= is not part of the protocol: a value that fits no SELECT format is ignored and Accept decides.
    response = client.get(f"/sparql?query={quote('SELECT * {}')}&format=turtle", headers={"Accept": "text/turtle"})
    assert response.status_code == 406
    assert get(client, "SELECT * {}", format="turtle").mimetype == "application/sparql-results+json"


# -- Chinese literals in every format ---------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml", "tsv", "csv"])
def test_chinese_literal_round_trips_in_results_formats(client, expected_zh_text, fmt):
    response = get(client, ZH_TEXT_QUERY, format=fmt)
    assert response.status_code == 200
    assert response.headers["Content-Type"].endswith("charset=utf-8") or fmt in ("json", "xml")
    if fmt == "csv":  # CSV carries lexical forms only (no language tag): compare the text
        table = list(csv.DictReader(io.StringIO(response.data.decode("utf-8"))))
        assert [row["text"] for row in table] == [expected_zh_text]
        return
    parsed = Result.parse(io.BytesIO(response.data), format=fmt)
    [row] = list(parsed)
    assert row[0] == rdflib.Literal(expected_zh_text, lang="zh")


@pytest.mark.parametrize(
    ("fmt", "rdflib_format"),
    [("turtle", "turtle"), ("jsonld", "json-ld"), ("ntriples", "nt"), ("rdfxml", "xml")],
)
def test_chinese_literal_round_trips_in_graph_formats(client, expected_zh_text, fmt, rdflib_format):
    response = get(client, ZH_CONSTRUCT, format=fmt)
    assert response.status_code == 200
    graph = rdflib.Graph().parse(data=response.data.decode("utf-8"), format=rdflib_format)
    assert set(graph.objects(rdflib.URIRef(CLAUSE), rdflib.URIRef(SCOG_TEXT))) == {
        rdflib.Literal(expected_zh_text, lang="zh")
    }


# -- service description ------------------------------------------------------------------


def test_service_description_in_turtle_advertises_no_update(client, release):
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert response.mimetype == "text/turtle"
    graph = rdflib.Graph().parse(data=response.data.decode("utf-8"), format="turtle")
    service = graph.value(predicate=rdflib.RDF.type, object=SD.Service)
    assert service is not None
    assert graph.value(service, SD.endpoint) == rdflib.URIRef("https://w3id.org/scograph/sparql")  # the public URL (base IRI by default), not Host
    assert set(graph.objects(service, SD.supportedLanguage)) == {SD.SPARQL11Query}
    assert (None, None, SD.SPARQL11Update) not in graph
    names = {str(n) for n in graph.objects(None, SD.name)}
    assert names == set(release.graphs)


def test_no_accept_header_gets_the_service_description(client):
    response = client.get("/sparql")
    assert response.mimetype == "text/turtle"


# -- the query page ---------------------------------------------------------------------


def test_browsers_get_an_offline_query_page_with_the_examples(client):
    response = client.get("/sparql", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert '<textarea id="query"' in page
    examples = example_queries()
    assert examples, "the curated example queries are missing"
    for example in examples:
        assert example.title.replace("'", "&#39;").replace('"', "&#34;") in page or example.title in page
    # Offline: every script and stylesheet is served by us.
    assert "cdn" not in page.lower()
    assert 'src="http' not in page and 'href="http' not in page.split("<main", 1)[0].replace('href="http://localhost/', "")
    assert client.get("/static/sparql.js").status_code == 200
    assert client.get("/static/sparql.css").status_code == 200


@pytest.mark.parametrize("example", example_queries(), ids=lambda e: e.slug)
def test_every_example_query_runs(client, example):
    response = client.post("/sparql", data={"query": example.query})
    assert response.status_code == 200, response.data[:500]
    assert response.headers["X-Result-Truncated"] == "false"


# -- HTTP policies: CORS, caching, gzip ----------------------------------------------------


def test_cors_on_success_and_on_errors(client):
    for response in (
        get(client, "ASK {}"),
        get(client, "SELECT * WHERE {"),
        client.open("/sparql", method="PUT"),
        client.get("/no/such/page/anywhere-at-all.xyz"),
        client.post("/sparql", data=b"x", content_type="text/plain"),
    ):
        assert response.headers["Access-Control-Allow-Origin"] == "*", response.status_code
        assert "X-Result-Truncated" in response.headers["Access-Control-Expose-Headers"]


def test_cors_preflight(client):
    response = client.options(
        "/sparql",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
    )
    assert response.status_code == 200
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert response.headers["Access-Control-Allow-Headers"] == "content-type"


def test_etag_from_the_release_version_and_304(client, release):
    url = f"/sparql?query={quote('SELECT ?s WHERE { ?s ?p ?o } LIMIT 3')}"
    first = client.get(url)
    etag = first.headers["ETag"]
    assert release.version[:12] in etag
    assert "max-age" in first.headers["Cache-Control"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Access-Control-Allow-Origin"] == "*"
    other = client.get(url, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200
    csv_version = client.get(url + "&format=csv")
    assert csv_version.headers["ETag"] != etag


def test_errors_and_posts_are_not_cached(client):
    assert "no-cache" in get(client, "SELECT * WHERE {").headers["Cache-Control"]
    assert "ETag" not in get(client, "SELECT * WHERE {").headers
    assert client.post("/sparql", data={"query": "ASK {}"}).headers["Cache-Control"] == "no-store"


def test_gzip_when_accepted(client):
    url = f"/sparql?query={quote('SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 200')}"
    plain = client.get(url)
    zipped = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert gzip.decompress(zipped.data) == plain.data
    assert len(zipped.data) < len(plain.data)
    assert "Content-Encoding" not in plain.headers


# -- result cap ---------------------------------------------------------------------------


def test_result_cap_is_stated_in_the_response(store):
    capped = create_app(store, WebConfig(max_results=5)).test_client()
    response = capped.get(f"/sparql?query={quote('SELECT ?s ?p ?o WHERE { ?s ?p ?o }')}")
    assert response.status_code == 200
    assert len(rows(response)) == 5
    assert response.headers["X-Result-Truncated"] == "true"
    assert response.headers["X-Result-Limit"] == "5"
    assert response.headers["X-Result-Count"] == "5"
    for fmt in ("csv", "tsv"):
        body = capped.get(f"/sparql?query={quote('SELECT ?s ?p ?o WHERE { ?s ?p ?o }')}&format={fmt}").data
        # Records, not lines: a CSV field may hold a newline (a clause's text), quoted; TSV escapes it.
        records = list(csv.reader(io.StringIO(body.decode("utf-8")), delimiter="," if fmt == "csv" else "\t",
                                  quoting=csv.QUOTE_MINIMAL if fmt == "csv" else csv.QUOTE_NONE))
        assert len(records) == 6, fmt  # the header and the five rows
    graph_response = capped.get(f"/sparql?query={quote('CONSTRUCT WHERE { ?s ?p ?o }')}&format=nt")
    assert graph_response.headers["X-Result-Truncated"] == "true"
    assert len(graph_response.data.decode("utf-8").strip().splitlines()) == 5
    small = capped.get(f"/sparql?query={quote('SELECT ?s WHERE { ?s ?p ?o } LIMIT 3')}")
    assert small.headers["X-Result-Truncated"] == "false"
    assert small.headers["X-Result-Count"] == "3"


# -- health and refusals on update paths ---------------------------------------------------


def test_healthz(client, release):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = json.loads(response.data)
    assert body["status"] == "ok"
    assert body["release"] == release.version
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/update", "/sparql/update", "/statements"])
def test_update_like_paths_are_refused(client, path):
    response = client.post(path, data=b"INSERT DATA { <a:a> <a:b> <a:c> }", content_type="application/sparql-update")
    assert response.status_code == 403
    assert "read-only" in json.loads(response.data)["message"]


# -- result cache -------------------------------------------------------------------------


def test_repeated_queries_are_answered_from_the_cache(store, release):
    query = f"SELECT ?s WHERE {{ ?s ?p ?o }} LIMIT 7 # cache test {release.version}"
    before = store.status()["result_cache"]
    first = store.run(query)
    second = store.run(query)
    after = store.status()["result_cache"]
    assert second == first
    assert after["misses"] == before["misses"] + 1
    assert after["hits"] == before["hits"] + 1
    csv_answer = store.run(query, results_media_type="text/csv")  # another format is another entry
    assert csv_answer.media_type == "text/csv"
    assert store.status()["result_cache"]["misses"] == after["misses"] + 1
