"""The synthetic corpus: deterministic, about the size asked for, and a valid scograph source tree."""

from __future__ import annotations

import filecmp
import subprocess
import sys

import pyoxigraph as ox
import pytest

from scograph.build import build
from scograph.config import Settings
from scograph.examples import example_queries
from scograph.synthetic import SyntheticError, generate
from tests.conftest import REPO

SCOG = "https://w3id.org/scograph/ontology#"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return generate(REPO, tmp_path_factory.mktemp("synthetic") / "corpus", 10_000)


def test_size_is_about_what_was_asked(corpus):
    assert 9_000 <= corpus.data_triples <= 11_000
    assert corpus.copies >= 5


def test_same_arguments_give_the_same_files(corpus, tmp_path):
    again = generate(REPO, tmp_path / "again", 10_000)
    comparison = filecmp.dircmp(corpus.out, again.out)
    files = sorted(p.relative_to(corpus.out) for p in corpus.out.rglob("*.ttl"))
    assert files == sorted(p.relative_to(again.out) for p in again.out.rglob("*.ttl"))
    for relative in files:
        assert (corpus.out / relative).read_bytes() == (again.out / relative).read_bytes(), relative
    assert not comparison.diff_files


@pytest.fixture(scope="module")
def corpus_release(corpus, tmp_path_factory):
    return build(Settings(source_root=corpus.out, build_dir=tmp_path_factory.mktemp("synthetic-build")))


def _answers(store: ox.Store, query: str) -> list[tuple[str, ...]]:
    """A query's answer as sorted rows of N-Triples terms (SELECT) or sorted triples (CONSTRUCT)."""
    result = store.query(query, use_default_graph_as_union=True)
    if isinstance(result, ox.QuerySolutions):
        names = [v.value for v in result.variables]
        return sorted(tuple(str(row[name]) if row[name] is not None else "" for name in names) for row in result)
    return sorted((str(t.subject), str(t.predicate), str(t.object)) for t in result)


def test_it_builds_and_passes_the_shapes(corpus, corpus_release):
    release = corpus_release
    assert release.manifest["validation"]["violations"] == 0
    store = ox.Store.read_only(str(release.store_path))
    try:
        def count(query: str) -> int:
            return int(next(iter(store.query(query, use_default_graph_as_union=True)))["n"].value)

        documents = count(f"SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE {{ ?d a <{SCOG}Initiative> }}")
        assert documents == corpus.copies + 1  # the real Initiative and its synthetic copies
        # Every copy is bilingual and its clause texts differ from the template's.
        texts = count(f"SELECT (COUNT(DISTINCT ?t) AS ?n) WHERE {{ ?c a <{SCOG}OperativeClause> ; <{SCOG}text> ?t }}")
        assert texts == 12 * documents
        memberships = count("SELECT (COUNT(?m) AS ?n) WHERE { ?m a <http://www.w3.org/ns/org#Membership> }")
        citations = count("SELECT (COUNT(*) AS ?n) WHERE { ?c <http://data.europa.eu/eli/ontology#cites> ?i }")
        events = count(f"SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE {{ ?d <{SCOG}adoptedAt> ?e }}")
        assert memberships > 20 * documents and citations > 5 * documents and events > corpus.copies
    finally:
        del store


def test_anchored_examples_answer_the_same_however_large_the_corpus(corpus, corpus_release, release):
    """An example about the Initiative (or the SCO, or the Forum) must not pick up the other
    documents' clauses and memberships: its answer on the corpus is its answer on the real data.
    Only the examples marked ``# scope: corpus`` ask the whole dataset, and those must grow."""
    real = ox.Store.read_only(str(release.store_path))
    grown = ox.Store.read_only(str(corpus_release.store_path))
    examples = example_queries()
    assert sum(e.corpus_wide for e in examples) < len(examples) // 2
    try:
        for example in examples:
            alone, among_copies = _answers(real, example.query), _answers(grown, example.query)
            assert alone, f"{example.slug} has no answer on the real data"
            if example.corpus_wide:
                assert set(alone) < set(among_copies), f"{example.slug} should also find the copies' resources"
            else:
                assert among_copies == alone, f"{example.slug} answers differently once other documents are added"
    finally:
        del real, grown


def test_command_line_errors_are_clear(corpus, tmp_path):
    with pytest.raises(SyntheticError, match="not empty"):
        generate(REPO, corpus.out, 10_000)
    done = subprocess.run(
        [sys.executable, "-m", "scograph", "synthetic", "--triples", "5000", "--out", str(corpus.out)],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2 and "not empty" in done.stderr and "Traceback" not in done.stderr
