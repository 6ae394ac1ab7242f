"""Every own term of the ontology is documented in en and zh and typed; the ontology is versioned."""

from __future__ import annotations

import pytest
import rdflib
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from tests.conftest import REPO

SCOG = "https://w3id.org/scograph/ontology#"
ONTOLOGY = rdflib.URIRef("https://w3id.org/scograph/ontology")


@pytest.fixture(scope="module")
def ontology() -> rdflib.Graph:
    return rdflib.Graph().parse(REPO / "ontology" / "scograph.ttl")


def _terms(graph: rdflib.Graph) -> list[rdflib.URIRef]:
    return sorted(s for s in set(graph.subjects()) if isinstance(s, rdflib.URIRef) and str(s).startswith(SCOG))


def test_ontology_has_a_version_iri(ontology):
    assert (ONTOLOGY, RDF.type, OWL.Ontology) in ontology
    assert ontology.value(ONTOLOGY, OWL.versionIRI) is not None
    assert ontology.value(ONTOLOGY, OWL.versionInfo) is not None


def test_every_term_has_labels_definitions_and_is_defined_by(ontology):
    terms = _terms(ontology)
    assert len(terms) > 40
    problems = []
    for term in terms:
        for predicate in (RDFS.label, SKOS.definition):
            langs = {o.language for o in ontology.objects(term, predicate)}
            if not {"en", "zh"} <= langs:
                problems.append(f"{term} {predicate} has {langs}")
        if ontology.value(term, RDFS.isDefinedBy) != ONTOLOGY:
            problems.append(f"{term} lacks rdfs:isDefinedBy")
    assert not problems, problems


def test_every_property_has_domain_and_range(ontology):
    properties = [t for t in _terms(ontology) if (t, RDF.type, OWL.ObjectProperty) in ontology or (t, RDF.type, OWL.DatatypeProperty) in ontology]
    assert properties
    assert [p for p in properties if ontology.value(p, RDFS.domain) is None or ontology.value(p, RDFS.range) is None] == []


def test_every_term_used_in_the_data_is_defined(ontology, release):
    nt = (release.path / "scograph.nt").read_text("utf-8")
    used = {token[1:-1] for token in nt.split() if token.startswith(f"<{SCOG}")} - {SCOG}
    defined = {str(t) for t in _terms(ontology)}
    assert used - defined == set()
