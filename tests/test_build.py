"""The build: releases are complete, deterministic and atomic; bad input gets a clear error."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from scograph.build import BuildError, build
from scograph.config import Settings
from scograph.release import current_release
from tests.conftest import REPO

DUMPS = ["scograph.ttl", "scograph.nt", "scograph.jsonld", "scograph.rdf"]


def _copy_sources(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    for name in ("ontology", "data", "shapes"):
        shutil.copytree(REPO / name, root / name)
    return root


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scograph", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


# ---------------------------------------------------------------- contents of a release


def test_release_has_every_file_with_correct_checksums(release):
    names = {f.name for f in release.files}
    for dump in DUMPS + ["scograph.trig", "scograph.nq"]:
        assert dump in names and dump + ".gz" in names
    assert {"context.jsonld", "void.ttl", "validation-report.ttl", "validation-report.txt"} <= names
    sums = (release.path / "SHA256SUMS").read_text().splitlines()
    assert len(sums) == len(release.files)
    for line in sums:
        digest, name = line.split("  ")
        assert hashlib.sha256((release.path / name).read_bytes()).hexdigest() == digest


@pytest.mark.parametrize("name", DUMPS)
def test_every_dump_holds_the_same_graph(release, name):
    reference = rdflib.Graph().parse(release.path / "scograph.nt", format="nt")
    fmt = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld", "rdf": "xml"}[name.rsplit(".", 1)[1]]
    graph = rdflib.Graph().parse(release.path / name, format=fmt)
    assert isomorphic(graph, reference), name
    with gzip.open(release.path / (name + ".gz")) as f:
        assert f.read() == (release.path / name).read_bytes()


def test_quad_dumps_keep_the_named_graphs(release):
    graphs = {q.graph_name.value for q in ox.parse(path=str(release.path / "scograph.nq"))}
    base = release.base_iri
    assert graphs == {f"{base}graph/{g}" for g in ("ontology", "data", "shapes", "provenance", "description")}
    trig = {q.graph_name.value for q in ox.parse(path=str(release.path / "scograph.trig"))}
    assert trig == graphs
    assert sum(release.graphs.values()) == release.manifest["quads"]


def test_jsonld_is_compacted_with_the_shipped_context(release):
    document = json.loads((release.path / "scograph.jsonld").read_text("utf-8"))
    context = json.loads((release.path / "context.jsonld").read_text("utf-8"))["@context"]
    assert document["@context"] == context
    assert context["scog"] == "https://w3id.org/scograph/ontology#"
    ids = {node.get("@id") for node in document["@graph"]}
    assert release.base_iri + "id/document/2024/green-development-initiative" in ids
    # Properties are compacted to the context's prefixes.
    assert any("scog:text" in node for node in document["@graph"])


def test_void_description_counts_and_links(release):
    void = rdflib.Graph().parse(release.path / "void.ttl")
    VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
    DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
    dataset = rdflib.URIRef(release.base_iri + "dataset")
    # void:triples counts what every dump holds: all five graphs, this description included,
    # so the home page, the downloads page and VoID give one number; each graph is a subset.
    quads = list(ox.parse(path=str(release.path / "scograph.nq")))
    union = {q.triple for q in quads}
    assert int(void.value(dataset, VOID.triples)) == len(union) == release.manifest["triples"]
    assert int(void.value(dataset, VOID.distinctObjects)) == len({t.object for t in union})
    assert int(void.value(dataset, VOID.entities)) == len({t.subject for t in union if t.subject.value.startswith(release.base_iri + "id/")})
    subsets = {str(s): int(void.value(s, VOID.triples)) for s in void.objects(dataset, VOID.subset) if "/graph/" in str(s)}
    per_graph = {g: sum(1 for q in quads if q.graph_name.value == g) for g in release.graphs}
    assert subsets == per_graph == release.graphs
    assert release.base_iri + "graph/description" in subsets
    assert void.value(dataset, rdflib.URIRef("http://purl.org/dc/terms/license")) is not None
    linksets = list(void.subjects(rdflib.RDF.type, VOID.Linkset))
    targets = {str(void.value(ls, VOID.objectsTarget)).rsplit("/", 1)[-1] for ls in linksets}
    assert {"wikidata", "geonames", "un-sdg"} <= targets
    sizes = {str(void.value(d, DCAT.downloadURL)).rsplit("/", 1)[-1]: int(void.value(d, DCAT.byteSize))
             for d in void.subjects(rdflib.RDF.type, DCAT.Distribution) if void.value(d, DCAT.byteSize) is not None}
    assert sizes["scograph.ttl"] == (release.path / "scograph.ttl").stat().st_size
    assert list(void.objects(dataset, VOID.exampleResource))


def test_void_statistics_and_partitions_count_what_the_dumps_hold(release):
    """The description counts the content once and only its own triples each round: every
    figure equals a count over the N-Quads dump (statistics: all graphs; partitions: all but
    the description's)."""
    void = rdflib.Graph().parse(release.path / "void.ttl")
    VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
    dataset = rdflib.URIRef(release.base_iri + "dataset")
    quads = list(ox.parse(path=str(release.path / "scograph.nq")))
    union = {q.triple for q in quads}
    rdf_type = str(rdflib.RDF.type)
    assert int(void.value(dataset, VOID.distinctSubjects)) == len({t.subject for t in union})
    assert int(void.value(dataset, VOID.properties)) == len({t.predicate for t in union})
    assert int(void.value(dataset, VOID.classes)) == len({t.object for t in union if t.predicate.value == rdf_type})
    content = {q.triple for q in quads if q.graph_name.value != release.base_iri + "graph/description"}
    classes = {
        str(void.value(p, VOID["class"])): int(void.value(p, VOID.entities)) for p in void.objects(dataset, VOID.classPartition)
    }
    members: dict[str, set] = {}
    for t in content:
        if t.predicate.value == rdf_type:
            members.setdefault(t.object.value, set()).add(t.subject)
    assert classes == {cls: len(subjects) for cls, subjects in members.items()}
    properties = {
        str(void.value(p, VOID.property)): int(void.value(p, VOID.triples)) for p in void.objects(dataset, VOID.propertyPartition)
    }
    per_property: dict[str, int] = {}
    for t in content:
        per_property[t.predicate.value] = per_property.get(t.predicate.value, 0) + 1
    assert properties == per_property


def test_export_files_written_during_validation_equal_exports_made_from_the_release(release):
    """The build writes the exports from the parsed sources while the workers validate; the
    same files made afresh from the release's own data and ontology graphs (canonical blank
    nodes, as the web app reads them) have the same bytes, and the manifest's digests agree."""
    from scograph.exports.files import export_files
    from scograph.exports.model import load_documents, oxigraph_select

    graphs = {release.base_iri + "graph/data", release.base_iri + "graph/ontology"}
    triples = [q.triple for q in ox.parse(path=str(release.path / "scograph.nq")) if q.graph_name.value in graphs]
    documents = load_documents(oxigraph_select(triples), release.base_iri)
    exports = export_files(documents, release.base_iri, release.version)
    listed = {f.name for f in release.files}
    assert len(exports) > 6 and {e.name for e in exports} <= listed
    for export in exports:
        assert (release.path / export.name).read_bytes() == export.content(), export.name
    assert release.manifest["documents"] == {doc.iri: doc.digest() for doc in documents}


def test_store_holds_the_nquads(release, store):
    count = store.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")[0]["n"]
    assert int(count) == release.manifest["quads"]


# ---------------------------------------------------------------- determinism and atomicity


def test_two_builds_in_separate_processes_are_byte_identical(tmp_path):
    outputs = []
    for seed in ("1", "2"):
        build_dir = tmp_path / f"build-{seed}"
        env = dict(os.environ, PYTHONHASHSEED=seed)
        result = subprocess.run(
            [sys.executable, "-m", "scograph", "build", "--sources", str(REPO), "--build-dir", str(build_dir)],
            capture_output=True, text=True, env=env, timeout=300,
        )
        assert result.returncode == 0, result.stderr
        outputs.append((build_dir / "current" / "SHA256SUMS").read_text())
    assert outputs[0] == outputs[1]


def test_failed_build_leaves_the_previous_release_untouched(tmp_path):
    root = _copy_sources(tmp_path)
    settings = Settings(source_root=root, build_dir=tmp_path / "build")
    good = build(settings)
    before = {p.name: p.read_bytes() for p in good.path.iterdir() if p.is_file()}
    initiative = root / "data" / "initiative.ttl"
    initiative.write_text(initiative.read_text("utf-8").replace("scog:position 9 ;", "scog:position 8 ;"), "utf-8")
    with pytest.raises(BuildError, match="share position 8"):
        build(settings)
    assert current_release(settings.build_dir).version == good.version
    assert {p.name: p.read_bytes() for p in good.path.iterdir() if p.is_file()} == before
    leftovers = [p.name for p in (settings.build_dir / "releases").iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_new_sources_make_a_new_release_and_switch_current(tmp_path):
    root = _copy_sources(tmp_path)
    settings = Settings(source_root=root, build_dir=tmp_path / "build")
    first = build(settings)
    places = root / "data" / "places.ttl"
    places.write_text(places.read_text("utf-8").replace('"Montréal"@en', '"Montreal"@en'), "utf-8")
    second = build(settings)
    assert second.version != first.version
    assert current_release(settings.build_dir).version == second.version
    assert first.path.is_dir()  # old releases stay readable for anyone still serving them


def test_base_iri_is_configurable(tmp_path):
    settings = Settings(source_root=REPO, build_dir=tmp_path / "build", base_iri="https://example.org/policy/")
    release = build(settings)
    text = (release.path / "scograph.nt").read_text("utf-8")
    assert "<https://example.org/policy/id/document/2024/green-development-initiative>" in text
    assert "https://w3id.org/scograph/id/" not in text
    # The vocabulary is shared by every deployment and keeps its IRIs.
    assert "<https://w3id.org/scograph/ontology#OperativeClause>" in text


# ---------------------------------------------------------------- errors people can act on


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        ("<x> <y> \"unterminated .\n", "initiative.ttl:"),
        ("<a> foo:bar <b> .\n", "The prefix foo: has not been declared"),
    ],
)
def test_bad_turtle_names_file_and_line_without_traceback(tmp_path, broken, expected):
    root = _copy_sources(tmp_path)
    initiative = root / "data" / "initiative.ttl"
    lines = initiative.read_text("utf-8").count("\n")
    initiative.write_text(initiative.read_text("utf-8") + broken, "utf-8")
    result = _cli("build", "--sources", str(root), "--build-dir", str(tmp_path / "build"))
    assert result.returncode == 1
    assert expected in result.stderr
    assert f"initiative.ttl:{lines + 1}" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "build" / "current").exists()


