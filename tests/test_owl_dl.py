"""The ontology is OWL 2 DL (the OWL API's profile checker) and a DL reasoner (HermiT) accepts it,
finds it consistent and every class satisfiable. Neither tool shares code with scograph."""

from __future__ import annotations

import rdflib
from rdflib.namespace import OWL, RDF, RDFS

from tests.conftest import REPO
from tests.independent_tools import hermit, owl2_dl_profile_violations

ONTOLOGY = REPO / "ontology" / "scograph.ttl"
SCOG = "https://w3id.org/scograph/ontology#"


def test_the_ontology_is_in_the_owl2_dl_profile():
    assert owl2_dl_profile_violations(ONTOLOGY) == []


def test_the_profile_checker_catches_what_made_the_ontology_not_dl(tmp_path):
    """The checker is not blind: an undeclared class and an xsd:date range are reported."""
    broken = tmp_path / "broken.ttl"
    broken.write_text(
        ONTOLOGY.read_text("utf-8")
        + "\nscog:Extra a owl:Class ; rdfs:subClassOf <http://example.org/Undeclared> .\n"
        + "scog:extraDate a owl:DatatypeProperty ; rdfs:range xsd:date .\n",
        "utf-8",
    )
    kinds = {line.split("\t", 1)[0] for line in owl2_dl_profile_violations(broken)}
    assert {"UseOfUndeclaredClass", "UseOfUndeclaredDatatype"} <= kinds


def test_hermit_classifies_the_ontology_and_every_class_is_satisfiable():
    done = hermit(ONTOLOGY, "--classify", "--consistency", "--unsatisfiable")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "cannot handle" not in done.stdout + done.stderr
    assert "owl#Thing is satisfiable" in done.stdout
    after = done.stdout.split("Classes equivalent to 'owl:Nothing':\n", 1)[1].splitlines()
    unsatisfiable = [line.strip() for line in after[: next(i for i, l in enumerate(after) if not l.startswith("\t"))]]
    assert unsatisfiable == ["owl:Nothing"]
    # The classification is the ontology's own hierarchy, as HermiT infers it.
    assert f"SubClassOf( <{SCOG}Convention> <{SCOG}Agreement> )" in done.stdout


def test_ranges_outside_the_owl2_datatype_map_say_why():
    graph = rdflib.Graph().parse(ONTOLOGY)
    literal_ranged = [p for p in graph.subjects(RDFS.range, RDFS.Literal) if (p, RDF.type, OWL.DatatypeProperty) in graph]
    assert literal_ranged
    for prop in literal_ranged:
        comment = str(graph.value(prop, RDFS.comment) or "")
        assert "OWL 2 datatype map" in comment, f"{prop} has range rdfs:Literal without saying why"
