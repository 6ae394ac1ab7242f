"""Shared query links: ``/sparql?query=…`` opened in a browser shows the query page with its results.

Programs (no preference for ``text/html``) keep getting SPARQL results, byte for byte as before.
"""

from __future__ import annotations

import html as html_lib
import json
import re
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from scograph.web.app import create_app

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
GBF_QUERY = """PREFIX eli: <http://data.europa.eu/eli/ontology#>
SELECT ?clause WHERE { ?clause eli:cites <https://w3id.org/scograph/id/instrument/kunming-montreal-global-biodiversity-framework> }"""


@pytest.fixture(scope="module")
def client(store):
    return create_app(store).test_client()


def _open(client, query: str, extra: str = "", accept: str = BROWSER_ACCEPT):
    return client.get("/sparql?query=" + quote(query) + extra, headers={"Accept": accept})


def _textarea(html: str) -> str:
    return html_lib.unescape(re.search(r'<textarea id="query"[^>]*>(.*?)</textarea>', html, re.S).group(1))


def test_a_shared_link_shows_the_page_with_the_query_and_its_table(client):
    response = _open(client, GBF_QUERY)
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.data.decode()
    assert _textarea(html) == GBF_QUERY
    table = re.search(r'<section id="results"[^>]*>.*?</section>', html, re.S).group(0)
    assert " hidden" not in table.split(">", 1)[0]
    assert "<th scope=\"col\">?clause</th>" in table
    assert 'href="/id/document/2024/green-development-initiative/clause/op-3"' in table
    assert re.search(r'<p id="summary">1 rows · \d+ ms</p>', table)
    # The link is kept: the page offers it, and it is this very URL.
    share = html_lib.unescape(re.search(r'<a id="share-link" href="([^"]+)"', html).group(1))
    assert parse_qs(urlsplit(share).query) == {"query": [GBF_QUERY]}
    assert _open(client, GBF_QUERY).headers["ETag"] == response.headers["ETag"]


def test_values_and_the_query_are_escaped(client):
    query = 'SELECT ?x ?y WHERE { BIND("<script>alert(1)</script>" AS ?x) BIND("</textarea><b>x</b>"@en AS ?y) }'
    response = _open(client, query)
    assert response.status_code == 200
    html = response.data.decode()
    assert "<script>alert(1)" not in html and "</textarea><b>" not in html and "<b>x</b>" not in html
    assert '<td><span>&lt;script&gt;alert(1)&lt;/script&gt;</span></td>' in html
    assert '<span lang="en">&lt;/textarea&gt;&lt;b&gt;x&lt;/b&gt;</span>' in html
    assert _textarea(html) == query


def test_ask_and_construct_are_shown_too(client):
    ask = _open(client, "ASK { ?s ?p ?o }").data.decode()
    assert '<p class="boolean">Yes (true)</p>' in ask
    graph = _open(client, "CONSTRUCT { ?s a ?o } WHERE { ?s a ?o } LIMIT 2").data.decode()
    assert re.search(r'<pre class="turtle">[^<]*rdf:type|<pre class="turtle">[^<]* a ', graph)
    assert re.search(r'<p id="summary">2 triples · \d+ ms</p>', graph)


def test_an_error_is_shown_on_the_page_with_the_endpoints_status(client):
    bad = _open(client, "SELEC ?x")
    assert bad.status_code == 400 and bad.mimetype == "text/html"
    html = bad.data.decode()
    assert _textarea(html) == "SELEC ?x"  # the reader can fix it
    assert '<div class="error" role="alert"><strong>Error 400</strong>' in html
    refused = _open(client, "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    assert refused.status_code == 403 and "Error 403" in refused.data.decode()


def test_the_page_speaks_the_readers_language(client):
    html = _open(client, GBF_QUERY, "&lang=zh").data.decode()
    assert '<html lang="zh">' in html and "运行查询" in html
    assert re.search(r'<p id="summary">1 行 · \d+ 毫秒</p>', html)
    share = html_lib.unescape(re.search(r'<a id="share-link" href="([^"]+)"', html).group(1))
    assert parse_qs(urlsplit(share).query) == {"query": [GBF_QUERY], "lang": ["zh"]}
    assert "clause/op-3?lang=zh" in html  # result links keep the language


def test_a_posted_form_without_javascript_shows_the_page_too(client):
    response = client.post("/sparql", data={"query": GBF_QUERY, "format": ""}, headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "clause/op-3" in response.data.decode()
    chinese = client.post("/sparql?lang=zh", data={"query": "ASK {}", "format": ""}, headers={"Accept": BROWSER_ACCEPT})
    assert '<p class="boolean">是（true）</p>' in chinese.data.decode()


@pytest.mark.parametrize(
    ("accept", "mimetype"),
    [
        (None, "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("application/sparql-results+json, text/html;q=0.5", "application/sparql-results+json"),
        ("text/csv", "text/csv"),
    ],
)
def test_programs_keep_getting_results(client, accept, mimetype):
    headers = {"Accept": accept} if accept else {}
    response = client.get("/sparql?query=" + quote(GBF_QUERY), headers=headers)
    assert response.status_code == 200
    assert response.mimetype == mimetype
    if mimetype.endswith("json"):
        assert json.loads(response.data)["results"]["bindings"][0]["clause"]["value"].endswith("/clause/op-3")


def test_a_chosen_format_is_answered_raw_even_to_a_browser(client):
    response = _open(client, GBF_QUERY, "&format=csv")
    assert response.mimetype == "text/csv" and response.data.decode().splitlines()[0].strip() == "clause"
    assert client.get("/sparql", headers={"Accept": "text/turtle"}).mimetype == "text/turtle"  # service description
