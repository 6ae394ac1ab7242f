"""The bulk SPARQL-constraint validator finds exactly what pyshacl finds."""

from __future__ import annotations

import pytest

from scograph.build import load_sources
from scograph.config import Settings
from scograph.sources import parse_turtle_file
from scograph.validate import validate_graphs
from scograph.validate.fast import split_constraints, validate_graphs_fast
from scograph.rdfconvert import to_rdflib
from tests.conftest import REPO

# One breach of every SPARQL-based constraint in the shapes (and a few core ones), in one file.
BREACHES = """\
@base <https://w3id.org/scograph/id/> .
@prefix scog: <https://w3id.org/scograph/ontology#> .
@prefix eli: <http://data.europa.eu/eli/ontology#> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .

# position 7 is op-1's already; op-2's number said again; op-3 claims number 9
<document/2024/green-development-initiative/clause/op-2> scog:position 7 .
<document/2024/green-development-initiative/clause/op-3> eli:number "2" .
# a clause its document does not list
<document/2024/green-development-initiative/clause/op-7> a scog:OperativeClause ;
    rdfs:label "Stray clause"@en ; eli:is_part_of <document/2024/green-development-initiative> ;
    scog:position 40 ; eli:number "8" ; scog:action <concept/action/implement> ;
    scog:text "不在文件中。"@zh , "Not in the document."@en ;
    prov:wasQuotedFrom <document/2024/green-development-initiative/source-text> .
# an item that does not quote its clause
<document/2024/green-development-initiative/clause/op-1/item/9> a scog:ClauseItem ;
    eli:is_part_of <document/2024/green-development-initiative/clause/op-1> ; scog:position 9 ;
    scog:text "没有引用。"@zh , "Not a quotation."@en ;
    prov:wasQuotedFrom <document/2024/green-development-initiative/source-text> .
# a state whose code does not match its IRI, a membership without a back-link
<state/xyz> a scog:State ; rdfs:label "Nowhere"@en , "无处"@zh ; dcterms:identifier "ABC" .
<membership/sco/xyz/member-state> a org:Membership ; rdfs:label "x"@en ;
    org:member <state/xyz> ; org:organization <organization/sco> ;
    org:role <concept/sco-role/member-state> ; org:memberDuring <membership/sco/xyz/member-state/interval> .
<membership/sco/xyz/member-state/interval> a <http://www.w3.org/2006/time#Interval> ;
    <http://www.w3.org/2006/time#hasBeginning> <membership/sco/xyz/member-state/start> .
<membership/sco/xyz/member-state/start> a <http://www.w3.org/2006/time#Instant> ;
    <http://www.w3.org/2006/time#inXSDgYear> "2030"^^<http://www.w3.org/2001/XMLSchema#gYear> .
# an IRI against the URI policy; a 24th GBF target; a concept without its zh label
<things/Not_Policy> a skos:Concept ; skos:prefLabel "Bad"@en .
<concept/gbf/target-24> a scog:GBFTarget , skos:Concept ; skos:prefLabel "Target 24"@en ;
    scog:targetNumber 24 ; skos:notation "GBF-TARGET-24" ; skos:inScheme <concept-scheme/gbf> .
<concept/topic/english-only> a skos:Concept ; skos:prefLabel "English only"@en ; skos:inScheme <concept-scheme/topic> .
# date bounds that claim a day for a month-precision start (and a leap-year February end);
# a GBF target whose label does not carry its title
<membership/sco/xyz/member-state/start> <https://w3id.org/scograph/ontology#earliestDate> "2030-01-01"^^<http://www.w3.org/2001/XMLSchema#date> ;
    <https://w3id.org/scograph/ontology#latestDate> "2030-12-30"^^<http://www.w3.org/2001/XMLSchema#date> .
<instrument/leap-test> a scog:Statement ; dcterms:title "Leap test"@en ;
    dcterms:date "2024-02"^^<http://www.w3.org/2001/XMLSchema#gYearMonth> ;
    <https://w3id.org/scograph/ontology#earliestDate> "2024-02-01"^^<http://www.w3.org/2001/XMLSchema#date> ;
    <https://w3id.org/scograph/ontology#latestDate> "2024-02-28"^^<http://www.w3.org/2001/XMLSchema#date> .
<concept/gbf/target-24> dcterms:title "Something else"@en .
"""


def _data_and_shapes(tmp_path, extra: str | None):
    sources = load_sources(Settings(source_root=REPO, build_dir=tmp_path / "build"))
    data = list(sources.data.triples + sources.ontology.triples + sources.record.triples)
    if extra is not None:
        path = tmp_path / "breaches.ttl"
        path.write_text("@prefix prov: <http://www.w3.org/ns/prov#> .\n" + extra, "utf-8")
        data += parse_turtle_file(path)
    return data, list(sources.shapes.triples)


@pytest.mark.parametrize("breaches", [False, True], ids=["real-data", "with-breaches"])
def test_same_results_as_pyshacl(tmp_path, breaches):
    data, shapes = _data_and_shapes(tmp_path, BREACHES if breaches else None)
    expected = validate_graphs(data, shapes)
    got = validate_graphs_fast(data, shapes)
    assert got.results == expected.results
    assert got.conforms == expected.conforms
    if breaches:
        assert len(expected.violations) >= 12  # each breach above was caught, by both
        messages = " ".join(r.message for r in expected.violations)
        assert "spans 2030-01-01 to 2030-12-31" in messages and "spans 2024-02-01 to 2024-02-29" in messages
        assert "followed by its title" in messages


def test_every_sparql_constraint_of_the_shapes_is_run_in_bulk(tmp_path):
    _data, shapes = _data_and_shapes(tmp_path, None)
    graph = to_rdflib(shapes)
    bulk, remaining = split_constraints(graph)
    sparql = "http://www.w3.org/ns/shacl#sparql"
    assert bulk and len(bulk) == sum(1 for t in graph if str(t[1]) == sparql)
    assert not any(str(t[1]) == sparql for t in remaining)


def test_partitioned_validation_finds_the_same(tmp_path):
    """Per-document partitions (the Initiative's file plus the breaches) with the rest shared."""
    from scograph.validate.partitioned import validate_partitioned

    sources = load_sources(Settings(source_root=REPO, build_dir=tmp_path / "build"))
    breaches = tmp_path / "breaches.ttl"
    breaches.write_text("@prefix prov: <http://www.w3.org/ns/prov#> .\n" + BREACHES, "utf-8")
    document = parse_turtle_file(REPO / "data" / "initiative.ttl") + parse_turtle_file(breaches)
    shared = [t for p in sources.data.files if p.name != "initiative.ttl" for t in parse_turtle_file(p)]
    shared += list(sources.ontology.triples + sources.record.triples)
    expected = validate_graphs(document + shared, sources.shapes.triples)
    # The same document split in two partitions would break has_part checks, so one partition
    # holds it; a second, empty partition shows shared-node results are reported once.
    got = validate_partitioned([document, []], shared, list(sources.shapes.triples), processes=2)
    assert got.results == expected.results
    assert len(got.violations) >= 9
