"""Exports of the validated graph in the formats of legal and policy publishers.

One module a format: :mod:`aligned` (clause-aligned bilingual text: TMX, CSV,
JSON Lines), :mod:`citations` (CSL-JSON, BibTeX, RIS), :mod:`akn` (Akoma
Ntoso 3.0), :mod:`feed` (Atom feed of releases), :mod:`examples_rdf` (the
example queries as SHACL SPARQL executables). :mod:`model` reads the documents
out of the graph once for all of them. Every writer is deterministic: the same
graph gives the same bytes.
"""
