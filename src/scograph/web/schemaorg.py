"""The JSON-LD every page embeds (``<script type="application/ld+json">``), in schema.org terms.

Search engines read schema.org, not ELI or W3C ORG, so each page restates its
resource with the nearest schema.org type and properties. The context is
written inline (``@vocab``) rather than as the URL ``https://schema.org``, so
the block parses offline.
"""

from __future__ import annotations

import json

from markupsafe import Markup
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, SKOS

from scograph.namespaces import ELI, ORG, SCHEMA

SCHEMA_CONTEXT = {"@vocab": "https://schema.org/"}

#: Local names of scograph classes (and reused ones) -> the schema.org type used for them.
TYPE_MAP: dict[str, str] = {
    "Initiative": "Legislation",
    "PolicyDocument": "Legislation",
    "LanguageVersion": "Legislation",
    "Clause": "LegislationObject",
    "OpeningParagraph": "LegislationObject",
    "PreambularClause": "LegislationObject",
    "Chapeau": "LegislationObject",
    "OperativeClause": "LegislationObject",
    "Commitment": "LegislationObject",
    "ClosingParagraph": "LegislationObject",
    "SignatureBlock": "LegislationObject",
    "ClauseItem": "LegislationObject",
    "Instrument": "Legislation",
    "Agreement": "Legislation",
    "Convention": "Legislation",
    "Statement": "Legislation",
    "Conception": "Legislation",
    "Framework": "Legislation",
    "Resolution": "Legislation",
    "LeadersConsensus": "Legislation",
    "Letter": "CreativeWork",
    "Event": "Event",
    "ForumMeeting": "Event",
    "Summit": "Event",
    "Conference": "Event",
    "ThematicYear": "Event",
    "Forum": "Organization",
    "InternationalOrganization": "Organization",
    "Secretariat": "Organization",
    "GovernmentBody": "GovernmentOrganization",
    "Organization": "Organization",
    "FormalOrganization": "Organization",
    "State": "Country",
    "City": "City",
    "Person": "Person",
    "Membership": "OrganizationRole",
    "Concept": "DefinedTerm",
    "ConceptScheme": "DefinedTermSet",
    "Dataset": "Dataset",
    "Ontology": "DefinedTermSet",
}

#: Properties restated in schema.org terms (value kind decides: IRIs become {"@id"}, literals stay).
PROPERTY_MAP: dict[str, str] = {
    str(ELI.cites): "citation",
    "https://w3id.org/scograph/ontology#mentions": "mentions",
    str(ELI.is_about): "about",
    str(ELI.is_part_of): "isPartOf",
    str(ELI.has_part): "hasPart",
    str(ELI.date_document): "legislationDate",
    str(DCTERMS.description): "description",
    str(SKOS.definition): "description",
    str(DCTERMS.identifier): "identifier",
    str(DCTERMS.license): "license",
    str(DCTERMS.creator): "creator",
    str(DCTERMS.spatial): "spatialCoverage",
    str(ORG.memberOf): "memberOf",
    str(ORG.organization): "memberOf",
    str(ORG.member): "member",
    "https://w3id.org/scograph/ontology#text": "text",
    "https://w3id.org/scograph/ontology#position": "position",
}

_SCHEMA_NS = str(SCHEMA)


def _local(iri: str) -> str:
    return iri.replace("#", "/").rstrip("/").rsplit("/", 1)[-1]


def _literal(lit: Literal):
    if lit.language:
        return {"@value": str(lit), "@language": lit.language}
    return lit.toPython() if isinstance(lit.toPython(), (int, float, bool)) else str(lit)


def _named(graph: Graph, iri: URIRef, page_url: str | None) -> dict:
    from scograph.describe import LABEL_PROPERTIES

    node: dict = {"@id": str(iri)}
    names = [_literal(o) for p in LABEL_PROPERTIES for o in graph.objects(iri, URIRef(p)) if isinstance(o, Literal)]
    if names:
        node["name"] = names
    if page_url:
        node["url"] = page_url
    return node


def structured_data(graph: Graph, subject: URIRef, page_url: str, link_url) -> dict:
    """schema.org JSON-LD for ``subject`` from its description graph.

    ``link_url`` maps an IRI to its local page URL (or ``None`` for outside IRIs).
    """
    from scograph.describe import LABEL_PROPERTIES

    types = sorted({TYPE_MAP[_local(str(t))] for t in graph.objects(subject, RDF.type) if _local(str(t)) in TYPE_MAP})
    node: dict = {"@context": SCHEMA_CONTEXT, "@id": str(subject), "@type": types or ["Thing"], "url": page_url}
    names = [_literal(o) for p in LABEL_PROPERTIES for o in graph.objects(subject, URIRef(p)) if isinstance(o, Literal)]
    if names:
        node["name"] = sorted(names, key=json.dumps)
    same_as = sorted(
        str(o) for p in (OWL.sameAs, SKOS.exactMatch) for o in graph.objects(subject, p) if isinstance(o, URIRef)
    )
    if same_as:
        node["sameAs"] = same_as
    for p, o in sorted(graph.predicate_objects(subject)):
        p_iri = str(p)
        key = PROPERTY_MAP.get(p_iri) or (p_iri[len(_SCHEMA_NS) :] if p_iri.startswith(_SCHEMA_NS) else None)
        if key is None:
            continue
        if isinstance(o, Literal):
            value = _literal(o)
        elif isinstance(o, URIRef):
            value = _named(graph, o, link_url(str(o)))
        else:
            continue
        node.setdefault(key, []).append(value)
    return node


def script_tag(data: dict) -> Markup:
    """The ``<script>`` element; ``</`` is escaped so no text can close the tag early."""
    text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True).replace("</", "<\\/")
    return Markup(f'<script type="application/ld+json">\n{text}\n</script>')
