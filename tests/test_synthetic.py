"""The synthetic corpus: deterministic, about the size asked for, and a valid scograph source tree."""

from __future__ import annotations

import filecmp
import subprocess
import sys

import pyoxigraph as ox
import pytest

from scograph.build import build
from scograph.config import Settings
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


def test_it_builds_and_passes_the_shapes(corpus, tmp_path):
    release = build(Settings(source_root=corpus.out, build_dir=tmp_path / "build"))
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


def test_command_line_errors_are_clear(corpus, tmp_path):
    with pytest.raises(SyntheticError, match="not empty"):
        generate(REPO, corpus.out, 10_000)
    done = subprocess.run(
        [sys.executable, "-m", "scograph", "synthetic", "--triples", "5000", "--out", str(corpus.out)],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2 and "not empty" in done.stderr and "Traceback" not in done.stderr
