"""``GET /search``: bilingual full-text search over the release's index.

HTML for browsers, JSON for ``Accept: application/json`` (or ``format=json``).
Parameters: ``q`` (required, at most :data:`MAX_QUERY_CHARS`), ``page`` and
``per_page`` (capped), ``kind`` (repeatable or comma-separated kind ids) and
``text`` (``zh`` or ``en``: matches in that language's text; ``lang`` is the
interface language, as on every page). What the user typed never reaches FTS5
as syntax (:mod:`scograph.search.query`). The index is the release's
``search.sqlite``, opened read-only; with ``serve --store URL`` it is the local
release's file.

Page links are relative (``origin.link_root``); the JSON's ``url``, ``next`` and
``previous`` are absolute under the public URL (``origin.public_root``), never
the request's ``Host``.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from markupsafe import Markup, escape

from scograph.search.highlight import MARK_END, MARK_START
from scograph.search.index import Hit, SearchIndex
from scograph.search.kinds import KIND_BY_ID, KINDS
from scograph.search.segment import CJK_RUN
from scograph.web import http, i18n, origin

bp = Blueprint("search", __name__)

MAX_QUERY_CHARS = 400
MAX_PAGE = 100
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
TEXT_LANGUAGES = ("zh", "en")


def error_text(key: str, **values) -> str:
    """An error message: in the reader's language on an error page, in English in JSON (for programs)."""
    return i18n.text(key, None if http.wants_html() else "en", **values)


def search_index() -> SearchIndex:
    """The app's index, or a 503 that says why there is none."""
    index = current_app.extensions.get("scograph.search")
    if index is None:
        abort(503, description=error_text("search.error.no_index"))
    return index


def marked_html(marked: str) -> Markup:
    """Escape a marked string, then turn the marks into ``<mark>`` elements."""
    return Markup(str(escape(marked)).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))


def _int_param(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        abort(400, description=error_text("search.error.not_a_number", name=name, low=low, high=high, value=repr(raw[:40])))
    if not low <= value <= high:
        abort(400, description=error_text("search.error.out_of_range", name=name, low=low, high=high, value=value))
    return value


def _kinds_param() -> list[str]:
    kinds = [k.strip() for raw in request.args.getlist("kind") for k in raw.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in KIND_BY_ID]
    if unknown:
        abort(400, description=error_text("search.error.unknown_kind", kind=repr(unknown[0][:40]), choices=", ".join(KIND_BY_ID)))
    return sorted(set(kinds))


def _wants_json() -> bool:
    if request.args.get("format") == "json":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes["application/json"] > request.accept_mimetypes["text/html"]


def absolute_url(relative: str) -> str:
    """A page path of the index (``doc/state/chn``) as an absolute URL under the public URL."""
    return origin.public_root() + relative


def hit_view(hit: Hit) -> dict:
    kind = KIND_BY_ID.get(hit.kind, KIND_BY_ID["other"])
    return {
        "id": hit.iri,
        "labels": hit.labels,
        "label": hit.label_en or hit.label_zh or hit.iri,
        "kind": hit.kind,
        "kind_label": {"en": kind.en, "zh": kind.zh},
        "url": absolute_url(hit.url),
        "href": origin.link_root() + hit.url,  # the page's link (relative); not in the JSON
        "lang": hit.lang or None,
        "label_html": marked_html(hit.label_marked),
        "label_lang": "zh" if CJK_RUN.search(hit.label_marked) else "en",
        "snippet": marked_html(hit.snippet_marked),
        "score": hit.score,
    }


@bp.get("/search")
def search() -> Response | str:
    wants_json = _wants_json()
    query = (request.args.get("q") or "").strip()
    if len(query) > MAX_QUERY_CHARS:
        abort(400, description=error_text("search.error.too_long", length=len(query), limit=MAX_QUERY_CHARS))
    page = _int_param("page", 1, 1, MAX_PAGE)
    per_page = _int_param("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    kinds = _kinds_param()
    text_lang = request.args.get("text") or None
    if text_lang is not None and text_lang not in TEXT_LANGUAGES:
        abort(400, description=error_text("search.error.bad_text", choices=", ".join(TEXT_LANGUAGES), value=repr(text_lang[:20])))
    if not query and wants_json:
        abort(400, description=error_text("search.error.no_query"))
    result = search_index().search(query, kinds=kinds or None, lang=text_lang, page=page, per_page=per_page) if query else None
    hits = [hit_view(h) for h in result.hits] if result else []
    total = result.total if result else 0

    def page_url(n: int, root: str) -> str | None:
        if n < 1 or (n - 1) * per_page >= total or n > MAX_PAGE:
            return None
        params = [("q", query), ("page", n), ("per_page", per_page), *[("kind", k) for k in kinds]]
        if text_lang:
            params.append(("text", text_lang))
        return f"{root}search?{urlencode(params)}"

    if wants_json:
        return jsonify(
            {
                "query": query,
                "total": total,
                "page": page,
                "per_page": per_page,
                "mode": result.mode if result else "all",
                "suggestion": result.suggestion if result else None,
                "hits": [{**{k: v for k, v in h.items() if k != "href"}, "label_html": str(h["label_html"]), "snippet": str(h["snippet"])} for h in hits],
                "next": page_url(page + 1, origin.public_root()),
                "previous": page_url(page - 1, origin.public_root()),
            }
        )
    return render_template(
        "search.html",
        query=query,
        hits=hits,
        total=total,
        page=page,
        per_page=per_page,
        mode=result.mode if result else None,
        suggestion=result.suggestion if result else None,
        kinds=KINDS,
        chosen_kinds=kinds,
        text_lang=text_lang,
        next_url=page_url(page + 1, origin.link_root()),
        previous_url=page_url(page - 1, origin.link_root()),
    )
