"""``/reconcile``: a W3C Reconciliation Service API 0.2 endpoint (the version OpenRefine speaks).

- ``GET /reconcile`` (optionally ``?callback=fn``, JSONP as OpenRefine uses): the manifest.
- ``GET|POST /reconcile`` with ``queries={"q0": {"query": ..., "type": ..., "limit": ...,
  "properties": [{"pid": ..., "v": ...}]}, ...}``: candidates per query, scored 0..100,
  ``match`` when certain (exact name or Wikidata QID, and no other exact candidate).
- ``GET|POST /reconcile`` with ``extend={"ids": [...], "properties": [{"id": ...}]}``: data extension.
- ``/reconcile/suggest/{entity,type,property}?prefix=``, ``/reconcile/properties?type=``
  (property proposals), ``/reconcile/preview?id=`` (an HTML card), ``/reconcile/view?id=`` (303 to the page).

Type ids are the kind ids of :mod:`scograph.search.kinds` (``state``, ``instrument``...);
entity ids are the resources' IRIs. Everything is read from the release's search index,
so reconciliation works the same with ``serve --store URL``. CORS comes from
:mod:`scograph.web.http`; limits below keep one request cheap.

The manifest's service URLs must be absolute (the spec), so they come from the
public URL (:func:`scograph.web.origin.public_root`), never the request's ``Host``;
``/view`` redirects to a relative path. The JSON is for programs and stays in
English; the preview card is a page and speaks the reader's language.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request

from scograph import __version__
from scograph.search.index import Candidate, SearchIndex
from scograph.search.kinds import EXTENSION_PROPERTIES, KIND_BY_ID, KINDS, PROPERTY_BY_ID
from scograph.search.matching import normalize
from scograph.web import origin
from scograph.web.search import error_text, search_index

bp = Blueprint("reconcile", __name__, url_prefix="/reconcile")

MAX_BATCH = 100  # queries in one batch (OpenRefine sends 10 at a time)
MAX_QUERY_CHARS = 400
MAX_LIMIT = 25
DEFAULT_LIMIT = 5
MAX_PROPERTIES = 10  # property constraints per query
MAX_EXTEND_IDS = 500
MAX_EXTEND_PROPERTIES = 20
MAX_BODY_BYTES = 1024 * 1024
MATCH_SCORE = 99.0  # an exact (normalised) name scores 100
PROPERTY_WEIGHT = 0.3  # share of the score given to property constraints, when there are any
_CALLBACK = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$.]{0,63}$")


def _param(name: str) -> str | None:
    if request.content_length and request.content_length > MAX_BODY_BYTES:
        abort(413, description=f"The request body is over {MAX_BODY_BYTES // 1024} KB; send smaller batches.")
    return request.values.get(name)


def _json_param(name: str) -> Any:
    raw = _param(name)
    try:
        return json.loads(raw)
    except (TypeError, ValueError) as exc:
        abort(400, description=f"The {name} parameter is not valid JSON ({exc}).")


def _answer(payload: Any) -> Response:
    """JSON, or JSONP when ``callback`` names a function."""
    callback = request.values.get("callback")
    if callback is None:
        return jsonify(payload)
    if not _CALLBACK.match(callback):
        abort(400, description="The callback parameter must be a JavaScript function name (letters, digits, _ $ .).")
    body = f"/**/{callback}({json.dumps(payload, ensure_ascii=False)});"
    return Response(body, mimetype="application/javascript")


def _type(kind_id: str) -> dict:
    kind = KIND_BY_ID[kind_id]
    return {"id": kind.id, "name": kind.en}


def manifest() -> dict:
    base = search_index().base_iri
    root = origin.public_root() + "reconcile"
    return {
        "versions": ["0.1", "0.2"],
        "name": "scograph: SCO green development policy documents",
        "identifierSpace": base + "id/",
        "schemaSpace": base + "ontology#",
        "documentation": origin.public_root() + "#reconcile",
        "serviceVersion": __version__,
        "defaultTypes": [_type(k.id) for k in KINDS],
        "view": {"url": root + "/view?id={{id}}"},
        "preview": {"url": root + "/preview?id={{id}}", "width": 420, "height": 180},
        "suggest": {
            "entity": {"service_url": root, "service_path": "/suggest/entity"},
            "type": {"service_url": root, "service_path": "/suggest/type"},
            "property": {"service_url": root, "service_path": "/suggest/property"},
        },
        "extend": {
            "propose_properties": {"service_url": root, "service_path": "/properties"},
            "property_settings": [],
        },
    }


@bp.route("", methods=["GET", "POST"])
def service() -> Response:
    if _param("queries") is not None:
        return _answer(reconcile_batch(_json_param("queries")))
    if _param("extend") is not None:
        return _answer(extend(_json_param("extend")))
    if _param("query") is not None:  # API 0.1 single query: a bare string or one query object
        raw = _param("query")
        try:
            single = json.loads(raw)
        except ValueError:
            single = raw
        query = single if isinstance(single, dict) else {"query": str(single)}
        return _answer(reconcile_batch({"q0": query})["q0"])
    return _answer(manifest())


# -- reconciliation -------------------------------------------------------------------------


def _types_of(key: str, query: dict) -> list[str]:
    raw = query.get("type")
    if raw is None or raw == "":
        return []
    types = raw if isinstance(raw, list) else [raw]
    out = []
    for t in types:
        t = t.get("id") if isinstance(t, dict) else t
        if not isinstance(t, str) or t not in KIND_BY_ID:
            abort(400, description=f"Query {key}: unknown type {str(t)[:40]!r}; use one of: " + ", ".join(KIND_BY_ID) + ".")
        out.append(t)
    return out


def _constraint_values(v: Any) -> list[str]:
    values = v if isinstance(v, list) else [v]
    out = []
    for value in values:
        if isinstance(value, dict):
            value = value.get("id") or value.get("name") or ""
        out.append(normalize(str(value)))
    return [v for v in out if v]


def _property_fraction(index: SearchIndex, candidate: Candidate, constraints: list[tuple[str, list[str]]]) -> float:
    """Share of the constraints that the candidate's stored values satisfy."""
    stored = index.properties(candidate.iri, [pid for pid, _ in constraints])
    satisfied = 0
    for pid, wanted in constraints:
        have = {normalize(x) for value, ref_iri, ref_label in stored[pid] for x in (value, ref_iri or "", ref_label or "") if x}
        if any(w in have for w in wanted):
            satisfied += 1
    return satisfied / len(constraints)


