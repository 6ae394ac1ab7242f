"""What kinds of resource the index knows, and the properties data extension offers.

A resource's kind is the first entry of :data:`KINDS` whose classes it is an
instance of (through ``rdfs:subClassOf*``). The same ids are the ``kind=``
filter of ``/search`` and the type ids of the reconciliation service.
"""

from __future__ import annotations

from dataclasses import dataclass

SCOG = "ontology#"  # relative to the base IRI
ORG = "http://www.w3.org/ns/org#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
FOAF = "http://xmlns.com/foaf/0.1/"


@dataclass(frozen=True)
class Kind:
    id: str
    en: str
    zh: str
    #: Class IRIs; a leading "ontology#" is relative to the base IRI.
    classes: tuple[str, ...] = ()
    #: Instead of classes: members of this SKOS concept scheme (relative to ``{base}id/``).
    scheme: str | None = None


#: In order of precedence (a state is also an org:FormalOrganization: state comes first).
KINDS: tuple[Kind, ...] = (
    Kind("document", "policy document", "政策文件", (SCOG + "PolicyDocument",)),
    Kind("clause", "clause", "条款", (SCOG + "Clause", SCOG + "ClauseItem")),
    Kind("instrument", "instrument", "文书", (SCOG + "Instrument",)),
    Kind("event", "event", "活动", (SCOG + "Event",)),
    Kind("state", "state", "国家", (SCOG + "State",)),
    Kind("organisation", "organisation", "组织", (ORG + "Organization", ORG + "FormalOrganization", ORG + "OrganizationalUnit")),
    Kind("place", "place", "地点", (SCOG + "City",)),
    Kind("gbf-target", "GBF target", "全球生物多样性框架具体目标", (SCOG + "GBFTarget",)),
    Kind("gbf-goal", "GBF goal", "全球生物多样性框架目标", (SCOG + "GBFGoal",)),
    Kind("sdg", "SDG", "可持续发展目标", (SCOG + "SustainableDevelopmentGoal",)),
    Kind("topic", "topic", "主题", scheme="concept-scheme/topic"),
    Kind("mechanism", "mechanism", "机制", (SCOG + "Mechanism",)),
    Kind("person", "person", "人物", (FOAF + "Person",)),
    Kind("concept", "concept", "概念", (SKOS + "Concept", SKOS + "ConceptScheme", SKOS + "Collection")),
)
OTHER = Kind("other", "other", "其他")
KIND_BY_ID: dict[str, Kind] = {k.id: k for k in (*KINDS, OTHER)}


@dataclass(frozen=True)
class ExtensionProperty:
    """A property data extension can fetch (``/reconcile`` ``extend``), precomputed at build time."""

    id: str
    name: str
    #: Kinds it is proposed for (``propose_properties``); empty: every kind.
    kinds: tuple[str, ...] = ()


EXTENSION_PROPERTIES: tuple[ExtensionProperty, ...] = (
    ExtensionProperty("kind", "kind"),
    ExtensionProperty("label_en", "English label"),
    ExtensionProperty("label_zh", "Chinese label"),
    ExtensionProperty("date", "date (of the document, adoption, start or founding)", ("document", "instrument", "event", "organisation")),
    ExtensionProperty("wikidata", "Wikidata QID", ("state", "organisation", "place", "person", "sdg", "instrument")),
    ExtensionProperty("geonames", "GeoNames ID", ("place", "state")),
    ExtensionProperty("identifier", "identifier (ISO 3166 alpha-3, decision symbol)", ("state", "instrument")),
    ExtensionProperty("notation", "notation", ("gbf-target", "gbf-goal", "sdg")),
    ExtensionProperty("membership_role", "membership role", ("state",)),
    ExtensionProperty("membership_organisation", "member of", ("state",)),
    ExtensionProperty("membership_start", "membership start", ("state",)),
    ExtensionProperty("cites", "cites (instruments)", ("clause",)),
    ExtensionProperty("mentions", "mentions", ("clause",)),
    ExtensionProperty("about", "is about (topics)", ("clause",)),
    ExtensionProperty("part_of", "part of", ("clause",)),
    ExtensionProperty("text_en", "English text", ("clause",)),
    ExtensionProperty("text_zh", "Chinese text", ("clause",)),
)
PROPERTY_BY_ID: dict[str, ExtensionProperty] = {p.id: p for p in EXTENSION_PROPERTIES}
