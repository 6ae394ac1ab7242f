"""A deterministic synthetic corpus shaped like the real data, for tests and scale benchmarks.

``scograph synthetic --triples 100000 --out DIR`` writes a sources tree
(``DIR/ontology``, ``DIR/data``, ``DIR/shapes``) that ``scograph build --sources DIR``
builds like the real one. Instead of inventing a second data model that could
drift from the shapes, every synthetic document is a *copy of the real
Initiative's graph pattern*: the repository's own data is the template, and
each copy ``k`` gets

- a document ``id/document/{year}/synthetic-initiative-{k}`` with all its
  clauses, items, language versions and source text;
- the body that issued it and the meeting that adopted it
  (``organization/synthetic-forum-{k}``, ``event/{year}/synthetic-forum-{k}``);
- one instrument it cites (``instrument/synthetic-agreement-{k}``);
- an international organisation ``organization/synthetic-org-{k}`` with a copy of
  every SCO membership (``membership/synthetic-org-{k}/{state}/{role}``,
  with the states' ``org:hasMembership`` back-links).

Language-tagged labels get the copy's number; clause texts get a generated
sentence (words drawn from the real texts) appended, so texts differ between
copies while items stay verbatim quotes of their clause. All randomness comes
from ``random.Random`` seeded per copy: the same arguments give the same files.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from scograph.namespaces import DEFAULT_BASE_IRI, PREFIXES
from scograph.sources import parse_turtle_file, turtle_files

ID = DEFAULT_BASE_IRI + "id/"
SCOG_TEXT = DEFAULT_BASE_IRI + "ontology#text"
HAS_MEMBERSHIP = "http://www.w3.org/ns/org#hasMembership"
OWL_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"

#: What one copy clones: template IRI -> IRI pattern ({k}: copy number, {year}: its year).
#: A template IRI also stands for every IRI below it ("<template>/...").
FAMILIES: dict[str, str] = {
    ID + "document/2024/green-development-initiative": ID + "document/{year}/synthetic-initiative-{k}",
    ID + "organization/green-development-forum": ID + "organization/synthetic-forum-{k}",
    ID + "event/2024/green-development-forum": ID + "event/{year}/synthetic-forum-{k}",
    ID + "instrument/sco-environmental-protection-agreement-2024": ID + "instrument/synthetic-agreement-{k}",
    ID + "organization/sco": ID + "organization/synthetic-org-{k}",
    ID + "membership/sco": ID + "membership/synthetic-org-{k}",
}
#: Links *into* a copied family kept from outside it (the shapes require the back-link).
BACK_LINKS = frozenset({HAS_MEMBERSHIP})
#: Copies per output file. Each file is a validation partition and the build packs them
#: into about equal jobs, so small files balance the cores (100 a file left one core
#: idle for most of the validation at 100k triples: two files, of 100 and 40 copies).
COPIES_PER_FILE = 10


class SyntheticError(Exception):
    """The synthetic corpus cannot be made; the message says why."""


def _family_of(iri: str) -> str | None:
    for template in FAMILIES:
        if iri == template or iri.startswith(template + "/"):
            return template
    return None


# A term of the template, made concrete for copy k.
TermMaker = Callable[[int, int], ox.NamedNode | ox.BlankNode | ox.Literal]


def _constant(term) -> TermMaker:
    return lambda _k, _year: term


def _renamed_iri(iri: str) -> TermMaker:
    template = _family_of(iri)
    assert template is not None
    pattern = FAMILIES[template] + iri[len(template):]
    return lambda k, year: ox.NamedNode(pattern.format(k=k, year=year))


def _renamed_bnode(label: str) -> TermMaker:
    return lambda k, _year: ox.BlankNode(f"{label}x{k}")


def _labelled(literal: ox.Literal) -> TermMaker:
    suffix = " (synthetic {k})" if literal.language == "en" else "(合成{k})"
    return lambda k, _year: ox.Literal(literal.value + suffix.format(k=k), language=literal.language)


@dataclass(frozen=True)
class _WordPools:
    english: tuple[str, ...]
    chinese: str

    def sentence(self, rng: random.Random, language: str) -> str:
        if language == "zh":
            return "".join(rng.choice(self.chinese) for _ in range(rng.randint(15, 50))) + "。"
        words = [rng.choice(self.english) for _ in range(rng.randint(8, 25))]
        return " ".join(words).capitalize() + "."


def _texted(literal: ox.Literal, pools: _WordPools, salt: int) -> TermMaker:
    joiner = "" if literal.language == "zh" else " "

    def make(k: int, _year: int) -> ox.Literal:
        rng = random.Random(k * 1_000_003 + salt)
        return ox.Literal(literal.value + joiner + pools.sentence(rng, literal.language or "en"), language=literal.language)

    return make


@dataclass(frozen=True)
class Template:
    """The part of the real data one copy repeats, with how each term changes per copy."""

    rows: tuple[tuple[TermMaker, TermMaker, TermMaker], ...]

    def copy(self, k: int) -> list[ox.Triple]:
        year = 2024  # the template's own year: IRIs and the dates inside them stay consistent
        return [ox.Triple(s(k, year), p(k, year), o(k, year)) for s, p, o in self.rows]

    def __len__(self) -> int:
        return len(self.rows)


def _word_pools(triples: list[ox.Triple]) -> _WordPools:
    english: set[str] = set()
    chinese: set[str] = set()
    for t in triples:
        if t.predicate.value == SCOG_TEXT and isinstance(t.object, ox.Literal):
            if t.object.language == "en":
                english.update(w.strip(",.;:()“”\"").lower() for w in t.object.value.split())
            elif t.object.language == "zh":
                chinese.update(c for c in t.object.value if "\u4e00" <= c <= "\u9fff")
    english.discard("")
    if not english or not chinese:
        raise SyntheticError("the template data has no clause texts in both zh and en to draw words from")
    return _WordPools(tuple(sorted(english)), "".join(sorted(chinese)))


def make_template(data_triples: list[ox.Triple]) -> Template:
    """Select the triples one copy repeats and decide how each term is renamed."""
    pools = _word_pools(data_triples)
    in_family = lambda term: isinstance(term, ox.NamedNode) and _family_of(term.value) is not None  # noqa: E731
    # Blank nodes hanging off a family member (checksums) belong to the family too.
    family_bnodes = {t.object.value for t in data_triples if in_family(t.subject) and isinstance(t.object, ox.BlankNode)}
    # Parsed blank node labels are random: number them in order of appearance instead.
    bnode_names: dict[str, str] = {}
    for t in data_triples:
        for term in (t.subject, t.object):
            if isinstance(term, ox.BlankNode):
                bnode_names.setdefault(term.value, f"b{len(bnode_names)}")
    rows = []
    for index, t in enumerate(data_triples):
        subject_in = in_family(t.subject) or (isinstance(t.subject, ox.BlankNode) and t.subject.value in family_bnodes)
        back_link = t.predicate.value in BACK_LINKS and in_family(t.object)
        if not (subject_in or back_link) or t.predicate.value == OWL_SAME_AS:
            continue  # a copy is not the same real-world thing as anything: no identity links
        subject = _renamed_iri(t.subject.value) if in_family(t.subject) else (
            _renamed_bnode(bnode_names[t.subject.value]) if isinstance(t.subject, ox.BlankNode) else _constant(t.subject)
        )
        obj = t.object
        if in_family(obj):
            make_object = _renamed_iri(obj.value)
        elif isinstance(obj, ox.BlankNode):
            make_object = _renamed_bnode(bnode_names[obj.value])
        elif isinstance(obj, ox.Literal) and obj.language and subject_in:
            is_item = "/item/" in t.subject.value
            if t.predicate.value == SCOG_TEXT:
                # Items quote their clause verbatim: only clause texts grow.
                make_object = _constant(obj) if is_item else _texted(obj, pools, index)
            else:
                make_object = _labelled(obj)
        else:
            make_object = _constant(obj)
        rows.append((subject, _constant(t.predicate), make_object))
    if not rows:
        raise SyntheticError("the template data holds none of the families a synthetic copy repeats")
    return Template(tuple(rows))


@dataclass(frozen=True)
class Corpus:
    out: Path
    copies: int
    data_triples: int
    files: int


def _write_turtle(path: Path, triples: list[ox.Triple]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ox.serialize(triples, str(path), format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)


def _copies(template: Template, count: int) -> Iterator[tuple[int, list[ox.Triple]]]:
    for first in range(1, count + 1, COPIES_PER_FILE):
        batch: list[ox.Triple] = []
        for k in range(first, min(first + COPIES_PER_FILE, count + 1)):
            batch.extend(template.copy(k))
        yield first, batch


def generate(source_root: Path, out: Path, triples: int, log: Callable[[str], None] = lambda _m: None) -> Corpus:
    """Write a sources tree of about ``triples`` data triples to ``out`` (which must be empty or absent)."""
    if triples < 1:
        raise SyntheticError(f"--triples must be positive, got {triples}")
    if out.exists() and any(out.iterdir()):
        raise SyntheticError(f"{out} is not empty; choose a new directory")
    data_files = turtle_files(source_root / "data")
    reference = {path: parse_turtle_file(path) for path in data_files}
    template_triples = [t for ts in reference.values() for t in ts]
    template = make_template(template_triples)
    base_count = len(template_triples)
    copies = max(1, round((triples - base_count) / len(template)))
    log(f"template: {len(template)} triples per copy; {base_count} reference triples; writing {copies} copies")

    for name in ("ontology", "shapes"):
        shutil.copytree(source_root / name, out / name)
    # The real data stays, directly in data/ (shared reference data: copies link to its states,
    # concepts and places); each file of copies under data/synthetic/ is a validation partition.
    for path in data_files:
        target = out / "data" / path.relative_to(source_root / "data")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    total = base_count
    files = 0
    for first, batch in _copies(template, copies):
        _write_turtle(out / "data" / "synthetic" / f"copies-{first:07d}.ttl", batch)
        total += len(batch)
        files += 1
        log(f"  wrote copies {first}..{min(first + COPIES_PER_FILE - 1, copies)} ({total} data triples so far)")
    return Corpus(out, copies, total, files + len(data_files))
