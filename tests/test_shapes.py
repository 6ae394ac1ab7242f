"""Each shape catches a deliberately broken copy of the data, with its own message."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from scograph.build import load_sources, validate_sources
from scograph.config import Settings
from tests.conftest import REPO

DOC = "<document/2024/green-development-initiative>"
OP3 = "<document/2024/green-development-initiative/clause/op-3>"


def _copy_sources(tmp_path: Path) -> Path:
    for name in ("ontology", "data", "shapes"):
        shutil.copytree(REPO / name, tmp_path / name)
    return tmp_path


def _replace(path: str, old: str, new: str, count: int = 1) -> Callable[[Path], None]:
    def edit(root: Path) -> None:
        file = root / path
        text = file.read_text("utf-8")
        assert text.count(old) >= count, f"fixture text not found in {path}: {old!r}"
        file.write_text(text.replace(old, new, count), "utf-8")

    return edit


def _append(path: str, turtle: str) -> Callable[[Path], None]:
    def edit(root: Path) -> None:
        file = root / path
        file.write_text(file.read_text("utf-8") + "\n" + turtle + "\n", "utf-8")

    return edit


OP3_ZH = '推动落实“昆明—蒙特利尔全球生物多样性框架”,以昆明生物多样性基金启动为契机,携手加强生物多样性保护。"@zh'

CASES = {
    "missing zh text": (
        _replace("data/initiative.ttl", f'scog:text "{OP3_ZH} ,', "scog:text"),
        "exactly one Chinese (zh) text",
        "clause/op-3",
    ),
    "two en texts": (
        _append("data/initiative.ttl", f'{OP3} <https://w3id.org/scograph/ontology#text> "A second English text."@en .'),
        "exactly one English (en) text",
        "clause/op-3",
    ),
    "duplicate clause position": (
        _replace(
            "data/initiative.ttl",
            "scog:position 9 ;",
            "scog:position 8 ;",
        ),
        "share position 8",
        "green-development-initiative",
    ),
    "duplicate clause number": (
        _replace("data/initiative.ttl", 'eli:number "4" ;', 'eli:number "3" ;'),
        "share number 3",
        "green-development-initiative",
    ),
    "citing a non-instrument": (
        _append("data/initiative.ttl", f"{OP3} <http://data.europa.eu/eli/ontology#cites> <https://w3id.org/scograph/id/event/2024/sco-astana-summit> ."),
        "Only instruments can be cited",
        "clause/op-3",
    ),
    "bad document date": (
        _replace("data/initiative.ttl", 'eli:date_document "2024-07-08"^^xsd:date', 'eli:date_document "8 July 2024"'),
        "typed xsd:date",
        "green-development-initiative",
    ),
    "membership without role": (
        _replace("data/memberships.ttl", "    org:role <concept/sco-role/observer-state> ;\n", "", count=1),
        "exactly one role",
        "membership/sco/afg/observer-state",
    ),
    "membership without start": (
        _replace("data/memberships.ttl", '    a time:Instant ;\n    time:inXSDgYear "2004"^^xsd:gYear ;\n    scog:earliestDate "2004-01-01"^^xsd:date ; scog:latestDate "2004-12-31"^^xsd:date .', "    a time:Instant ."),
        "membership needs its period",
        "membership/sco/mng/observer-state",
    ),
    "membership start with two dates": (
        _replace("data/memberships.ttl", '    time:inXSDgYear "2004"^^xsd:gYear ;', '    time:inXSDgYear "2004"^^xsd:gYear ; time:inXSDDate "2004-06-17"^^xsd:date ;'),
        "membership needs its period",
        "membership/sco/mng/observer-state",
    ),
    "state IRI off policy": (
        _replace("data/memberships.ttl", "<state/chn>\n    a scog:State", "<state/china>\n    a scog:State"),
        "ISO 3166-1 alpha-3",
        "state/china",
    ),
    "item not quoted from its clause": (
        _replace("data/initiative.ttl", '"deliver the SCO Year of Ecology', '"Deliver the SCO Year of Ecology'),
        "not quoted from its clause",
        "op-1/item/2",
    ),
    "sameAs to a Wikipedia page": (
        _replace("data/places.ttl", "<http://sws.geonames.org/1797929/>", "<https://en.wikipedia.org/wiki/Qingdao>"),
        "owl:sameAs must point to a Wikidata entity",
        "place/qingdao",
    ),
    "GBF target missing": (
        _replace("data/gbf.ttl", "    a skos:Concept , scog:GBFTarget ;\n    skos:prefLabel \"Target 23", "    a skos:Concept ;\n    skos:prefLabel \"Target 23"),
        "23 targets",
        "concept-scheme/gbf",
    ),
    "event ends before it starts": (
        _replace("data/events.ttl", 'schema:endDate "2022-09-16"^^xsd:date', 'schema:endDate "2022-09-14"^^xsd:date'),
        "not after its end date",
        "sco-samarkand-summit",
    ),
    "clause missing from its document": (
        _replace("data/initiative.ttl", "        <document/2024/green-development-initiative/clause/op-4> ,\n", ""),
        "does not list it among its parts",
        "clause/op-4",
    ),
    "topic without a Chinese label": (
        _replace("data/vocabularies.ttl", 'skos:prefLabel "Waste management"@en , "废弃物管理"@zh', 'skos:prefLabel "Waste management"@en'),
        "lacks a preferred label in zh",
        "concept-scheme/topic",
    ),
    "operative clause without action": (
        _replace("data/initiative.ttl", "    scog:action <concept/action/exchange> ;\n", ""),
        "needs the action it calls for",
        "clause/op-4",
    ),
    "undeclared minted IRI": (
        _append("data/places.ttl", '<https://w3id.org/scograph/id/places/Tashkent> a <https://w3id.org/scograph/ontology#City> ; <http://www.w3.org/2000/01/rdf-schema#label> "Tashkent"@en .'),
        "does not follow the URI policy",
        "id/places/Tashkent",
    ),
    "date bounds claim more than the month": (
        _replace("data/memberships.ttl", 'scog:earliestDate "2009-06-01"^^xsd:date ; scog:latestDate "2009-06-30"^^xsd:date', 'scog:earliestDate "2009-06-16"^^xsd:date ; scog:latestDate "2009-06-16"^^xsd:date'),
        "do not match the recorded date, which spans 2009-06-01 to 2009-06-30",
        "membership/sco/lka/dialogue-partner/start",
    ),
    "instrument without date bounds": (
        _replace("data/instruments.ttl", '    eli:date_document "2022-09-16"^^xsd:date ;\n    scog:earliestDate "2022-09-16"^^xsd:date ; scog:latestDate "2022-09-16"^^xsd:date ;\n', '    eli:date_document "2022-09-16"^^xsd:date ;\n'),
        "needs exactly one scog:earliestDate",
        "sco-samarkand-climate-statement-2022",
    ),
    "event bounds not its first and last day": (
        _replace("data/events.ttl", 'scog:earliestDate "2022-12-07"^^xsd:date ; scog:latestDate "2022-12-19"^^xsd:date', 'scog:earliestDate "2022-12-07"^^xsd:date ; scog:latestDate "2022-12-07"^^xsd:date'),
        "do not match the recorded date",
        "cbd-cop-15-montreal",
    ),
    "GBF target without its short title": (
        _replace("data/gbf.ttl", '    dcterms:title "Reduce Pollution to Levels That Are Not Harmful to Biodiversity"@en ;\n', ""),
        "needs exactly one English dcterms:title",
        "gbf/target-7",
    ),
    "GBF label and title disagree": (
        _replace("data/gbf.ttl", 'dcterms:title "Minimize the Impacts of Climate Change on Biodiversity and Build Resilience"@en', 'dcterms:title "Minimize Climate Change"@en'),
        "followed by its title",
        "gbf/target-8",
    ),
    "text not trimmed": (
        _replace("data/initiative.ttl", 'in waste management."@en', 'in waste management. "@en'),
        "must not be empty or start or end with white space",
        "clause/op-4",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_shape_catches_broken_copy(tmp_path, case):
    edit, message, focus = CASES[case]
    root = _copy_sources(tmp_path)
    edit(root)
    outcome = validate_sources(load_sources(Settings(source_root=root, build_dir=tmp_path / "build")))
    assert not outcome.conforms, f"{case}: the broken copy validated"
    matching = [v for v in outcome.violations if message in v.message]
    assert matching, f"{case}: no violation says {message!r}; got {[v.message for v in outcome.violations]}"
    assert any(focus in v.focus_node or focus in v.value for v in matching), (
        f"{case}: violation not about {focus}: {[(v.focus_node, v.value) for v in matching]}"
    )


def test_repository_data_conforms(release):
    assert release.manifest["validation"]["violations"] == 0


def test_published_report_states_conformance_as_shacl_defines_it(release):
    """Warnings do not block the release, but SHACL 3.6: conforms is false whenever there are results."""
    import rdflib
    from rdflib.namespace import RDF, RDFS, SH

    report = rdflib.Graph().parse(release.path / "validation-report.ttl")
    (node,) = report.subjects(RDF.type, SH.ValidationReport)
    results = list(report.objects(node, SH.result))
    assert len(results) == release.manifest["validation"]["warnings"] > 0
    assert release.manifest["validation"]["violations"] == 0
    assert {report.value(r, SH.resultSeverity) for r in results} == {SH.Warning}
    assert report.value(node, SH.conforms) == rdflib.Literal(False)
    assert "sh:Violation" in str(report.value(node, RDFS.comment))
    assert "Does not conform" in (release.path / "validation-report.txt").read_text("utf-8")


def test_broken_copy_results_are_linked_from_the_report(tmp_path):
    """Results of the SPARQL constraints (run in bulk) belong to the report, as SHACL requires."""
    from rdflib.namespace import RDF, SH

    root = _copy_sources(tmp_path)
    CASES["duplicate clause position"][0](root)
    outcome = validate_sources(load_sources(Settings(source_root=root, build_dir=tmp_path / "build")))
    (node,) = outcome.report.subjects(RDF.type, SH.ValidationReport)
    linked = set(outcome.report.objects(node, SH.result))
    assert len(linked) == len(outcome.results)
    assert any(outcome.report.value(r, SH.sourceConstraintComponent) == SH.SPARQLConstraintComponent for r in linked)
    assert not outcome.conforms and not outcome.releasable
