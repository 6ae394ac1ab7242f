"""The generated parts of a release's self-description: VoID/DCAT statistics and PROV.

Hand-written catalogue facts (title, licence, publisher, ...) live in
``data/dataset.ttl``; this module adds what is computed from the build:
triple counts, vocabularies, linksets, example resources, distributions and
the build activity. Nothing here depends on the clock, so builds stay
byte-identical.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyoxigraph as ox

from scograph import __version__
from scograph.namespaces import DCAT, DCTERMS, OWL, PROV, RDF, RDFS, SCOG, SPDX, VOID, XSD

if TYPE_CHECKING:
    from scograph.config import Settings


@dataclass(frozen=True)
class DumpFormat:
    name: str
    filename: str
    media_type: str
    ox_format: ox.RdfFormat
    quads: bool
    description: str


DUMP_FORMATS: tuple[DumpFormat, ...] = (
    DumpFormat("ttl", "scograph.ttl", "text/turtle", ox.RdfFormat.TURTLE, False, "All graphs merged, Turtle"),
    DumpFormat("nt", "scograph.nt", "application/n-triples", ox.RdfFormat.N_TRIPLES, False, "All graphs merged, N-Triples"),
    DumpFormat("jsonld", "scograph.jsonld", "application/ld+json", ox.RdfFormat.JSON_LD, False, "All graphs merged, compacted JSON-LD"),
    DumpFormat("rdf", "scograph.rdf", "application/rdf+xml", ox.RdfFormat.RDF_XML, False, "All graphs merged, RDF/XML"),
    DumpFormat("trig", "scograph.trig", "application/trig", ox.RdfFormat.TRIG, True, "Named graphs, TriG"),
    DumpFormat("nq", "scograph.nq", "application/n-quads", ox.RdfFormat.N_QUADS, True, "Named graphs, N-Quads"),
)

#: Outbound link targets counted as VoID linksets: (key, title, IRI prefix).
LINK_TARGETS: tuple[tuple[str, str, str], ...] = (
    ("wikidata", "Wikidata", "http://www.wikidata.org/entity/"),
    ("geonames", "GeoNames", "http://sws.geonames.org/"),
    ("un-sdg", "UN SDG Knowledge Organization System", "http://metadata.un.org/sdg/"),
    ("cbd", "Convention on Biological Diversity web site", "https://www.cbd.int/"),
    ("eu-authority", "EU Publications Office authority tables", "http://publications.europa.eu/resource/authority/"),
)

_N = ox.NamedNode


def _lit(value, datatype=None) -> ox.Literal:
    if datatype is None:
        return ox.Literal(str(value))
    return ox.Literal(str(value), datatype=_N(str(datatype)))


def _int(value: int) -> ox.Literal:
    return _lit(value, XSD.integer)


def dataset_iri(base: str) -> ox.NamedNode:
    return _N(base + "dataset")


def download_iri(base: str, filename: str) -> ox.NamedNode:
    return _N(f"{base}download/{filename}")


def _sha256_checksum(subject, node_label: str, value: str) -> list[ox.Triple]:
    # Labels only need to be distinct before RDFC-1.0 canonicalisation renames them.
    node = ox.BlankNode("c" + hashlib.sha1(node_label.encode()).hexdigest()[:16])
    return [
        ox.Triple(subject, _N(str(SPDX.checksum)), node),
        ox.Triple(node, _N(str(RDF.type)), _N(str(SPDX.Checksum))),
        ox.Triple(node, _N(str(SPDX.algorithm)), _N(str(SPDX.checksumAlgorithm_sha256))),
        ox.Triple(node, _N(str(SPDX.checksumValue)), _lit(value, XSD.hexBinary)),
    ]


@dataclass(frozen=True)
class SourceChecksum:
    """One source file: the graph it goes to, its path relative to the source root, its SHA-256."""

    graph: str
    path: str
    sha256: str
    media_type: str = "text/turtle"


def provenance_triples(checksums: Iterable[SourceChecksum], settings: "Settings", version: str) -> list[ox.Triple]:
    """PROV-O: which source files (with checksums) this release was generated from, by which software."""
    base = settings.base_iri
    release = _N(f"{base}dataset/release/{version}")
    activity = _N(f"{base}dataset/release/{version}/build")
    software = _N(f"{base}id/software/scograph")
    t = ox.Triple
    out = [
        t(release, _N(str(RDF.type)), _N(str(PROV.Entity))),
        t(release, _N(str(RDFS.label)), ox.Literal(f"scograph release {version}", language="en")),
        t(release, _N(str(DCTERMS.isVersionOf)), dataset_iri(base)),
        t(release, _N(str(OWL.versionInfo)), _lit(version)),
        t(release, _N(str(PROV.wasGeneratedBy)), activity),
        t(release, _N(str(PROV.wasAttributedTo)), software),
        t(activity, _N(str(RDF.type)), _N(str(PROV.Activity))),
        t(activity, _N(str(RDFS.label)), ox.Literal(f"Validation and build of release {version}", language="en")),
        t(activity, _N(str(PROV.wasAssociatedWith)), software),
        t(software, _N(str(RDF.type)), _N(str(PROV.SoftwareAgent))),
        t(software, _N(str(RDFS.label)), ox.Literal("scograph", language="en")),
        t(software, _N(str(OWL.versionInfo)), _lit(__version__)),
    ]
    for checksum in checksums:
        entity = _N(f"{base}source/{checksum.path}")
        out += [
            t(activity, _N(str(PROV.used)), entity),
            t(release, _N(str(PROV.wasDerivedFrom)), entity),
            t(entity, _N(str(RDF.type)), _N(str(PROV.Entity))),
            t(entity, _N(str(DCTERMS.identifier)), _lit(checksum.path)),
            t(entity, _N(str(DCTERMS.format)), _lit(checksum.media_type)),
        ]
        out += _sha256_checksum(entity, f"sum-{checksum.path}", checksum.sha256)
    return out


def _namespace_of(iri: str) -> str:
    for sep in ("#", "/"):
        if sep in iri:
            return iri[: iri.rfind(sep) + 1]
    return iri


#: Rounds allowed for the description's statistics to count the description itself (two suffice).
_FIXED_POINT_ROUNDS = 8

_RDF_TYPE = str(RDF.type)


@dataclass(frozen=True)
class _Statistics:
    triples: int
    entities: int
    classes: int
    properties: int
    subjects: int
    objects: int


class _Terms:
    """The distinct triples of some graphs and the distinct terms VoID counts, read in one pass.

    At 1M triples the description used to build these sets again for every count and
    every round of its fixed point (80 s); now the content is read once, and each round
    only looks at the description's own few thousand triples (:meth:`with_extra`).
    """

    def __init__(self, triples: set[ox.Triple], base: str):
        self.triples = triples
        self.entity_prefix = base + "id/"
        self.subjects: set = set()
        self.objects: set = set()
        #: rdf:type object -> its subjects (classes, class partitions, root and example resources).
        self.members: dict = {}
        self.per_property: Counter = Counter()
        #: (link target key, predicate IRI) -> triples linking there (VoID linksets).
        self.links: Counter[tuple[str, str]] = Counter()
        for tr in triples:
            subject, predicate, obj = tr.subject, tr.predicate, tr.object
            self.subjects.add(subject)
            self.objects.add(obj)
            self.per_property[predicate] += 1
            if isinstance(obj, ox.NamedNode):
                iri = obj.value
                for key, _title, prefix in LINK_TARGETS:
                    if iri.startswith(prefix):
                        self.links[(key, predicate.value)] += 1
            if predicate.value == _RDF_TYPE:
                self.members.setdefault(obj, set()).add(subject)
        self.entities = {s for s in self.subjects if isinstance(s, ox.NamedNode) and s.value.startswith(self.entity_prefix)}

    def statistics(self) -> _Statistics:
        return _Statistics(len(self.triples), len(self.entities), len(self.members), len(self.per_property),
                           len(self.subjects), len(self.objects))

    def with_extra(self, extra: Iterable[ox.Triple]) -> _Statistics:
        """The statistics of these triples and ``extra`` together (``extra`` is small)."""
        new = set(extra) - self.triples
        subjects = {tr.subject for tr in new} - self.subjects
        return _Statistics(
            triples=len(self.triples) + len(new),
            entities=len(self.entities) + sum(
                1 for s in subjects if isinstance(s, ox.NamedNode) and s.value.startswith(self.entity_prefix)
            ),
            classes=len(self.members) + len({tr.object for tr in new if tr.predicate.value == _RDF_TYPE} - self.members.keys()),
            properties=len(self.per_property) + len({tr.predicate for tr in new} - self.per_property.keys()),
            subjects=len(self.subjects) + len(subjects),
            objects=len(self.objects) + len({tr.object for tr in new} - self.objects),
        )


def description_triples(
    graphs: dict[str, list[ox.Triple]],
    settings: "Settings",
    version: str,
    description_graph: str,
    record: Iterable[ox.Triple] = (),
) -> list[ox.Triple]:
    """The description graph: the catalogue ``record`` plus VoID statistics, subsets, vocabularies,
    linksets and example resources.

    The statistics count what the dumps and the endpoint hold: the content
    ``graphs`` *and this description graph* (a subset too), so every place that
    says how many triples the dataset has (home page, downloads page, VoID, the
    service description) gives the same number. Counting itself is a fixed
    point: the counts do not depend on their own values, except distinct
    objects, which settles in a round or two.
    """
    base = settings.base_iri
    record = list(record)
    content = _Terms({tr for triples in graphs.values() for tr in triples}, base)
    sizes = {name: len(set(triples)) for name, triples in graphs.items()}
    # What the content alone decides is described once; each round adds the counts.
    fixed = _describe_content(content, settings)
    stats = content.with_extra(record)
    own_size = len(set(record))
    for _ in range(_FIXED_POINT_ROUNDS):
        out = record + _describe_counts(settings, version, description_graph, sizes, stats, own_size) + fixed
        new_stats, new_size = content.with_extra(out), len(set(out))
        if (new_stats, new_size) == (stats, own_size):
            return out
        stats, own_size = new_stats, new_size
    raise RuntimeError("the dataset description's statistics did not settle")  # pragma: no cover


def _describe_counts(
    settings: "Settings",
    version: str,
    description_graph: str,
    sizes: dict[str, int],
    stats: _Statistics,
    own_size: int,
) -> list[ox.Triple]:
    """The dataset's statistics and its subsets (the graphs), with their sizes."""
    base = settings.base_iri
    ds = dataset_iri(base)
    t = ox.Triple
    out = [
        t(ds, _N(str(RDF.type)), _N(str(VOID.Dataset))),
        t(ds, _N(str(RDF.type)), _N(str(DCAT.Dataset))),
        t(ds, _N(str(OWL.versionInfo)), _lit(version)),
        t(ds, _N(str(VOID.triples)), _int(stats.triples)),
        t(ds, _N(str(VOID.entities)), _int(stats.entities)),
        t(ds, _N(str(VOID.classes)), _int(stats.classes)),
        t(ds, _N(str(VOID.properties)), _int(stats.properties)),
        t(ds, _N(str(VOID.distinctSubjects)), _int(stats.subjects)),
        t(ds, _N(str(VOID.distinctObjects)), _int(stats.objects)),
        t(ds, _N(str(VOID.uriSpace)), _lit(base + "id/")),
        t(ds, _N(str(VOID.uriRegexPattern)), _lit("^" + base.replace(".", "\\.") + "(id|ontology|shapes)")),
        t(ds, _N(str(VOID.sparqlEndpoint)), _N(base + "sparql")),
        t(ds, _N(str(VOID.feature)), _N("http://www.w3.org/ns/formats/Turtle")),
        t(ds, _N(str(VOID.feature)), _N("http://www.w3.org/ns/formats/N-Triples")),
        t(ds, _N(str(VOID.feature)), _N("http://www.w3.org/ns/formats/JSON-LD")),
        t(ds, _N(str(VOID.feature)), _N("http://www.w3.org/ns/formats/RDF_XML")),
    ]
    sizes = {**sizes, description_graph: own_size}
    for name, size in sizes.items():
        subset = _N(name)
        out += [
            t(ds, _N(str(VOID.subset)), subset),
            t(subset, _N(str(RDF.type)), _N(str(VOID.Dataset))),
            t(subset, _N(str(RDFS.label)), ox.Literal(f"{name.rsplit('/', 1)[-1]} graph", language="en")),
            t(subset, _N(str(VOID.triples)), _int(size)),
        ]
    return out