def _check_query(key: str, query: Any) -> tuple[str, list[str], int, list[tuple[str, list[str]]]]:
    if not isinstance(query, dict):
        abort(400, description=f"Query {key} must be an object such as {{\"query\": \"China\", \"type\": \"state\"}}.")
    text = query.get("query")
    if not isinstance(text, str) or not text.strip():
        abort(400, description=f"Query {key} has no \"query\" string.")
    if len(text) > MAX_QUERY_CHARS:
        abort(400, description=f"Query {key} is {len(text)} characters long; at most {MAX_QUERY_CHARS} are allowed.")
    limit = query.get("limit", DEFAULT_LIMIT)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        abort(400, description=f"Query {key}: limit must be a positive whole number.")
    constraints = query.get("properties") or []
    if not isinstance(constraints, list) or len(constraints) > MAX_PROPERTIES:
        abort(400, description=f"Query {key}: properties must be a list of at most {MAX_PROPERTIES} {{\"pid\", \"v\"}} objects.")
    checked = []
    for c in constraints:
        pid = c.get("pid") if isinstance(c, dict) else None
        if pid not in PROPERTY_BY_ID:
            abort(400, description=f"Query {key}: unknown property {str(pid)[:40]!r}; see /reconcile/suggest/property.")
        checked.append((pid, _constraint_values(c.get("v"))))
    return text.strip(), _types_of(key, query), min(limit, MAX_LIMIT), checked


def reconcile_one(index: SearchIndex, text: str, types: list[str], limit: int, constraints) -> dict:
    candidates = index.candidates(text, kinds=types or None, limit=max(limit * 4, 20) if constraints else limit + 1)
    for c in candidates:
        if constraints:
            c.score = round((1 - PROPERTY_WEIGHT) * c.score + PROPERTY_WEIGHT * 100 * _property_fraction(index, c, constraints), 2)
    candidates.sort(key=lambda c: (-c.score, c.iri))
    # Certain: the best is an exact name (or QID) and nothing else scores as high.
    certain = (
        candidates[0]
        if candidates and candidates[0].score >= MATCH_SCORE and (len(candidates) == 1 or candidates[1].score < candidates[0].score)
        else None
    )
    result = []
    for c in candidates[:limit]:
        other = c.label_zh if c.label_en and c.name == c.label_en else c.label_en
        description = " · ".join(x for x in (KIND_BY_ID[c.kind].en, other) if x)
        result.append(
            {
                "id": c.iri,
                "name": c.name,
                "description": description,
                "type": [_type(c.kind)],
                "score": c.score,
                "match": c is certain,
            }
        )
    return {"result": result}


def reconcile_batch(queries: Any) -> dict:
    if not isinstance(queries, dict) or not queries:
        abort(400, description="The queries parameter must be a JSON object of named queries: {\"q0\": {\"query\": \"China\"}}.")
    if len(queries) > MAX_BATCH:
        abort(400, description=f"The batch has {len(queries)} queries; at most {MAX_BATCH} are allowed per request.")
    checked = {str(key): _check_query(str(key), q) for key, q in queries.items()}
    index = search_index()
    return {key: reconcile_one(index, *args) for key, args in checked.items()}


# -- data extension ----------------------------------------------------------------------------


def _values(pid: str, stored: list[tuple[str, str | None, str | None]]) -> list[dict]:
    out = []
    for value, ref_iri, ref_label in stored:
        if ref_iri:
            out.append({"id": ref_iri, "name": ref_label or ref_iri})
        elif pid in ("date", "membership_start") and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            out.append({"date": value + "T00:00:00Z"})
        elif pid == "kind":
            out.append({"str": KIND_BY_ID[value].en})
        else:
            # Partial dates (2018-06, 2012) stay strings: a full date would claim a day nobody gave.
            out.append({"str": value})
    return out