def test_validate_command_reports_and_exits_1_on_violation(tmp_path):
    root = _copy_sources(tmp_path)
    data = root / "data" / "initiative.ttl"
    data.write_text(data.read_text("utf-8").replace('eli:number "4" ;', 'eli:number "3" ;'), "utf-8")
    result = _cli("validate", "--sources", str(root))
    assert result.returncode == 1
    assert "Violation: Two operative clauses of this document share number 3" in result.stdout
    assert "focus node:" in result.stdout and "shape:" in result.stdout


def test_validate_command_passes_on_the_repository():
    result = _cli("validate", "--sources", str(REPO))
    assert result.returncode == 0, result.stdout
    assert "0 violation(s)" in result.stdout or "Valid" in result.stdout


def test_missing_source_directory_is_a_clear_error(tmp_path):
    root = _copy_sources(tmp_path)
    shutil.rmtree(root / "shapes")
    result = _cli("build", "--sources", str(root), "--build-dir", str(tmp_path / "build"))
    assert result.returncode == 1
    assert "shapes" in result.stderr and "Traceback" not in result.stderr


def test_broken_shapes_are_a_clear_error(tmp_path):
    root = _copy_sources(tmp_path)
    shapes = root / "shapes" / "scograph-shapes.ttl"
    shapes.write_text(shapes.read_text("utf-8").replace("SELECT $this ?position WHERE {", "SELECT $this ?position WHERE {{", 1), "utf-8")
    result = _cli("build", "--sources", str(root), "--build-dir", str(tmp_path / "build"))
    assert result.returncode == 1
    assert "SPARQL constraint" in result.stderr and "Traceback" not in result.stderr