def _describe_content(content: _Terms, settings: "Settings") -> list[ox.Triple]:
    """Vocabularies, partitions, linksets, root and example resources and dumps: from the content only."""
    base = settings.base_iri
    ds = dataset_iri(base)
    t = ox.Triple
    out: list[ox.Triple] = []
    classes, properties = content.members.keys(), content.per_property.keys()
    for vocabulary in sorted({_namespace_of(p.value) for p in properties} | {_namespace_of(c.value) for c in classes if isinstance(c, ox.NamedNode)}):
        if vocabulary.startswith(base) and not vocabulary.startswith(str(SCOG)):
            continue
        out.append(t(ds, _N(str(VOID.vocabulary)), _N(vocabulary)))

    out += partition_triples(ds, content.members, content.per_property)

    # Linksets: one per (target, predicate) with the number of links.
    targets = {key: (title, prefix) for key, title, prefix in LINK_TARGETS}
    for (key, predicate), count in sorted(content.links.items()):
        title, prefix = targets[key]
        target = _N(f"{base}dataset/target/{key}")
        linkset = _N(f"{base}dataset/linkset/{key}/{_namespace_local(predicate)}")
        out += [
            t(linkset, _N(str(RDF.type)), _N(str(VOID.Linkset))),
            t(linkset, _N(str(VOID.subjectsTarget)), ds),
            t(linkset, _N(str(VOID.objectsTarget)), target),
            t(linkset, _N(str(VOID.linkPredicate)), _N(predicate)),
            t(linkset, _N(str(VOID.triples)), _int(count)),
            t(ds, _N(str(VOID.subset)), linkset),
            t(target, _N(str(RDF.type)), _N(str(VOID.Dataset))),
            t(target, _N(str(DCTERMS.title)), ox.Literal(title, language="en")),
            t(target, _N(str(VOID.uriSpace)), _lit(prefix)),
        ]

    def instances(classes: set[str]) -> list:
        return sorted({s for cls, subjects in content.members.items() if cls.value in classes for s in subjects}, key=str)

    for root in instances(_ROOT_CLASSES):
        out.append(t(ds, _N(str(VOID.rootResource)), root))
    for example in instances(_EXAMPLE_CLASSES)[:12]:
        out.append(t(ds, _N(str(VOID.exampleResource)), example))

    for fmt in DUMP_FORMATS:
        out += _distribution_core(base, fmt.filename, fmt.media_type, fmt.description)
        out.append(t(ds, _N(str(VOID.dataDump)), download_iri(base, fmt.filename)))
    return out


