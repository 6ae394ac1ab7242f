"""SHACL validation that scales: SPARQL-based constraints run once per shape, in Oxigraph.

pyshacl evaluates a SPARQL-based constraint (``sh:sparql``) once per focus
node, parsing and running the query in rdflib each time: with the scograph
shapes that is about sixty queries per document, and over 90 % of validation
time (see ``benchmarks/REPORT-scale.md``). The SHACL spec defines the result
as the solutions of the ``sh:select`` query with ``$this`` pre-bound to each
focus node; for queries that bind ``$this`` in their pattern (or do not use it
at all), that is the same as running the query *once* with ``?this`` free and
joining it with the shape's targets. This module does exactly that, with
pyoxigraph, and leaves every other constraint to pyshacl, unchanged.

A constraint is offloaded only when that equivalence is safe to assume: it
belongs to a node shape with explicit targets (``sh:targetClass``,
``sh:targetNode``, ``sh:targetSubjectsOf``, ``sh:targetObjectsOf``), uses none of
``$PATH``, ``$shapesGraph``, ``$currentShape`` and is not deactivated. Anything
else stays with pyshacl. ``tests/test_validate_fast.py`` checks the results
equal pyshacl's on the real data and on data with injected violations.

Drop-in for :func:`scograph.validate.validate_graphs`::

    from scograph.validate.fast import validate_graphs_fast
    outcome = validate_graphs_fast(data_triples, shape_triples)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF, RDFS, SH

from scograph.rdfconvert import to_rdflib
from scograph.validate import ShapesError, ValidationOutcome, results_from_report, run_pyshacl, set_spec_conformance

_UNSUPPORTED = re.compile(r"\$(PATH|shapesGraph|currentShape)\b")
_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)


@dataclass(frozen=True)
class BulkConstraint:
    shape: rdflib.term.Node
    constraint: rdflib.term.Node
    query: str
    messages: tuple[rdflib.Literal, ...]
    severity: rdflib.URIRef


def _prefixes(shapes: rdflib.Graph, constraint: rdflib.term.Node) -> str:
    lines = []
    for ontology in shapes.objects(constraint, SH.prefixes):
        for declaration in shapes.objects(ontology, SH.declare):
            prefix = shapes.value(declaration, SH.prefix)
            namespace = shapes.value(declaration, SH.namespace)
            if prefix is not None and namespace is not None:
                lines.append(f"PREFIX {prefix}: <{namespace}>")
    # Queries in the shapes may use rdfs: without declaring it (pyshacl binds a few defaults).
    if not any(line.startswith("PREFIX rdfs:") for line in lines):
        lines.append(f"PREFIX rdfs: <{RDFS}>")
    if not any(line.startswith("PREFIX rdf:") for line in lines):
        lines.append(f"PREFIX rdf: <{RDF}>")
    return "\n".join(lines)


def _target_pattern(shapes: rdflib.Graph, shape: rdflib.term.Node) -> str | None:
    branches = []
    for cls in shapes.objects(shape, SH.targetClass):
        branches.append(f"?this a/<{RDFS.subClassOf}>* <{cls}> .")
    nodes = [n for n in shapes.objects(shape, SH.targetNode) if isinstance(n, rdflib.URIRef)]
    if nodes:
        branches.append("VALUES ?this { " + " ".join(f"<{n}>" for n in nodes) + " }")
    for predicate in shapes.objects(shape, SH.targetSubjectsOf):
        branches.append(f"?this <{predicate}> [] .")
    for predicate in shapes.objects(shape, SH.targetObjectsOf):
        branches.append(f"[] <{predicate}> ?this .")
    if not branches:
        return None
    return " UNION ".join("{ " + b + " }" for b in branches)


def split_constraints(shapes: rdflib.Graph) -> tuple[list[BulkConstraint], rdflib.Graph]:
    """The SPARQL constraints this module runs, and the shapes graph left for pyshacl."""
    bulk: list[BulkConstraint] = []
    remaining = rdflib.Graph()
    for prefix, namespace in shapes.namespaces():
        remaining.bind(prefix, namespace)
    offloaded: set[tuple] = set()
    for shape, constraint in shapes.subject_objects(SH.sparql):
        select = shapes.value(constraint, SH.select)
        is_node_shape = shapes.value(shape, SH.path) is None
        deactivated = shapes.value(constraint, SH.deactivated) == rdflib.Literal(True) or shapes.value(
            shape, SH.deactivated
        ) == rdflib.Literal(True)
        targets = _target_pattern(shapes, shape)
        implicit_class = (shape, RDF.type, RDFS.Class) in shapes
        if select is None or not is_node_shape or deactivated or targets is None or implicit_class or _UNSUPPORTED.search(str(select)):
            continue
        query = (
            _prefixes(shapes, constraint)
            + "\nSELECT * WHERE {\n  { SELECT DISTINCT ?this WHERE { "
            + targets
            + " } }\n  {\n"
            + str(select)
            + "\n  }\n}"
        )
        messages = tuple(m for m in shapes.objects(constraint, SH.message) if isinstance(m, rdflib.Literal))
        if not messages:
            messages = tuple(m for m in shapes.objects(shape, SH.message) if isinstance(m, rdflib.Literal))
        severity = shapes.value(shape, SH.severity) or SH.Violation
        bulk.append(BulkConstraint(shape, constraint, query, messages, severity))
        offloaded.add((shape, SH.sparql, constraint))
    for triple in shapes:
        if triple not in offloaded:
            remaining.add(triple)
    return bulk, remaining


def _to_rdflib_term(term) -> rdflib.term.Node:
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    datatype = rdflib.URIRef(term.datatype.value) if term.language is None else None
    return rdflib.Literal(term.value, lang=term.language, datatype=datatype)


def _fill(message: rdflib.Literal, solution: ox.QuerySolution, variables: list[str]) -> rdflib.Literal:
    text = str(message)
    for name in variables:
        value = solution[name]
        if value is not None:
            shown = value.value if not isinstance(value, ox.Literal) else value.value
            text = text.replace("{?" + name + "}", shown).replace("{$" + name + "}", shown)
    return rdflib.Literal(text, lang=message.language)


def run_bulk(constraints: list[BulkConstraint], store: ox.Store, report: rdflib.Graph) -> int:
    """Add a sh:ValidationResult to ``report`` for every solution of every constraint; return how many."""
    added = 0
    report_node = next(report.subjects(RDF.type, SH.ValidationReport))
    for c in constraints:
        solutions = store.query(c.query)
        variables = [v.value for v in solutions.variables]
        for solution in solutions:
            this = solution["this"]
            if this is None:
                continue
            node = rdflib.BNode()
            report.add((report_node, SH.result, node))
            report.add((node, RDF.type, SH.ValidationResult))
            report.add((node, SH.focusNode, _to_rdflib_term(this)))
            report.add((node, SH.resultSeverity, c.severity))
            report.add((node, SH.sourceShape, c.shape))
            report.add((node, SH.sourceConstraint, c.constraint))
            report.add((node, SH.sourceConstraintComponent, SH.SPARQLConstraintComponent))
            value = solution["value"] if "value" in variables else None
            report.add((node, SH.value, _to_rdflib_term(value if value is not None else this)))
            path = solution["path"] if "path" in variables else None
            if path is not None:
                report.add((node, SH.resultPath, _to_rdflib_term(path)))
            for message in c.messages:
                report.add((node, SH.resultMessage, _fill(message, solution, variables)))
            added += 1
    return added


def validate_graphs_fast(data: Iterable[ox.Triple], shapes: Iterable[ox.Triple]) -> ValidationOutcome:
    """Same contract as :func:`scograph.validate.validate_graphs`, with SPARQL constraints run in bulk."""
    data = list(data)
    shapes_graph = to_rdflib(shapes)
    bulk, core_shapes = split_constraints(shapes_graph)
    report = run_pyshacl(to_rdflib(data), core_shapes, inplace=True)  # the graph is ours alone
    store = ox.Store()
    store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in data)
    try:
        run_bulk(bulk, store, report)
    except SyntaxError as exc:
        raise ShapesError(f"a SPARQL constraint of the shapes does not parse: {exc}") from None
    set_spec_conformance(report)
    return ValidationOutcome(results=results_from_report(report, shapes_graph), report=report)
