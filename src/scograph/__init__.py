"""scograph: a linked-data publisher for international policy documents.

Data flows one way: sources (``ontology/``, ``data/``, ``shapes/``) are validated
and built into an immutable *release* (dumps, dataset description, an Oxigraph
store); the web layer only ever reads a release.
"""

__version__ = "0.1.0"