def partition_triples(ds: ox.NamedNode, members: dict, per_property: Counter) -> list[ox.Triple]:
    """VoID class partitions (entities per class: ``members`` maps a class to its instances)
    and property partitions (triples per property).

    Query editors use them to offer the classes and properties a dataset really
    uses. Partitions are blank nodes labelled by what they count; RDFC-1.0 gives
    them canonical names in the dumps.
    """
    t = ox.Triple
    out: list[ox.Triple] = []
    for cls in sorted(members, key=str):
        node = ox.BlankNode("k" + hashlib.sha1(("class " + str(cls)).encode()).hexdigest()[:16])
        out += [
            t(ds, _N(str(VOID.classPartition)), node),
            t(node, _N(str(VOID["class"])), cls),
            t(node, _N(str(VOID.entities)), _int(len(members[cls]))),
        ]
    for prop in sorted(per_property, key=str):
        node = ox.BlankNode("p" + hashlib.sha1(("property " + str(prop)).encode()).hexdigest()[:16])
        out += [
            t(ds, _N(str(VOID.propertyPartition)), node),
            t(node, _N(str(VOID.property)), prop),
            t(node, _N(str(VOID.triples)), _int(per_property[prop])),
        ]
    return out


_ROOT_CLASSES = {str(SCOG.PolicyDocument), str(SCOG.Initiative)}
_EXAMPLE_CLASSES = {str(SCOG.Initiative), str(SCOG.OperativeClause), str(SCOG.Framework)}


