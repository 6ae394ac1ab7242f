"""The fast path (``scograph.web.fast_path``, ``first_answer``) answers exactly what the Flask path answers.

Two apps over the same real store (its query workers, its result cache): one as
``create_app`` builds it (fast path in front), one with the fast path taken out
(every request through Flask, the policies and the endpoint). Each request is
sent twice to the first (the first made without Flask where it can, the second
a replay: their counters say so)
and once to the second; status, every header in order and the body must be the
same, ``X-Query-Duration-Ms`` (measured per request) only in form. Also over a
real ``scograph serve``: a replayed answer carries the same headers as the first.
"""

from __future__ import annotations

import gzip
import json
import re
from urllib.parse import quote

import pytest
import requests

from scograph.web.app import WebConfig, create_app
from tests.processes import ScographServe

SELECT_BIG = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 200"  # well past the gzip threshold
SELECT_SMALL = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"  # below it
CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 20"
ASK = "ASK { ?s ?p ?o }"
JSON = "application/sparql-results+json"


def _url(query: str, extra: str = "") -> str:
    return f"/sparql?query={quote(query)}{extra}"


REQUESTS = [  # (method, url, headers)
    ("GET", _url(SELECT_BIG), {"Accept": JSON}),
    ("GET", _url(SELECT_BIG), {"Accept": JSON, "Accept-Encoding": "gzip, deflate"}),
    ("HEAD", _url(SELECT_BIG), {"Accept": JSON, "Accept-Encoding": "gzip"}),
    ("GET", _url(SELECT_SMALL), {"Accept": JSON, "Accept-Encoding": "gzip"}),
    ("GET", _url(SELECT_SMALL), {"Accept": JSON, "Accept-Language": "zh-CN,zh;q=0.9"}),
    ("GET", _url(SELECT_SMALL), {"Accept": JSON, "Accept-Language": "en-GB"}),
    ("GET", _url(SELECT_SMALL, "&lang=zh"), {"Accept": JSON}),
    ("GET", _url(SELECT_SMALL), {"Accept": JSON, "Origin": "https://elsewhere.example"}),
    ("GET", _url(SELECT_BIG, "&format=csv"), {"Accept-Encoding": "gzip"}),
    ("GET", _url(SELECT_SMALL, "&download=1"), {"Accept": "text/tab-separated-values"}),
    ("GET", _url(CONSTRUCT), {"Accept": "text/turtle", "Accept-Encoding": "gzip"}),
    ("GET", _url(ASK), {}),
    ("HEAD", _url(ASK), {"Accept": "application/sparql-results+xml"}),
    # Screened queries (guard.screen: sent unread, the form known after the run):
    ("GET", _url("DESCRIBE ?s WHERE { ?s ?p ?o } LIMIT 1"), {"Accept": "text/turtle"}),
    ("GET", _url(CONSTRUCT), {"Accept": "application/n-triples, application/sparql-results+json;q=0.5"}),
    ("GET", _url('SELECT ?s WHERE { ?s ?p "x"@data }'), {"Accept": JSON}),  # a language tag, not Update's DATA
]


@pytest.fixture(scope="module")
def apps(store):
    config = WebConfig(query_timeout=10.0)
    fast_app = create_app(store, config)
    flask_app = create_app(store, config)
    flask_app.wsgi_app = flask_app.extensions["scograph.fast_path"].app  # the Flask path only
    return fast_app, flask_app


def _answer(client, method: str, url: str, headers: dict):
    response = client.open(url, method=method, headers=headers)
    return response.status, response.headers.to_wsgi_list(), response.get_data()


def _same(fast: tuple, flask: tuple) -> None:
    assert fast[0] == flask[0]
    assert fast[2] == flask[2]
    names = [name for name, _ in flask[1]]
    assert [name for name, _ in fast[1]] == names
    for (name, fast_value), (_, flask_value) in zip(fast[1], flask[1]):
        if name == "X-Query-Duration-Ms":
            assert re.fullmatch(r"\d+\.\d", fast_value), fast_value
        else:
            assert fast_value == flask_value, name


