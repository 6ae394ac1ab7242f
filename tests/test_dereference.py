"""Dereferencing: content negotiation and status codes for every kind of resource.

Runs the real Flask app on the session's release (the embedded store), through
Flask's test client: the same code path a WSGI server runs.
"""

from __future__ import annotations

import json

import pytest
import rdflib
from rdflib import URIRef

from scograph.web.app import create_app

BASE = "https://w3id.org/scograph/"
DOC = "document/2024/green-development-initiative"

#: One resource of each kind, as the path after ``id/``.
KINDS = {
    "document": DOC,
    "clause": f"{DOC}/clause/op-3",
    "clause item": f"{DOC}/clause/op-1/item/2",
    "instrument": "instrument/kunming-montreal-global-biodiversity-framework",
    "event": "event/2024/sco-astana-summit",
    "organization": "organization/sco",
    "state": "state/chn",
    "membership": "membership/sco/chn/member-state",
    "concept": "concept/topic/biodiversity-conservation",
    "gbf target": "concept/gbf/target-19",
    "place": "place/qingdao",
}

RDF_TYPES = {
    "text/turtle": ("ttl", "turtle"),
    "application/ld+json": ("jsonld", "json-ld"),
    "application/n-triples": ("nt", "nt"),
    "application/rdf+xml": ("rdf", "xml"),
}


@pytest.fixture(scope="module")
def client(store):
    return create_app(store).test_client()


def parse(response, rdflib_format: str) -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.parse(data=response.data, format=rdflib_format)
    return graph


@pytest.mark.parametrize("path", KINDS.values(), ids=KINDS.keys())
def test_identifier_redirects_303_to_the_document_chosen_by_accept(client, path):
    html = client.get(f"/id/{path}", headers={"Accept": "text/html"})
    assert html.status_code == 303
    assert html.headers["Location"] == f"/doc/{path}.html"
    assert "Accept" in html.headers["Vary"]
    for media_type, (extension, _) in RDF_TYPES.items():
        response = client.get(f"/id/{path}", headers={"Accept": media_type})
        assert response.status_code == 303
        assert response.headers["Location"] == f"/doc/{path}.{extension}"


@pytest.mark.parametrize("path", KINDS.values(), ids=KINDS.keys())
@pytest.mark.parametrize("media_type", RDF_TYPES)
def test_every_rdf_representation_parses_and_describes_the_resource(client, path, media_type):
    extension, rdflib_format = RDF_TYPES[media_type]
    response = client.get(f"/doc/{path}.{extension}")
    assert response.status_code == 200
    assert response.mimetype == media_type
    graph = parse(response, rdflib_format)
    subject = URIRef(BASE + "id/" + path)
    assert (subject, None, None) in graph, f"{subject} is not a subject of its own description"
    # Canonical IRIs in RDF, never the local host.
    assert not any("localhost" in str(term) for triple in graph for term in triple)


def test_description_carries_labels_of_what_it_links_to(client):
    graph = parse(client.get(f"/doc/{KINDS['clause']}.nt"), "nt")
    gbf = URIRef(BASE + "id/" + KINDS["instrument"])
    assert (URIRef(BASE + "id/" + KINDS["clause"]), URIRef("http://data.europa.eu/eli/ontology#cites"), gbf) in graph
    labels = {str(o) for o in graph.objects(gbf, rdflib.RDFS.label)}
    assert "Kunming-Montreal Global Biodiversity Framework" in labels
    # ... but not the GBF's own description (that is the GBF's document).
    assert not list(graph.objects(gbf, URIRef("http://data.europa.eu/eli/ontology#date_document")))


def test_description_follows_blank_nodes(client):
    source_text = f"{DOC}/source-text"
    graph = parse(client.get(f"/doc/{source_text}.ttl"), "turtle")
    checksums = list(graph.objects(URIRef(BASE + "id/" + source_text), URIRef("http://spdx.org/rdf/terms#checksum")))
    assert len(checksums) == 1 and isinstance(checksums[0], rdflib.BNode)
    assert len(list(graph.objects(checksums[0], URIRef("http://spdx.org/rdf/terms#checksumValue")))) == 1


