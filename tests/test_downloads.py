"""Downloads as users and RDF tools fetch them from a real ``scograph serve`` (issue 10).

- every link of the downloads page answers, ``SHA256SUMS`` included, and every
  listed sum is the sum of the bytes served;
- a ``.gz`` dump URL can be loaded as an RDF source (rdflib, Jena, Comunica ask
  for RDF, not for ``application/gzip``) and is still an archive for people;
- the Initiative's source text is in the release and is what
  ``prov:hadPrimarySource`` points at;
- the ontology's version IRI gives the ontology in every format;
- the triple count is one number wherever it is said.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
import rdflib
from rdflib.compare import isomorphic
import requests

from tests.conftest import SEED
from tests.processes import LIGHT, ScographServe

BASE = "https://w3id.org/scograph/"
DOC = BASE + "id/document/2024/green-development-initiative"
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
OWL = rdflib.OWL

#: Dump -> (media type, rdflib format, holds named graphs).
DUMPS = {
    "scograph.ttl": ("text/turtle", "turtle", False),
    "scograph.nt": ("application/n-triples", "nt", False),
    "scograph.jsonld": ("application/ld+json", "json-ld", False),
    "scograph.rdf": ("application/rdf+xml", "xml", False),
    "scograph.trig": ("application/trig", "trig", True),
    "scograph.nq": ("application/n-quads", "nquads", True),
}
#: An RDF client's Accept, shaped like the ones Jena and Comunica send: RDF types first, anything else last.
RDF_CLIENT_ACCEPT = (
    "application/n-quads,application/trig;q=0.95,application/ld+json;q=0.9,application/n-triples;q=0.8,"
    "text/turtle;q=0.7,application/rdf+xml;q=0.6,*/*;q=0.1"
)
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


@pytest.fixture(scope="module")
def server(settings, release, tmp_path_factory):
    with ScographServe(settings.build_dir, tmp_path_factory.mktemp("serve") / "serve.log", *LIGHT) as srv:
        yield srv


def _get(server, path: str, **headers) -> requests.Response:
    response = requests.get(server.url + path, headers={k.replace("_", "-"): v for k, v in headers.items()}, timeout=30)
    return response


def _select(server, query: str) -> list[dict]:
    response = requests.post(server.url + "/sparql", data={"query": query}, headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["results"]["bindings"]


def _raw(server, path: str, **headers) -> tuple[requests.Response, bytes]:
    """The response and its body exactly as sent (no Content-Encoding undone)."""
    response = requests.get(server.url + path, headers={k.replace("_", "-"): v for k, v in headers.items()}, timeout=30, stream=True)
    body = response.raw.read(decode_content=False)
    response.close()
    return response, body


# -- SHA256SUMS and the downloads page ----------------------------------------------------


def test_every_link_on_the_downloads_page_answers(server):
    page = _get(server, "/downloads", Accept="text/html")
    links = sorted(set(re.findall(r'href="(/[^"#]*)"', page.text)))
    assert "/download/SHA256SUMS" in links and "/download/manifest.json" in links
    broken = [link for link in links if requests.head(server.url + link, timeout=30, allow_redirects=True).status_code != 200]
    assert not broken, broken


def test_sha256sums_lists_every_release_file_and_each_sum_is_of_the_bytes_served(server, release):
    response, body = _raw(server, "/download/SHA256SUMS", Accept_Encoding="identity")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert body == (release.path / "SHA256SUMS").read_bytes()
    sums = dict(reversed(line.split("  ", 1)) for line in body.decode().splitlines())
    assert set(sums) == {f.name for f in release.files}
    for name, expected in sums.items():
        served, raw = _raw(server, f"/download/{name}", Accept="*/*", Accept_Encoding="identity")
        assert served.status_code == 200 and "Content-Encoding" not in served.headers, name
        assert hashlib.sha256(raw).hexdigest() == expected, name


# -- .gz dumps: RDF for RDF clients, archives for people --------------------------------------


@pytest.mark.parametrize("dump", DUMPS)
def test_a_gz_dump_loads_as_an_rdf_source(server, release, dump):
    media_type, rdflib_format, quads = DUMPS[dump]
    # requests says Accept-Encoding: gzip and undoes it, as Jena's and Comunica's HTTP clients do.
    response = _get(server, f"/download/{dump}.gz", Accept=RDF_CLIENT_ACCEPT)
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == media_type
    assert response.headers["Content-Encoding"] == "gzip"
    assert {"Accept", "Accept-Encoding"} <= {v.strip() for v in response.headers["Vary"].split(",")}
    assert "attachment" not in response.headers.get("Content-Disposition", "")
    graph = rdflib.Dataset() if quads else rdflib.Graph()
    graph.parse(data=response.content, format=rdflib_format)
    count = len(list(graph.quads((None, None, None, None)))) if quads else len(graph)
    assert count == release.file(dump).triples == release.manifest["triples"]
    # The bytes on the wire are the .gz file as listed: nothing compressed at request time.
    _, wire = _raw(server, f"/download/{dump}.gz", Accept=RDF_CLIENT_ACCEPT, Accept_Encoding="gzip")
    assert hashlib.sha256(wire).hexdigest() == release.file(dump + ".gz").sha256


def test_a_gz_dump_for_an_rdf_client_without_gzip_is_sent_plain(server, release):
    response, body = _raw(server, "/download/scograph.nt.gz", Accept="application/n-triples", Accept_Encoding="identity")
    assert response.headers["Content-Type"] == "application/n-triples" and "Content-Encoding" not in response.headers
    assert hashlib.sha256(body).hexdigest() == release.file("scograph.nt").sha256
    assert len(rdflib.Graph().parse(data=body, format="nt")) == release.manifest["triples"]


@pytest.mark.parametrize("accept", ["*/*", BROWSER_ACCEPT, "application/gzip", None], ids=["curl", "browser", "gzip", "none"])
def test_a_gz_dump_is_still_an_archive_for_people(server, release, accept):
    headers = {"Accept-Encoding": "gzip, deflate"}
    if accept is not None:
        headers["Accept"] = accept
    response = requests.get(server.url + "/download/scograph.ttl.gz", headers=headers, timeout=30, stream=True)
    body = response.raw.read(decode_content=False)
    assert response.headers["Content-Type"] == "application/gzip"
    assert "Content-Encoding" not in response.headers  # nobody unpacks it behind the user's back
    assert response.headers["Content-Disposition"] == 'attachment; filename="scograph.ttl.gz"'
    assert hashlib.sha256(body).hexdigest() == release.file("scograph.ttl.gz").sha256


def test_the_two_answers_of_a_gz_url_have_different_etags(server):
    archive = _get(server, "/download/scograph.ttl.gz", Accept="*/*")
    rdf = _get(server, "/download/scograph.ttl.gz", Accept="text/turtle")
    assert archive.headers["ETag"] != rdf.headers["ETag"]
    again = requests.get(server.url + "/download/scograph.ttl.gz", headers={"Accept": "*/*", "If-None-Match": rdf.headers["ETag"]}, timeout=30)
    assert again.status_code == 200  # the RDF answer's tag does not validate the archive


def test_void_describes_gz_files_as_compressed_rdf(server):
    void = rdflib.Graph().parse(data=_get(server, "/.well-known/void", Accept="text/turtle").text, format="turtle")
    dcat = rdflib.Namespace("http://www.w3.org/ns/dcat#")
    iana = "https://www.iana.org/assignments/media-types/"
    gz = rdflib.URIRef(BASE + "dataset/distribution/scograph.ttl.gz")
    assert void.value(gz, dcat.mediaType) == rdflib.URIRef(iana + "text/turtle")
    assert void.value(gz, dcat.compressFormat) == rdflib.URIRef(iana + "application/gzip")


# -- the primary source ---------------------------------------------------------------------


def test_the_primary_source_is_served_and_is_what_the_data_points_at(server, release):
    rows = _select(server, f"SELECT ?source WHERE {{ <{DOC}> <http://www.w3.org/ns/prov#hadPrimarySource> ?source }}")
    assert [r["source"]["value"] for r in rows] == [BASE + "download/green-development-initiative.txt"]
    url = server.url + "/" + rows[0]["source"]["value"].removeprefix(BASE)
    response = requests.get(url, timeout=30)
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/plain; charset=utf-8"
    text = SEED.read_bytes()
    assert response.content == text
    digest = hashlib.sha256(text).hexdigest()
    # The checksum the data records, the manifest's, the README's: all the sum of these bytes.
    recorded = _select(server, f"""SELECT ?sum WHERE {{ <{BASE}download/green-development-initiative.txt>
        <http://spdx.org/rdf/terms#checksum>/<http://spdx.org/rdf/terms#checksumValue> ?sum }}""")
    assert [r["sum"]["value"] for r in recorded] == [digest]
    assert release.file("green-development-initiative.txt").sha256 == digest
    assert digest in (SEED.parent / "README.md").read_text("utf-8")
    assert 'href="/download/green-development-initiative.txt"' in _get(server, "/downloads", Accept="text/html").text
    # The build's provenance names it as a source it used, as plain text.
    used = _select(server, f"""SELECT ?format WHERE {{ <{BASE}source/data/sources/green-development-initiative.txt>
        <http://purl.org/dc/terms/format> ?format }}""")
    assert [r["format"]["value"] for r in used] == ["text/plain; charset=utf-8"]


def test_the_source_text_lives_in_the_repository():
    repository = Path(__file__).resolve().parent.parent
    assert SEED.is_file() and SEED.resolve().is_relative_to(repository)


# -- the ontology's version IRI ---------------------------------------------------------------


@pytest.mark.parametrize("media_type, rdflib_format", [("text/turtle", "turtle"), ("application/ld+json", "json-ld"), ("application/n-triples", "nt"), ("application/rdf+xml", "xml")])
def test_the_version_iri_gives_the_ontology_in_every_format(server, media_type, rdflib_format):
    ontology = rdflib.URIRef(BASE + "ontology")
    version = rdflib.URIRef(BASE + "ontology/1.0.0")
    by_version = _get(server, "/ontology/1.0.0", Accept=media_type)
    assert by_version.status_code == 200 and by_version.headers["Content-Type"].split(";")[0] == media_type
    extension = {"turtle": "ttl", "json-ld": "jsonld", "nt": "nt", "xml": "rdf"}[rdflib_format]
    assert by_version.headers["Content-Location"] == f"/ontology/1.0.0.{extension}"
    graph = rdflib.Graph().parse(data=by_version.content, format=rdflib_format)
    assert (ontology, OWL.versionIRI, version) in graph
    assert (rdflib.URIRef(BASE + "ontology#Clause"), rdflib.RDF.type, OWL.Class) in graph
    current = rdflib.Graph().parse(data=_get(server, "/ontology", Accept=media_type).content, format=rdflib_format)
    assert isomorphic(graph, current)
    fixed = _get(server, f"/ontology/1.0.0.{extension}")
    assert fixed.status_code == 200 and fixed.content == by_version.content


def test_the_version_iri_page_lists_the_terms(server):
    anchors = lambda html: set(re.findall(r'id="([A-Za-z][A-Za-z0-9_-]*)"', html))  # noqa: E731
    page = _get(server, "/ontology/1.0.0", Accept="text/html")
    assert page.status_code == 200
    assert "Clause" in anchors(page.text) and anchors(page.text) == anchors(_get(server, "/ontology", Accept="text/html").text)


def test_an_unknown_version_is_404(server):
    assert _get(server, "/ontology/9.9.9", Accept="text/turtle").status_code == 404


# -- one triple count -----------------------------------------------------------------------


def test_the_triple_count_is_one_number_everywhere(server, release):
    total = release.manifest["triples"]
    quads = _select(server, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert int(quads[0]["n"]["value"]) == total  # what the endpoint holds
    void = rdflib.Graph().parse(data=_get(server, "/.well-known/void", Accept="text/turtle").text, format="turtle")
    dataset = rdflib.URIRef(BASE + "dataset")
    assert int(void.value(dataset, VOID.triples)) == total
    # Each named graph is a subset with its own count (the description graph too), summing to the total.
    per_graph = {r["g"]["value"]: int(r["n"]["value"]) for r in _select(server, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")}
    subsets = {str(s): int(void.value(s, VOID.triples)) for s in void.objects(dataset, VOID.subset) if "/graph/" in str(s)}
    assert subsets == per_graph and sum(subsets.values()) == total
    description = rdflib.Graph().parse(data=_get(server, "/sparql", Accept="text/turtle").text, format="turtle")
    default_graph = next(description.objects(None, SD.defaultGraph))
    assert int(description.value(default_graph, VOID.triples)) == total
    # People read it written one way on the home page and the downloads page.
    said = f"{total:,}"
    home = _get(server, "/", Accept="text/html").text
    stats = re.search(r'class="stats">(.*?)</p>', home, re.S).group(1)
    assert said in stats
    downloads = _get(server, "/downloads", Accept="text/html").text
    for dump in DUMPS:
        row = downloads[downloads.index(f'download/{dump}"'):].split("</tr>", 1)[0]
        assert f'<td class="num">{said}</td>' in row, dump
    content_only = total - release.graphs[BASE + "graph/description"]
    assert f"{content_only:,}" not in home and str(content_only) not in home