def _namespace_local(iri: str) -> str:
    return iri.rstrip("/#").replace("#", "/").rsplit("/", 1)[-1]


def _distribution_core(base: str, filename: str, media_type: str, description: str) -> list[ox.Triple]:
    ds = dataset_iri(base)
    dist = _N(f"{base}dataset/distribution/{filename}")
    t = ox.Triple
    return [
        t(ds, _N(str(DCAT.distribution)), dist),
        t(dist, _N(str(RDF.type)), _N(str(DCAT.Distribution))),
        t(dist, _N(str(DCTERMS.title)), ox.Literal(description, language="en")),
        t(dist, _N(str(DCAT.downloadURL)), download_iri(base, filename)),
        t(dist, _N(str(DCAT.accessURL)), download_iri(base, filename)),
        *media_type_triples(dist, media_type),
    ]


#: Media types in use that IANA has not registered: said as ``dcterms:format`` text, not ``dcat:mediaType``.
UNREGISTERED_MEDIA_TYPES = frozenset(
    {"application/x-tmx+xml", "application/jsonl", "application/x-bibtex", "application/x-research-info-systems"}
)


def media_type_triples(subject: ox.NamedNode, media_type: str) -> list[ox.Triple]:
    """``dcat:mediaType`` (an IANA IRI) for registered types, ``dcterms:format`` text for the others."""
    bare = media_type.split(";")[0].strip()
    if bare in UNREGISTERED_MEDIA_TYPES:
        return [ox.Triple(subject, _N(str(DCTERMS.format)), _lit(bare))]
    return [ox.Triple(subject, _N(str(DCAT.mediaType)), _N(f"https://www.iana.org/assignments/media-types/{bare}"))]


def distribution_triples(files: Iterable[dict], settings: "Settings") -> list[ox.Triple]:
    """Byte sizes and checksums of every release file (only in the stand-alone void.ttl)."""
    base = settings.base_iri
    out: list[ox.Triple] = []
    t = ox.Triple
    files = list(files)
    media_types = {f["name"]: f["media_type"].split(";")[0] for f in files}
    for f in files:
        dist = _N(f"{base}dataset/distribution/{f['name']}")
        media_type = media_types[f["name"]]
        inner = media_types.get(f["name"].removesuffix(".gz")) if f["name"].endswith(".gz") else None
        if inner is not None:
            # DCAT 2: a compressed file has the media type of what it holds, and a compression format.
            media_type = inner
            out.append(t(dist, _N(str(DCAT) + "compressFormat"), _N("https://www.iana.org/assignments/media-types/application/gzip")))
        out += _distribution_core(base, f["name"], media_type, f["description"])
        out.append(t(dist, _N(str(DCAT.byteSize)), _lit(f["bytes"], XSD.nonNegativeInteger)))
        out += _sha256_checksum(dist, f"sum-{f['name']}", f["sha256"])
    return out