@pytest.mark.parametrize("path", [KINDS["state"], KINDS["clause"]])
def test_document_url_without_extension_negotiates_with_content_location(client, path):
    turtle = client.get(f"/doc/{path}", headers={"Accept": "application/n-triples;q=0.5, text/turtle"})
    assert turtle.status_code == 200
    assert turtle.mimetype == "text/turtle"
    assert turtle.headers["Content-Location"] == f"/doc/{path}.ttl"
    assert "Accept" in turtle.headers["Vary"]
    html = client.get(f"/doc/{path}", headers={"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
    assert html.mimetype == "text/html"
    assert html.headers["Content-Location"] == f"/doc/{path}.html"
    anything = client.get(f"/doc/{path}", headers={"Accept": "*/*"})
    assert anything.mimetype == "text/html"


def test_q_values_decide(client):
    response = client.get(f"/doc/{KINDS['event']}", headers={"Accept": "text/html;q=0.2, application/ld+json;q=0.9, text/turtle;q=0.8"})
    assert response.mimetype == "application/ld+json"
    json.loads(response.data)


def test_extension_wins_over_accept(client):
    response = client.get(f"/doc/{KINDS['state']}.ttl", headers={"Accept": "text/html"})
    assert response.mimetype == "text/turtle"
    assert "Content-Location" not in response.headers


@pytest.mark.parametrize("media_type", ["image/png", "application/pdf", "text/turtle;q=0"])
def test_nothing_acceptable_is_406_with_the_list_of_choices(client, media_type):
    for url in (f"/id/{KINDS['state']}", f"/doc/{KINDS['state']}", "/ontology"):
        response = client.get(url, headers={"Accept": media_type})
        assert response.status_code == 406, url
        assert b"text/turtle" in response.data and b".ttl" in response.data


@pytest.mark.parametrize(
    "url", ["/id/state/xyz", "/doc/state/xyz", "/doc/state/xyz.ttl", "/id/instrument/kunming", "/no/such/thing"]
)
def test_unknown_iri_is_404_with_a_helpful_page(client, url):
    response = client.get(url, headers={"Accept": "text/html"})
    assert response.status_code == 404
    page = response.data.decode()
    assert "/sparql" in page and "/browse" in page
    if "kunming" in url:
        # Suggestions come from the labels: the GBF is what someone typing "kunming" wants.
        assert "Kunming-Montreal Global Biodiversity Framework" in page


def test_unknown_iri_for_a_machine_is_a_plain_404(client):
    response = client.get("/id/state/xyz", headers={"Accept": "text/turtle"})
    assert response.status_code == 404
    assert response.mimetype == "text/plain"


def test_ontology_term_hash_iris_are_described_by_the_ontology_document(client):
    for media_type, (extension, rdflib_format) in RDF_TYPES.items():
        negotiated = client.get("/ontology", headers={"Accept": media_type})
        assert negotiated.status_code == 200 and negotiated.mimetype == media_type
        assert negotiated.headers["Content-Location"] == f"/ontology.{extension}"
        graph = parse(client.get(f"/ontology.{extension}"), rdflib_format)
        assert (URIRef(BASE + "ontology#OperativeClause"), rdflib.RDF.type, rdflib.OWL.Class) in graph
        assert (URIRef(BASE + "ontology"), rdflib.RDF.type, rdflib.OWL.Ontology) in graph
    page = client.get("/ontology", headers={"Accept": "text/html"}).data.decode()
    assert 'id="OperativeClause"' in page  # so ontology#OperativeClause lands on its entry


def test_shapes_are_browsable_and_parse(client):
    graph = parse(client.get("/shapes.ttl"), "turtle")
    shapes = set(graph.subjects(rdflib.RDF.type, URIRef("http://www.w3.org/ns/shacl#NodeShape")))
    assert shapes and all(str(s).startswith(BASE + "shapes#") for s in shapes)
    page = client.get("/shapes", headers={"Accept": "text/html"}).data.decode()
    for shape in shapes:
        assert f'id="{str(shape).split("#")[1]}"' in page


def test_dataset_and_other_base_iris_are_served_in_place(client):
    response = client.get("/dataset", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert response.headers["Content-Location"] == "/dataset.ttl"
    graph = parse(response, "turtle")
    assert (URIRef(BASE + "dataset"), rdflib.RDF.type, URIRef("http://rdfs.org/ns/void#Dataset")) in graph


def test_external_iris_described_here_get_a_page(client):
    sdg = "http%3A%2F%2Fmetadata.un.org%2Fsdg%2F13"
    page = client.get(f"/browse?iri={sdg}", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Climate action" in page.data.decode()
    graph = parse(client.get(f"/browse?iri={sdg}&format=ttl"), "turtle")
    assert (URIRef("http://metadata.un.org/sdg/13"), None, None) in graph
    assert client.get("/browse?iri=http%3A%2F%2Fexample.org%2Fnothing").status_code == 404
    assert client.get("/browse?iri=not-an-iri").status_code == 400


def test_cors_etag_and_304(client):
    url = f"/doc/{KINDS['clause']}"
    first = client.get(url, headers={"Accept": "text/turtle"})
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    etag = first.headers["ETag"]
    again = client.get(url, headers={"Accept": "text/turtle", "If-None-Match": etag})
    assert again.status_code == 304 and not again.data
    other = client.get(url, headers={"Accept": "application/ld+json", "If-None-Match": etag})
    assert other.status_code == 200, "a different representation must not be answered 304"
    redirect = client.get(f"/id/{KINDS['clause']}", headers={"Accept": "text/turtle"})
    assert redirect.headers["Access-Control-Allow-Origin"] == "*"


def test_alternate_links_name_every_representation(client):
    response = client.get(f"/doc/{KINDS['state']}.html")
    link = response.headers["Link"]
    for extension in ("ttl", "jsonld", "nt", "rdf", "html"):
        assert f"/doc/{KINDS['state']}.{extension}>" in link


def test_an_iri_with_a_dot_is_not_mistaken_for_an_extension(client):
    # The release describes its distributions as dataset/distribution/scograph.ttl etc.
    response = client.get("/dataset/distribution/scograph.ttl", headers={"Accept": "application/n-triples"})
    assert response.status_code == 200 and response.mimetype == "application/n-triples"
    graph = parse(response, "nt")
    assert (URIRef(BASE + "dataset/distribution/scograph.ttl"), rdflib.RDF.type, URIRef("http://www.w3.org/ns/dcat#Distribution")) in graph