def _compare(apps, method: str, url: str, headers: dict, replayed: bool = True) -> tuple:
    fast_app, flask_app = apps
    fast_client, flask_client = fast_app.test_client(), flask_app.test_client()
    fast_path = fast_app.extensions["scograph.fast_path"]
    built = fast_path.first_answer.built
    first = _answer(fast_client, method, url, headers)
    _compare.built = fast_path.first_answer.built - built  # 1: made without Flask
    hits = fast_path.hits
    again = _answer(fast_client, method, url, headers)
    assert fast_path.hits == hits + (1 if replayed else 0), (method, url, headers)
    through_flask = _answer(flask_client, method, url, headers)
    _same(first, through_flask)
    _same(again, through_flask)
    return again


@pytest.mark.parametrize("method,url,headers", REQUESTS)
def test_a_replayed_answer_has_the_headers_and_body_of_the_flask_path(apps, method, url, headers):
    status, header_list, body = _compare(apps, method, url, headers)
    assert status == "200 OK" and _compare.built == 1
    got = dict(header_list)
    assert got["Access-Control-Allow-Origin"] == "*" and "ETag" in got["Access-Control-Expose-Headers"]
    assert got["Vary"] == "Accept, Accept-Encoding, Accept-Language"
    assert got["ETag"].startswith('"') and got["Cache-Control"].startswith("public")
    if method == "HEAD":
        assert body == b"" and "Content-Encoding" not in got
    elif "gzip" in headers.get("Accept-Encoding", "") and int(got["Content-Length"]) >= 1024:
        assert got["Content-Encoding"] == "gzip" and got["ETag"].endswith('-gz"')
        assert gzip.decompress(body)


def test_the_language_is_part_of_the_key(apps):
    """zh and en ask the same query: one answer each, each with its own ETag (as Flask gives)."""
    zh = _compare(apps, "GET", _url(ASK), {"Accept-Language": "zh"})
    en = _compare(apps, "GET", _url(ASK), {"Accept-Language": "en"})
    assert dict(zh[1])["ETag"] != dict(en[1])["ETag"]
    assert json.loads(zh[2]) == json.loads(en[2]) == {"head": {}, "boolean": True}


@pytest.mark.parametrize("encoding", ["", "gzip"])
def test_revalidations_are_304_with_the_flask_path_headers(apps, encoding):
    headers = {"Accept": JSON, "Accept-Encoding": encoding} if encoding else {"Accept": JSON}
    _status, header_list, _body = _compare(apps, "GET", _url(SELECT_BIG), headers)
    tag = dict(header_list)["ETag"]
    status, revalidated, body = _compare(apps, "GET", _url(SELECT_BIG), {**headers, "If-None-Match": tag})
    assert status == "304 NOT MODIFIED" and body == b"" and dict(revalidated)["ETag"] == tag
    assert dict(revalidated)["Access-Control-Allow-Origin"] == "*"
    # A tag of another answer is no match: the full answer, through the same path.
    status, _headers, body = _compare(apps, "GET", _url(SELECT_BIG), {**headers, "If-None-Match": '"stale-tag"'})
    assert status == "200 OK" and body


@pytest.mark.parametrize("method,url,headers", [
    ("GET", _url("SELECT ?s WHERE { ?s ?p }"), {"Accept": JSON}),  # 400: never replayed
    ("GET", _url(SELECT_SMALL), {"Accept": "text/html"}),  # the query page: rendered each time
    ("GET", "/sparql", {"Accept": "text/turtle"}),  # the service description
    ("GET", _url("INSERT DATA { <urn:a> <urn:b> <urn:c> }"), {}),  # 403
    # Screened, then refused by the engine: the guard's own answer, as through Flask.
    ("GET", _url("SELECT * WHERE { ?s ?p ?o } ; DROP ALL"), {"Accept": JSON}),  # 403
    ("GET", _url('SELECT ?s WHERE { ?s ?p "x }'), {"Accept": JSON}),  # 400: the string does not end
    ("GET", _url(CONSTRUCT), {"Accept": JSON}),  # 406: a graph cannot be SPARQL JSON
])
def test_errors_pages_and_descriptions_go_through_flask_every_time(apps, method, url, headers):
    _compare(apps, method, url, headers, replayed=False)
    assert _compare.built == 0