def extend(request_body: Any) -> dict:
    if not isinstance(request_body, dict):
        abort(400, description="The extend parameter must be a JSON object: {\"ids\": [...], \"properties\": [{\"id\": \"date\"}]}.")
    ids, properties = request_body.get("ids"), request_body.get("properties")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        abort(400, description="extend: ids must be a list of entity ids (IRIs) as strings.")
    if not isinstance(properties, list) or not properties:
        abort(400, description="extend: properties must be a non-empty list of {\"id\": ...} objects.")
    if len(ids) > MAX_EXTEND_IDS or len(properties) > MAX_EXTEND_PROPERTIES:
        abort(400, description=f"extend: at most {MAX_EXTEND_IDS} ids and {MAX_EXTEND_PROPERTIES} properties per request.")
    pids = []
    for p in properties:
        pid = p.get("id") if isinstance(p, dict) else None
        if pid not in PROPERTY_BY_ID:
            abort(400, description=f"extend: unknown property {str(pid)[:40]!r}; see /reconcile/properties.")
        pids.append(pid)
    index = search_index()
    rows = {}
    for iri in ids:
        stored = index.properties(iri, pids) if index.resource(iri) else {pid: [] for pid in pids}
        rows[iri] = {pid: _values(pid, stored[pid]) for pid in pids}
    return {"meta": [{"id": pid, "name": PROPERTY_BY_ID[pid].name} for pid in pids], "rows": rows}


@bp.get("/properties")
def propose_properties() -> Response:
    kind = request.args.get("type") or ""
    if kind and kind not in KIND_BY_ID:
        abort(400, description=f"Unknown type {kind[:40]!r}; use one of: " + ", ".join(KIND_BY_ID) + ".")
    limit = request.args.get("limit", type=int) or len(EXTENSION_PROPERTIES)
    chosen = [p for p in EXTENSION_PROPERTIES if not kind or not p.kinds or kind in p.kinds]
    return _answer({"type": kind, "properties": [{"id": p.id, "name": p.name} for p in chosen[: max(1, limit)]], "limit": limit})


# -- suggest, preview, view ---------------------------------------------------------------------


def _prefix() -> str:
    prefix = (request.args.get("prefix") or "").strip()
    if len(prefix) > MAX_QUERY_CHARS:
        abort(400, description=f"The prefix parameter is over {MAX_QUERY_CHARS} characters.")
    return prefix


def _cursor() -> int:
    raw = request.args.get("cursor") or "0"
    if not raw.isdigit() or int(raw) > 1000:
        abort(400, description="The cursor parameter must be a whole number from 0 to 1000.")
    return int(raw)


@bp.get("/suggest/entity")
def suggest_entity() -> Response:
    prefix, cursor = _prefix(), _cursor()
    types = [t for t in (request.args.get("type") or "").split(",") if t]
    for t in types:
        if t not in KIND_BY_ID:
            abort(400, description=f"Unknown type {t[:40]!r}; use one of: " + ", ".join(KIND_BY_ID) + ".")
    found = search_index().prefix_names(prefix, types or None, cursor + 10)[cursor:] if prefix else []
    result = [
        {
            "id": r["iri"],
            "name": r["label_en"] or r["label_zh"] or r["iri"],
            "description": " · ".join(x for x in (KIND_BY_ID[r["kind"]].en, r["label_zh"] if r["label_en"] else None) if x),
        }
        for r in found
    ]
    return _answer({"result": result})


@bp.get("/suggest/type")
def suggest_type() -> Response:
    prefix = normalize(_prefix())
    kinds = [k for k in KINDS if not prefix or prefix in normalize(k.en) or prefix in k.zh or prefix in k.id]
    return _answer({"result": [{"id": k.id, "name": k.en, "description": k.zh} for k in kinds]})


@bp.get("/suggest/property")
def suggest_property() -> Response:
    prefix = normalize(_prefix())
    chosen = [p for p in EXTENSION_PROPERTIES if not prefix or prefix in normalize(p.name) or prefix in p.id]
    return _answer({"result": [{"id": p.id, "name": p.name} for p in chosen]})


def _resource_or_404() -> dict:
    iri = request.args.get("id") or ""
    if not iri:
        abort(400, description=error_text("reconcile.error.no_id"))
    resource = search_index().resource(iri)
    if resource is None:
        abort(404, description=error_text("reconcile.error.unknown_id", iri=iri[:200]))
    return resource


@bp.get("/preview")
def preview() -> str:
    r = _resource_or_404()
    summary = r["summary"] or ""
    return render_template(
        "reconcile_preview.html",
        r=r,
        kind=KIND_BY_ID[r["kind"]],
        summary=summary if len(summary) <= 300 else summary[:300] + "…",
        href=origin.link_root() + r["url"],
    )


@bp.get("/view")
def view() -> Response:
    return redirect(origin.link_root() + _resource_or_404()["url"], code=303)
