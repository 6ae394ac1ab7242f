"""Hostile values for the inputs this release's new routes read, against a real `scograph serve`.

Each request names a place an attacker can reach: the path of an older release's file, the
AKN identifier path, the interface language, the search filters, the citation language. The
answer must refuse or ignore the value, never serve a file outside the release, never echo it
back into headers, and never let it through unescaped into HTML.
"""

from __future__ import annotations

import pytest
import requests

from tests.processes import LIGHT, ScographServe

CLAUSE = "/id/document/2024/green-development-initiative/clause/op-3"


@pytest.fixture(scope="module")
def server(settings, release, tmp_path_factory):
    with ScographServe(settings.build_dir, tmp_path_factory.mktemp("serve") / "serve.log", *LIGHT) as srv:
        yield srv


def _get(server, path: str, accept: str = "text/html") -> requests.Response:
    return requests.get(server.url + path, headers={"Accept": accept}, allow_redirects=False, timeout=30)


@pytest.mark.parametrize(
    "template",
    [
        "/release/{v}/download/..%2f..%2fmanifest.json",
        "/release/{v}/download/..%2fstore%2fCURRENT",
        "/release/{v}/download/store",
        "/release/..%2f..%2fetc/download/passwd",
        "/release/{v}/download/%2fetc%2fpasswd",
        "/akn/sco/statement/..%2f..%2f..%2fetc%2fpasswd",
    ],
)
def test_paths_never_leave_the_release(server, release, template):
    response = _get(server, template.format(v=release.version), accept="*/*")
    assert response.status_code == 404, (template, response.status_code)
    assert b"root:" not in response.content and b"MANIFEST-" not in response.content


@pytest.mark.parametrize(
    "path",
    [
        "/doc/state/chn?lang=%3Cscript%3Ealert(1)%3C/script%3E",
        "/doc/state/chn?lang=zh%0d%0aX-Evil:%201",
        "/search?q=green&text=%3Cscript%3E",
        "/search?q=%3Cscript%3Ealert(1)%3C/script%3E",
        f"{CLAUSE}?lang=%0d%0aX-Evil:%201",
    ],
)
def test_interface_and_filter_values_are_neither_echoed_into_headers_nor_unescaped(server, path):
    for accept in ("text/html", "application/x-bibtex"):
        response = _get(server, path, accept=accept)
        assert response.status_code in (200, 303, 400, 406), (path, accept, response.status_code)
        assert "X-Evil" not in response.headers and all("\n" not in v for v in response.headers.values())
        assert "<script>alert(1)</script>" not in response.text, (path, accept)
        assert "<script>" not in response.headers.get("Location", "")


def test_a_hostile_citation_language_is_one_sentence_400(server):
    path = "/doc/document/2024/green-development-initiative/clause/op-3.bib?lang=%3Cscript%3E"
    page = _get(server, path, accept="text/html")
    assert page.status_code == 400 and page.headers["Content-Type"].startswith("text/html")
    assert "<script>" not in page.text  # escaped where a browser would render it
    data = _get(server, path, accept="*/*")
    assert data.status_code == 400 and data.headers["Content-Type"].startswith("application/json")
    assert data.headers["X-Content-Type-Options"] == "nosniff"
    assert "lang" in data.json()["message"]


# -- the lean request path (issue 12): screened queries, native answers ------------------------


def _sparql_get(server, query: str, accept: str = "application/sparql-results+json") -> requests.Response:
    return requests.get(server.url + "/sparql", params={"query": query}, headers={"Accept": accept}, timeout=60)


@pytest.mark.parametrize("query,status,words", [
    # Screened (no SERVICE or FROM in the text), then refused by the engine: the guard's words.
    ("SELECT * WHERE { ?s ?p ?o } ; DROP ALL", 403, "read-only"),
    ("ASK { ?s ?p ?o } ; INSERT DATA { <urn:a> <urn:b> <urn:c> }", 403, "read-only"),
    ('SELECT ?s WHERE { ?s ?p "never ends }', 400, "does not end"),
    # Not screened: SERVICE hidden in a case the engine reads, FROM glued to a prefix.
    ("SELECT * WHERE { sErViCe <http://127.0.0.1:9/> { ?s ?p ?o } }", 403, "SERVICE"),
    ("PREFIX ex: <http://127.0.0.1:9/> SELECT * FROMex:g WHERE { ?s ?p ?o }", 403, "not a graph of this dataset"),
    # A nesting one past the bound: the screen counts it and the guard refuses it.
    ("SELECT * WHERE " + "{" * 65 + "}" * 65, 400, "nests deeper"),
])
def test_screened_and_unscreened_hostile_queries_get_the_guards_answer(server, query, status, words):
    response = _sparql_get(server, query)
    assert response.status_code == status, (query, response.status_code, response.text[:300])
    assert words in response.json()["message"], response.text[:300]