def test_the_cases_above_take_the_screened_path():
    """The screened cases stay screened (else they would test the guard's path again), and the
    guard refuses the refused ones: their answers above are the guard's, not the engine's."""
    from scograph.sparql.guard import check_query, screen
    from scograph.store.base import QueryError

    for query in ("DESCRIBE ?s WHERE { ?s ?p ?o } LIMIT 1", CONSTRUCT, 'SELECT ?s WHERE { ?s ?p "x"@data }',
                  SELECT_BIG, ASK, "SELECT * WHERE { ?s ?p ?o } ; DROP ALL", 'SELECT ?s WHERE { ?s ?p "x }'):
        assert screen(query), query
    for refused in ("SELECT * WHERE { ?s ?p ?o } ; DROP ALL", 'SELECT ?s WHERE { ?s ?p "x }'):
        with pytest.raises(QueryError):
            check_query(refused)


SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # a cartesian product: minutes


def _pids_when_all_up(store, workers: int) -> set[int]:
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = store.status()
        if status["workers"] == status["idle"] == workers:
            return set(status["pids"])
        time.sleep(0.1)
    raise AssertionError(f"query workers not back: {store.status()}")


def test_a_query_stopped_by_its_time_limit_runs_once_and_the_endpoint_answers_503(release):
    """A query run before Flask that fails (here: its time limit) is answered by the endpoint,
    from the exception, without running the query a second time (one worker killed, not two)."""
    from scograph.store.embedded import EmbeddedStore

    store = EmbeddedStore(release, workers=2, timeout=1.0)
    try:
        app = create_app(store, WebConfig(query_timeout=1.0))
        store.start()
        before = _pids_when_all_up(store, 2)
        response = app.test_client().get(_url(SLOW), headers={"Accept": JSON})
        assert response.status_code == 503 and response.headers["Retry-After"] == "5"
        assert response.headers["Cache-Control"] == "no-store" and "limit of 1 s" in response.get_json()["message"]
        assert app.extensions["scograph.fast_path"].first_answer.built == 0
        after = _pids_when_all_up(store, 2)
        assert len(before - after) == 1, (before, after)
    finally:
        store.close()


def test_posts_are_never_replayed(apps):
    fast_app, _ = apps
    fast_path = fast_app.extensions["scograph.fast_path"]
    client = fast_app.test_client()
    hits = fast_path.hits
    for _ in range(2):
        response = client.post("/sparql", data={"query": SELECT_SMALL}, headers={"Accept": JSON})
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert fast_path.hits == hits


def test_no_fast_path_without_a_result_cache(release):
    from scograph.store.embedded import EmbeddedStore

    store = EmbeddedStore(release, result_cache_bytes=0)
    try:
        app = create_app(store)
        assert "scograph.fast_path" not in app.extensions  # every request runs its query
        assert app.test_client().get(_url(ASK)).status_code == 200
    finally:
        store.close()


def test_a_real_server_replays_the_first_answers_headers(release, tmp_path):
    server = ScographServe(release.path.parent.parent, tmp_path / "serve.log", "--workers", "1")
    try:
        server.wait_ready()
        url = server.url + _url(SELECT_BIG)
        with requests.Session() as session:
            answers = [session.get(url, headers={"Accept": JSON, "Accept-Encoding": "gzip"}, timeout=30) for _ in range(3)]
            tag = answers[0].headers["ETag"]
            revalidated = [session.get(url, headers={"Accept": JSON, "Accept-Encoding": "gzip", "If-None-Match": tag},
                                       timeout=30) for _ in range(2)]
        ignored = {"date", "x-query-duration-ms"}
        first = {k.lower(): v for k, v in answers[0].headers.items() if k.lower() not in ignored}
        for answer in answers[1:]:
            assert answer.status_code == 200 and answer.content == answers[0].content
            assert {k.lower(): v for k, v in answer.headers.items() if k.lower() not in ignored} == first
        assert first["content-encoding"] == "gzip" and len(json.loads(answers[0].content)["results"]["bindings"]) == 200
        assert [r.status_code for r in revalidated] == [304, 304]
        assert revalidated[0].headers == revalidated[1].headers or all(
            revalidated[0].headers[k] == revalidated[1].headers[k] for k in revalidated[0].headers if k.lower() != "date")
        log = server.log_path.read_text("utf-8", "replace")
        assert log.count('"GET /sparql" 200') >= 3, log[-2000:]
    finally:
        server.stop()
