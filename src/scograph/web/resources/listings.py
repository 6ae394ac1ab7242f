"""The lists ``/browse`` and the 404 page show: label search hits, the classes, a class's members.

Separate because they are queries over the whole dataset, not about one
resource: the routes and the not-found page share them.
"""

from __future__ import annotations

from urllib.parse import quote

from scograph import describe
from scograph.web import i18n, origin
from scograph.web.presentation import Label, choose_labels, compact, term_labels
from scograph.web.resources.context import current_store, site

#: How many search hits the 404 page and /browse?q= show.
SEARCH_LIMIT = 50


def _string_literal(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("\r", " ")
    return f'"{escaped}"'


def search_labels(query: str) -> list[dict]:
    """Resources whose label contains ``query`` (case-insensitive), best (shortest) labels first."""
    query = query.strip()[:100]
    if not query:
        return []
    values = " ".join(f"<{p}>" for p in describe.LABEL_PROPERTIES)
    rows = current_store().select(
        f"""SELECT ?s (SAMPLE(?label) AS ?l) WHERE {{
  VALUES ?lp {{ {values} }}
  ?s ?lp ?label .
  FILTER(isIRI(?s) && CONTAINS(LCASE(STR(?label)), LCASE({_string_literal(query)})))
}} GROUP BY ?s ORDER BY STRLEN(STR(?l)) LIMIT {SEARCH_LIMIT}"""
    )
    s = site()
    # Each hit by its name in the reader's language when it has one (the matching name may be the other one).
    names = describe.labels(current_store(), [str(r["s"]) for r in rows])
    hits = []
    for r in rows:
        matched = Label(str(r["l"]), r["l"].language)
        preferred = choose_labels(names.get(str(r["s"]), []))
        label = matched if matched.lang == i18n.current_language() or not preferred else preferred[0]
        hits.append({"iri": str(r["s"]), "href": s.page_url(str(r["s"])), "label": label})
    return hits


def class_index() -> list[dict]:
    rows = current_store().select(
        "SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class ORDER BY DESC(?n) ?class"
    )
    labels = describe.labels(current_store(), [str(r["class"]) for r in rows])
    base = current_store().base_iri
    own = base + "ontology#"
    # The kinds the documents are made of (scograph's own classes) come first, then the reused
    # vocabularies' classes (skos:Concept, owl:Class, sh:NodeShape...); each part by how many.
    rows = sorted(rows, key=lambda r: not str(r["class"]).startswith(own))
    return [
        {
            "iri": str(r["class"]),
            "labels": choose_labels(labels.get(str(r["class"]), [])) or term_labels(str(r["class"])),
            "compact": compact(str(r["class"]), base),
            "count": int(r["n"].toPython()),
            "href": f"{origin.link_root()}browse?class={quote(str(r['class']), safe='')}",
        }
        for r in rows
    ]


def class_members(class_iri: str) -> list[dict]:
    rows = current_store().select(f"SELECT DISTINCT ?s WHERE {{ ?s a <{class_iri}> . FILTER(isIRI(?s)) }} ORDER BY ?s LIMIT 1000")
    iris = [str(r["s"]) for r in rows]
    labels = describe.labels(current_store(), iris)
    s = site()
    members = [{"iri": i, "href": s.page_url(i), "labels": choose_labels(labels.get(i, [])), "compact": compact(i, s.base)} for i in iris]
    return sorted(members, key=lambda m: (m["labels"][0].text.lower() if m["labels"] else m["compact"]))
