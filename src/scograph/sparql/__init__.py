"""The SPARQL 1.1 endpoint's parts that do not depend on Flask.

- :mod:`~scograph.sparql.protocol`: decoding a query request (GET, POST form, POST query),
- :mod:`~scograph.sparql.guard`: refusing updates, SERVICE, LOAD and remote FROM, and
  queries nested deep enough to crash a worker; it reads queries with
  :mod:`~scograph.sparql.lexer` (tokens as Oxigraph reads them) and
  :mod:`~scograph.sparql.prologue` (PREFIX / BASE and the IRIs they make),
- :mod:`~scograph.sparql.formats`: result media types and content negotiation,
- :mod:`~scograph.sparql.service_description`: what ``GET /sparql`` says about the service.

The Flask view that ties them together is :mod:`scograph.web.sparql`.
"""