def test_an_answer_past_the_native_budget_is_written_again_whole(server):
    """A 4 MiB literal made by the engine: past the native writer's budget, so the worker runs the
    query again and writes it row by row; within the 16 MiB byte cap, so whole and not truncated."""
    binds = " ".join(f"BIND(CONCAT(?a{i}, ?a{i}) AS ?a{i + 1})" for i in range(19))
    response = _sparql_get(server, f'SELECT ?a19 WHERE {{ BIND("abcdefgh" AS ?a0) {binds} }}')
    assert response.status_code == 200, response.text[:300]
    assert response.headers["X-Result-Truncated"] == "false" and response.headers["X-Result-Count"] == "1"
    value = response.json()["results"]["bindings"][0]["a19"]["value"]
    assert value == "abcdefgh" * 2**19  # 4 MiB of value: with its JSON around it, past the budget


def test_an_accept_that_refuses_every_format_is_406_for_a_screened_query(server):
    response = _sparql_get(server, "SELECT * WHERE { ?s ?p ?o } LIMIT 1",
                           accept="application/sparql-results+json;q=0, text/turtle;q=0, image/png")
    assert response.status_code == 406, response.text[:300]


@pytest.mark.parametrize("query,status,words", [
    # A comment ends at CR for the engine: the SERVICE after it is live, so the screen must read it.
    ("SELECT * WHERE {\n# from the forum\rSERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", 403, "SERVICE"),
    # The "#" line starts inside a long string, which ends on it: the SERVICE after it is live.
    ('SELECT * WHERE { ?s ?p """\n# """ SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }', 403, "SERVICE"),
])
def test_service_after_what_looks_like_a_comment_line_is_refused(server, query, status, words):
    response = _sparql_get(server, query)
    assert response.status_code == status, (query, response.status_code, response.text[:300])
    assert words in response.json()["message"], response.text[:300]


def test_service_and_from_in_whole_comment_lines_are_only_comments(server):
    response = _sparql_get(server, "# SERVICE <http://127.0.0.1:9/> {}\n  # FROM <http://127.0.0.1:9/g>\nASK { ?s ?p ?o }")
    assert response.status_code == 200 and response.json()["boolean"] is True, response.text[:300]


@pytest.mark.parametrize("query_string,status,words", [
    ("query=ASK%20%7B%7D%C0%80", 400, "UTF-8"),  # an overlong NUL: not UTF-8
    ("query=ASK%20%7B%7D%ED%A0%80", 400, "UTF-8"),  # a surrogate: not UTF-8
    ("query=ASK%7B%7D&" + "a=&" * 1000, 400, "Max number of fields"),
])
def test_hostile_query_strings_are_400_naming_the_problem(server, query_string, status, words):
    response = requests.get(f"{server.url}/sparql?{query_string}", headers={"Accept": "application/sparql-results+json"},
                            timeout=30)
    assert response.status_code == status, (query_string[:80], response.status_code, response.text[:300])
    assert words in response.json()["message"], response.text[:300]


def test_escaped_separators_are_decoded_after_the_split_and_a_leading_question_mark_is_kept(server):
    # %2B %3D %26 are "+", "=" and "&" inside the value, not separators.
    response = requests.get(f"{server.url}/sparql?query=ASK%20%7B%20FILTER(1%2B1%3D2%20%26%26%20true)%20%7D",
                            headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert response.status_code == 200 and response.json()["boolean"] is True, response.text[:300]
    # "??query=" names a parameter "?query", as parse_qsl reads it: no query, so no query result.
    response = requests.get(f"{server.url}/sparql??query=ASK%20%7B%7D", headers={"Accept": "application/sparql-results+json"},
                            timeout=30)
    assert "boolean" not in response.text, response.text[:300]
