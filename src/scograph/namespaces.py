"""Namespaces used across scograph, and the canonical base IRI.

Every vocabulary IRI here was checked against the vocabulary's own terms
(see ``../shared/reference/facts.md`` section 6).
"""

from rdflib import Namespace
from rdflib.namespace import DCAT, DCTERMS, OWL, PROV, RDF, RDFS, SDO, SH, SKOS, TIME, VOID, XSD

DEFAULT_BASE_IRI = "https://w3id.org/scograph/"

SCOG = Namespace(DEFAULT_BASE_IRI + "ontology#")
SHAPES = Namespace(DEFAULT_BASE_IRI + "shapes#")
ELI = Namespace("http://data.europa.eu/eli/ontology#")
ORG = Namespace("http://www.w3.org/ns/org#")
SCHEMA = SDO  # https://schema.org/ (canonical form)
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
SDG = Namespace("http://metadata.un.org/sdg/")
SDGO = Namespace("http://metadata.un.org/sdg/ontology#")
WD = Namespace("http://www.wikidata.org/entity/")
EU_LANGUAGE = Namespace("http://publications.europa.eu/resource/authority/language/")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
SPDX = Namespace("http://spdx.org/rdf/terms#")

#: Prefixes written into every serialization (Turtle, TriG, JSON-LD context).
from scograph.prefixes import PREFIXES  # noqa: E402  (plain strings: see there)


def graph_iri(base_iri: str, name: str) -> str:
    """IRI of one of the release's named graphs (ontology, data, provenance, description, shapes)."""
    return f"{base_iri}graph/{name}"
