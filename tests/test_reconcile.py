"""``/reconcile``: W3C Reconciliation Service API 0.2, in the Flask app and through a real ``scograph serve``.

Every response is validated against the schemas in ``tests/reconcile_schemas.py``
(written from the 0.2 specification); expected identifiers and values are read
from the release's store with SPARQL, or from the judged set in
``benchmarks/search_judged.json``.
"""

from __future__ import annotations

import json

import jsonschema
import pytest
import requests

from scograph.web.app import create_app
from tests import reconcile_schemas as schemas
from tests.conftest import REPO
from tests.processes import ScographServe

BASE = "https://w3id.org/scograph/"
ID = BASE + "id/"
DOC = ID + "document/2024/green-development-initiative"
JUDGED = json.loads((REPO / "benchmarks" / "search_judged.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def client(store):
    return create_app(store).test_client()


def validate(instance, schema) -> None:
    jsonschema.validate(instance, schema, cls=jsonschema.Draft7Validator)


def batch(client, queries: dict) -> dict:
    validate(queries, schemas.QUERY_BATCH)
    r = client.post("/reconcile", data={"queries": json.dumps(queries)})
    assert r.status_code == 200, r.get_data(as_text=True)
    body = r.get_json()
    validate(body, schemas.RESULT_BATCH)
    assert set(body) == set(queries)
    return body


def top(result: dict) -> dict | None:
    return result["result"][0] if result["result"] else None


def state_qids(store) -> dict[str, str]:
    rows = store.select(
        f"""SELECT ?s ?q WHERE {{ GRAPH <{BASE}graph/data> {{ ?s a <{BASE}ontology#State> ; <http://www.w3.org/2002/07/owl#sameAs> ?q
        FILTER(STRSTARTS(STR(?q), "http://www.wikidata.org/entity/")) }} }}"""
    )
    return {str(r["q"]).rsplit("/", 1)[1]: str(r["s"]) for r in rows}


# -- manifest ---------------------------------------------------------------------------------------


def test_manifest_validates_and_names_every_service(client):
    r = client.get("/reconcile")
    assert r.status_code == 200 and r.mimetype == "application/json"
    manifest = r.get_json()
    validate(manifest, schemas.MANIFEST)
    assert manifest["identifierSpace"] == ID and manifest["schemaSpace"] == BASE + "ontology#"
    types = {t["id"] for t in manifest["defaultTypes"]}
    assert {"document", "clause", "instrument", "event", "organisation", "state", "place", "topic", "gbf-target", "sdg"} <= types
    for service in ("entity", "type", "property"):
        assert manifest["suggest"][service]["service_url"] == BASE + "reconcile"  # absolute (the spec): the public URL, not Host
    assert r.headers["Access-Control-Allow-Origin"] == "*"


def test_manifest_as_jsonp(client):
    r = client.get("/reconcile?callback=jQuery123_456")
    assert r.status_code == 200 and r.mimetype == "application/javascript"
    text = r.get_data(as_text=True)
    assert text.startswith("/**/jQuery123_456(") and text.endswith(");")
    validate(json.loads(text[len("/**/jQuery123_456(") : -2]), schemas.MANIFEST)


@pytest.mark.parametrize("callback", ["alert(1)//", "a b", "<script>", "x" * 100])
def test_jsonp_callback_must_be_a_function_name(client, callback):
    r = client.get("/reconcile", query_string={"callback": callback})
    assert r.status_code == 400 and "callback" in r.get_json()["message"]


def test_cors_preflight_and_post(client):
    pre = client.options("/reconcile", headers={"Origin": "http://127.0.0.1:3333", "Access-Control-Request-Method": "POST"})
    assert pre.headers["Access-Control-Allow-Origin"] == "*" and "POST" in pre.headers["Access-Control-Allow-Methods"]
    r = client.post("/reconcile", data={"queries": json.dumps({"q0": {"query": "China"}})}, headers={"Origin": "http://x.example"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"


# -- reconciliation queries ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, expected",
    [
        ("SCO", "organization/sco"),
        ("Shanghai Cooperation Organisation", "organization/sco"),
        ("上合组织", "organization/sco"),
        ("上海合作组织", "organization/sco"),
        ("Kunming-Montreal GBF", "instrument/kunming-montreal-global-biodiversity-framework"),
        ("Target 3", "concept/gbf/target-3"),
        ("中国", "state/chn"),
        ("Montreal", "place/montreal"),  # the label is "Montréal"
    ],
)
def test_common_variants_are_certain_matches(client, name, expected):
    result = batch(client, {"q0": {"query": name}})["q0"]
    assert top(result)["id"] == ID + expected and top(result)["match"] is True
    assert sum(c["match"] for c in result["result"]) == 1


def test_type_filter(client):
    body = batch(client, {"q0": {"query": "Kunming", "type": "place"}, "q1": {"query": "Kunming", "type": ["instrument"]}, "q2": {"query": "Kunming"}})
    assert [c["type"][0]["id"] for c in body["q0"]["result"]] == ["place"] * len(body["q0"]["result"])
    assert top(body["q0"])["id"] == ID + "place/kunming"
    assert top(body["q1"])["id"] == ID + "instrument/kunming-montreal-global-biodiversity-framework"
    assert {c["type"][0]["id"] for c in body["q2"]["result"]} >= {"place", "instrument"}


def test_property_constraints_raise_the_right_candidate(client, store):
    rows = store.select(f"SELECT ?code WHERE {{ <{ID}state/kaz> <http://purl.org/dc/terms/identifier> ?code }}")
    code = str(rows[0]["code"])
    body = batch(
        client,
        {
            "plain": {"query": "Kazakstan", "type": "state"},
            "with_code": {"query": "Kazakstan", "type": "state", "properties": [{"pid": "identifier", "v": code}]},
            "wrong_code": {"query": "Kazakstan", "type": "state", "properties": [{"pid": "identifier", "v": "XXX"}]},
        },
    )
    plain, with_code, wrong = (top(body[k]) for k in ("plain", "with_code", "wrong_code"))
    assert plain["id"] == with_code["id"] == ID + "state/kaz"
    assert with_code["score"] > plain["score"] > wrong["score"]


def test_wikidata_qids_reconcile_directly(client, store):
    qids = state_qids(store)
    assert len(qids) >= 10
    body = batch(client, {f"q{i}": {"query": qid} for i, qid in enumerate(sorted(qids))})
    for i, qid in enumerate(sorted(qids)):
        assert top(body[f"q{i}"])["id"] == qids[qid] and top(body[f"q{i}"])["match"] is True
    absent = "Q" + str(max(int(q[1:]) for q in qids) * 10 + 7)
    assert batch(client, {"q0": {"query": absent}})["q0"]["result"] == []


def test_names_absent_from_the_data_are_never_certain(client):
    body = batch(client, {"q0": {"query": "France", "type": "state"}, "q1": {"query": "European Union"}, "q2": {"query": "zzzz qqqq"}})
    assert not any(c["match"] for r in body.values() for c in r["result"])


def test_limit_is_honoured_and_capped(client):
    body = batch(client, {"q0": {"query": "SCO", "limit": 2}, "q1": {"query": "state", "limit": 1000}})
    assert len(body["q0"]["result"]) == 2 and len(body["q1"]["result"]) <= 25


def test_single_query_of_api_0_1(client):
    r = client.get("/reconcile", query_string={"query": "China"})
    validate(r.get_json(), schemas.RESULT)
    assert top(r.get_json())["id"] == ID + "state/chn"


@pytest.mark.parametrize(
    "data, words",
    [
        ({"queries": "{not json"}, "queries parameter is not valid JSON"),
        ({"queries": "[]"}, "JSON object of named queries"),
        ({"queries": "{}"}, "JSON object of named queries"),
        ({"queries": json.dumps({"q0": "China"})}, "Query q0 must be an object"),
        ({"queries": json.dumps({"q0": {"type": "state"}})}, 'Query q0 has no "query"'),
        ({"queries": json.dumps({"q0": {"query": "x" * 401}})}, "at most 400"),
        ({"queries": json.dumps({"q0": {"query": "China", "type": "planet"}})}, "unknown type 'planet'"),
        ({"queries": json.dumps({"q0": {"query": "China", "limit": "3"}})}, "limit must be a positive whole number"),
        ({"queries": json.dumps({"q0": {"query": "China", "properties": [{"pid": "colour", "v": "red"}]}})}, "unknown property 'colour'"),
        ({"queries": json.dumps({f"q{i}": {"query": "China"} for i in range(101)})}, "at most 100"),
        ({"extend": "[1]"}, "extend parameter must be a JSON object"),
        ({"extend": json.dumps({"ids": "x", "properties": [{"id": "date"}]})}, "ids must be a list"),
        ({"extend": json.dumps({"ids": [ID + "state/chn"], "properties": []})}, "properties must be a non-empty list"),
        ({"extend": json.dumps({"ids": [ID + "state/chn"], "properties": [{"id": "colour"}]})}, "unknown property 'colour'"),
    ],
)
def test_malformed_batches_get_one_clear_sentence(client, data, words):
    r = client.post("/reconcile", data=data)
    assert r.status_code == 400
    assert words in r.get_json()["message"]


def test_oversized_body_is_refused(client):
    r = client.post("/reconcile", data={"queries": "x" * (1024 * 1024 + 10)})
    assert r.status_code == 413


def test_fts_syntax_in_names_is_harmless(client):
    names = ['"', 'NEAR(a b)', "*", "label: China", "China OR", "(((", "\x00", "上合组织 AND NOT", "'; DROP TABLE names; --"]
    body = batch(client, {f"q{i}": {"query": n} for i, n in enumerate(names)})
    assert top(body["q7"])["id"] == ID + "organization/sco"


def test_judged_names_precision(client, capsys):
    names = JUDGED["names"]
    body = batch(client, {f"q{i}": ({"query": n["name"], "type": n["type"]} if n.get("type") else {"query": n["name"]}) for i, n in enumerate(names)})
    expected = [(i, n) for i, n in enumerate(names) if n["expected"]]
    expected_iri = lambda n: n["expected"] if n["expected"].startswith("http") else ID + n["expected"]  # noqa: E731
    correct = sum(1 for i, n in expected if top(body[f"q{i}"]) and top(body[f"q{i}"])["id"] == expected_iri(n))
    matches = [(i, n, c) for i, n in enumerate(names) for c in body[f"q{i}"]["result"] if c["match"]]
    wrong_matches = [(n["name"], c["id"]) for i, n, c in matches if not n["expected"] or c["id"] != expected_iri(n)]
    precision = correct / len(expected)
    with capsys.disabled():
        print(f"\njudged names: precision at 1 = {precision:.2f} ({correct}/{len(expected)}); {len(matches)} certain matches, {len(wrong_matches)} wrong")
    assert wrong_matches == []
    assert precision >= 0.9


# -- suggest, preview, extend ---------------------------------------------------------------------------


def test_suggest_services(client):
    entity = client.get("/reconcile/suggest/entity?prefix=Kaz").get_json()
    validate(entity, schemas.SUGGEST)
    assert ID + "state/kaz" in [e["id"] for e in entity["result"]]
    zh = client.get("/reconcile/suggest/entity", query_string={"prefix": "上合"}).get_json()
    assert ID + "organization/sco" in [e["id"] for e in zh["result"]]
    typed = client.get("/reconcile/suggest/entity?prefix=K&type=place").get_json()
    assert typed["result"] and all(e["id"].startswith(ID + "place/") for e in typed["result"])
    types = client.get("/reconcile/suggest/type?prefix=sta").get_json()
    validate(types, schemas.SUGGEST)
    assert [t["id"] for t in types["result"]] == ["state"]
    props = client.get("/reconcile/suggest/property?prefix=wiki").get_json()
    validate(props, schemas.SUGGEST)
    assert [p["id"] for p in props["result"]] == ["wikidata"]
    assert client.get("/reconcile/suggest/entity?prefix=x&cursor=-1").status_code == 400


def test_preview_is_a_small_html_card(client):
    r = client.get("/reconcile/preview", query_string={"id": ID + "state/kaz"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and r.mimetype == "text/html"
    assert "Kazakhstan" in html and "哈萨克斯坦" in html and "state" in html and len(html) < 4000
    assert client.get("/reconcile/preview", query_string={"id": ID + "state/none"}).status_code == 404
    assert client.get("/reconcile/preview").status_code == 400


def test_view_redirects_to_the_page(client):
    r = client.get("/reconcile/view", query_string={"id": DOC + "/clause/op-3"})
    assert r.status_code == 303 and r.headers["Location"] == "/doc/document/2024/green-development-initiative#op-3"


def test_propose_properties(client):
    r = client.get("/reconcile/properties?type=state").get_json()
    validate(r, schemas.PROPOSE_PROPERTIES)
    assert {"wikidata", "membership_role", "membership_start"} <= {p["id"] for p in r["properties"]}
    clause = client.get("/reconcile/properties?type=clause").get_json()
    assert "cites" in {p["id"] for p in clause["properties"]} and "wikidata" not in {p["id"] for p in clause["properties"]}
    assert client.get("/reconcile/properties?type=planet").status_code == 400


def test_extend_returns_the_stores_values(client, store):
    ids = [ID + "state/ind", DOC + "/clause/op-3", ID + "place/kunming", ID + "instrument/kunming-montreal-global-biodiversity-framework", ID + "state/nowhere"]
    pids = ["wikidata", "geonames", "membership_role", "membership_start", "cites", "date"]
    r = client.post("/reconcile", data={"extend": json.dumps({"ids": ids, "properties": [{"id": p} for p in pids]})})
    body = r.get_json()
    validate(body, schemas.EXTEND_RESPONSE)
    assert [m["id"] for m in body["meta"]] == pids and set(body["rows"]) == set(ids)
    india, op3, kunming, gbf = (body["rows"][i] for i in ids[:4])

    def one(query: str) -> str:
        rows = store.select(query)
        assert len(rows) == 1, query
        return str(rows[0]["v"])

    qid = one(f"SELECT ?v WHERE {{ <{ID}state/ind> <http://www.w3.org/2002/07/owl#sameAs> ?v FILTER(CONTAINS(STR(?v), 'wikidata')) }}")
    assert india["wikidata"] == [{"str": qid.rsplit("/", 1)[1]}]
    start = one(
        f"""SELECT ?v WHERE {{ <{ID}state/ind> <http://www.w3.org/ns/org#hasMembership>/<http://www.w3.org/ns/org#memberDuring>/
        <http://www.w3.org/2006/time#hasBeginning>/<http://www.w3.org/2006/time#inXSDDate> ?v }}"""
    )
    assert india["membership_start"] == [{"date": start + "T00:00:00Z"}]
    assert india["membership_role"] == [{"id": ID + "concept/sco-role/member-state", "name": "Member state"}]
    cited = {str(r["v"]) for r in store.select(f"SELECT ?v WHERE {{ <{DOC}/clause/op-3> <http://data.europa.eu/eli/ontology#cites> ?v }}")}
    assert {v["id"] for v in op3["cites"]} == cited and all(v["name"] for v in op3["cites"])
    geonames = one(f"SELECT ?v WHERE {{ <{ID}place/kunming> <http://www.w3.org/2002/07/owl#sameAs> ?v FILTER(CONTAINS(STR(?v), 'geonames')) }}")
    assert kunming["geonames"] == [{"str": geonames.rstrip("/").rsplit("/", 1)[1]}]
    date = one(f"SELECT ?v WHERE {{ <{ID}instrument/kunming-montreal-global-biodiversity-framework> <http://data.europa.eu/eli/ontology#date_document> ?v }}")
    assert gbf["date"] == [{"date": date + "T00:00:00Z"}]
    assert body["rows"][ID + "state/nowhere"] == {p: [] for p in pids}


def test_partial_dates_stay_strings(client, store):
    rows = store.select(
        """SELECT ?s ?v WHERE { ?s <http://www.w3.org/ns/org#hasMembership>/<http://www.w3.org/ns/org#memberDuring>/
        <http://www.w3.org/2006/time#hasBeginning>/<http://www.w3.org/2006/time#inXSDgYear> ?v } LIMIT 1"""
    )
    state, year = str(rows[0]["s"]), str(rows[0]["v"])
    body = client.post("/reconcile", data={"extend": json.dumps({"ids": [state], "properties": [{"id": "membership_start"}]})}).get_json()
    assert {"str": year} in body["rows"][state]["membership_start"]


# -- an OpenRefine-like round trip against a real server -------------------------------------------------


@pytest.fixture(scope="module")
def server(release, settings, tmp_path_factory):
    with ScographServe(settings.build_dir, tmp_path_factory.mktemp("serve") / "serve.log", "--workers", "1") as srv:
        yield srv.url


def test_openrefine_round_trip(server):
    session = requests.Session()
    # 1. OpenRefine reads the manifest with JSONP when a service is added.
    text = session.get(server + "/reconcile", params={"callback": "jsonp1"}, timeout=30).text
    manifest = json.loads(text[len("/**/jsonp1(") : -2])
    validate(manifest, schemas.MANIFEST)
    service = server + "/reconcile"
    assert manifest["suggest"]["entity"]["service_url"] == service
    # 2. A batch of 10 mixed names, each with the column's type, as a form POST.
    column = [
        ("China", "state"), ("俄罗斯", "state"), ("Kazakhstan", "state"), ("India", "state"), ("Pakistan", "state"),
        ("Kunming-Montreal GBF", "instrument"), ("2030 Agenda for Sustainable Development", "instrument"),
        ("SCO", "organisation"), ("Qingdao", "place"), ("Target 3", "gbf-target"),
    ]
    queries = {f"q{i}": {"query": name, "type": kind, "type_strict": "should"} for i, (name, kind) in enumerate(column)}
    validate(queries, schemas.QUERY_BATCH)
    r = session.post(service, data={"queries": json.dumps(queries, ensure_ascii=False)}, timeout=30)
    assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == "*"
    results = r.json()
    validate(results, schemas.RESULT_BATCH)
    matched = {}
    for i, (name, kind) in enumerate(column):
        best = results[f"q{i}"]["result"][0]
        assert best["match"] is True and best["type"][0]["id"] == kind, (name, best)
        matched[name] = best["id"]
    # 3. A preview for each match, through the manifest's URL template.
    for iri in matched.values():
        preview = session.get(manifest["preview"]["url"].replace("{{id}}", iri), timeout=30)
        assert preview.status_code == 200 and preview.headers["Content-Type"].startswith("text/html")
    # 4. Propose properties for the states' type, then extend the matched states.
    proposal = session.get(service + manifest["extend"]["propose_properties"]["service_path"], params={"type": "state"}, timeout=30).json()
    validate(proposal, schemas.PROPOSE_PROPERTIES)
    wanted = [p for p in proposal["properties"] if p["id"] in ("wikidata", "membership_role", "membership_start")]
    states = [matched[name] for name, kind in column if kind == "state"]
    extension = session.post(service, data={"extend": json.dumps({"ids": states, "properties": [{"id": p["id"]} for p in wanted]})}, timeout=30).json()
    validate(extension, schemas.EXTEND_RESPONSE)
    for iri in states:
        row = extension["rows"][iri]
        assert row["wikidata"][0]["str"].startswith("Q") and row["membership_role"][0]["name"]
