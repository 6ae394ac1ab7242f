"""The prefixes scograph writes Turtle, TriG and RDF/XML with, as plain strings.

Apart from :mod:`scograph.namespaces` (rdflib ``Namespace`` objects) because query
workers need only these: importing rdflib cost each worker ~100 ms at start and
several MiB for good. ``tests/test_packaging.py`` holds the two to the same IRIs.
"""

PREFIXES: dict[str, str] = {
    "scog": "https://w3id.org/scograph/ontology#",
    "eli": "http://data.europa.eu/eli/ontology#",
    "org": "http://www.w3.org/ns/org#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "void": "http://rdfs.org/ns/void#",
    "time": "http://www.w3.org/2006/time#",
    "schema": "https://schema.org/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "owl": "http://www.w3.org/2002/07/owl#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "sh": "http://www.w3.org/ns/shacl#",
    "sdg": "http://metadata.un.org/sdg/",
    "sdgo": "http://metadata.un.org/sdg/ontology#",
    "wd": "http://www.wikidata.org/entity/",
    "spdx": "http://spdx.org/rdf/terms#",
}