def test_jsonld_written_in_small_chunks_is_the_same_graph(release, tmp_path):
    """Chunk boundaries (never inside a subject) lose and duplicate nothing."""
    from scograph.jsonld import write_compacted_jsonld

    triples = sorted(
        (q.triple for q in ox.parse(path=str(release.path / "scograph.nt"), format=ox.RdfFormat.N_TRIPLES)),
        key=lambda t: (str(t.subject), str(t.predicate), str(t.object)),
    )
    out = tmp_path / "chunked.jsonld"
    write_compacted_jsonld(triples, out, release.base_iri, subjects_per_chunk=7)
    chunked = rdflib.Graph().parse(out, format="json-ld")
    reference = rdflib.Graph().parse(release.path / "scograph.nt", format="nt")
    assert isomorphic(chunked, reference)


def test_documents_in_subdirectories_are_validated_as_partitions(tmp_path):
    """Files under data/<dir>/ are partitions: a breach in one is still reported, once."""
    from scograph.build import load_sources, validate_sources

    root = _copy_sources(tmp_path)
    (root / "data" / "documents").mkdir()
    for name in ("a", "b"):
        (root / "data" / "documents" / f"{name}.ttl").write_text(
            "@prefix scog: <https://w3id.org/scograph/ontology#> .\n"
            "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
            f"<https://w3id.org/scograph/id/concept/topic/extra-{name}> a skos:Concept ;\n"
            f'    skos:prefLabel "Extra {name}"@en ;\n'
            "    skos:inScheme <https://w3id.org/scograph/id/concept-scheme/topic> .\n",
            "utf-8",
        )
    sources = load_sources(Settings(source_root=root, build_dir=tmp_path / "build"))
    assert len(sources.partitions) == 2
    outcome = validate_sources(sources)
    missing_zh = [v for v in outcome.violations if "lacks a preferred label in zh" in v.message]
    # The scheme check sees each partition's concept once; shared nodes are not doubled.
    assert sorted(v.message.split()[1] for v in missing_zh) == [
        "https://w3id.org/scograph/id/concept/topic/extra-a",
        "https://w3id.org/scograph/id/concept/topic/extra-b",
    ]
    assert len(outcome.warnings) == 2  # the repository's own two warnings, not one per partition
