"""SHACL validation of the sources with pyshacl, and a report people can read.

Two faster ways to the same results live beside it: :mod:`scograph.validate.fast`
(SPARQL constraints run once in Oxigraph) and :mod:`scograph.validate.partitioned`
(documents validated in parallel); ``tests/test_validate_fast.py`` holds all three equal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox
import rdflib
from pyshacl import validate as shacl_validate
from rdflib.namespace import RDF, RDFS, SH

from scograph.namespaces import PREFIXES, SHAPES
from scograph.rdfconvert import to_rdflib


class ShapesError(Exception):
    """The shapes themselves are broken (pyshacl cannot apply them)."""


@dataclass(frozen=True, order=True)
class ValidationResult:
    severity: str  # "Violation", "Warning" or "Info"
    focus_node: str
    path: str
    message: str
    shape: str
    value: str = ""

    def format(self) -> str:
        lines = [f"{self.severity}: {self.message}", f"  focus node: {self.focus_node}"]
        if self.path:
            lines.append(f"  path:       {self.path}")
        if self.value:
            lines.append(f"  value:      {self.value}")
        lines.append(f"  shape:      {self.shape}")
        return "\n".join(lines)


@dataclass(frozen=True)
class ValidationOutcome:
    results: tuple[ValidationResult, ...]
    report: rdflib.Graph

    @property
    def violations(self) -> tuple[ValidationResult, ...]:
        return tuple(r for r in self.results if r.severity == "Violation")

    @property
    def warnings(self) -> tuple[ValidationResult, ...]:
        return tuple(r for r in self.results if r.severity == "Warning")

    @property
    def conforms(self) -> bool:
        """Conformance as SHACL defines it (section 3.6): true only when there is no result at all."""
        return not self.results

    @property
    def releasable(self) -> bool:
        """True when no result is a violation: warnings and infos do not block a release."""
        return not self.violations

    def format(self) -> str:
        if not self.results:
            return "Valid: the data conforms to every shape."
        body = "\n\n".join(r.format() for r in self.results)
        summary = f"{len(self.violations)} violation(s), {len(self.warnings)} warning(s)"
        verdict = (
            "Does not conform (SHACL counts every result); no violation, so a release can be written."
            if self.releasable
            else "Does not conform; a violation blocks the release."
        )
        return f"{body}\n\n{summary}\n{verdict}"


def _short(term, graph: rdflib.Graph) -> str:
    if term is None:
        return ""
    if isinstance(term, rdflib.BNode):
        # Complex paths are blank nodes; show them in SPARQL-ish form.
        inverse = graph.value(term, SH.inversePath)
        if inverse is not None:
            return "^" + _short(inverse, graph)
        return "[complex path]"
    if isinstance(term, rdflib.URIRef):
        try:
            return graph.namespace_manager.normalizeUri(term)
        except Exception:  # pragma: no cover - rdflib refuses some IRIs
            return f"<{term}>"
    return term.n3()


def results_from_report(report: rdflib.Graph, shapes: rdflib.Graph) -> tuple[ValidationResult, ...]:
    for prefix, namespace in PREFIXES.items():
        report.bind(prefix, namespace, override=True)
    report.bind("shapes", str(SHAPES), override=True)
    results = []
    # The report's results only: pyshacl also types the nested sh:detail results it attaches.
    top = [r for report_node in report.subjects(RDF.type, SH.ValidationReport) for r in report.objects(report_node, SH.result)]
    for node in top:
        severity = report.value(node, SH.resultSeverity)
        message = report.value(node, SH.resultMessage)
        shape = report.value(node, SH.sourceShape)
        # Property shapes are usually blank nodes; name the node shape that holds them.
        if isinstance(shape, rdflib.BNode):
            parent = shapes.value(predicate=SH.property, object=shape)
            shape_name = _short(parent, report) + " (property " + _short(shapes.value(shape, SH.path), report) + ")" if parent else "[anonymous shape]"
        else:
            shape_name = _short(shape, report)
        results.append(
            ValidationResult(
                severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
                focus_node=_short(report.value(node, SH.focusNode), report),
                path=_short(report.value(node, SH.resultPath), report),
                message=str(message) if message else "(no message)",
                shape=shape_name,
                value=_short(report.value(node, SH.value), report),
            )
        )
    return tuple(sorted(results))


def run_pyshacl(data_graph: rdflib.Graph, shapes_graph: rdflib.Graph, *, inplace: bool = False) -> rdflib.Graph:
    """pyshacl's report graph; :class:`ShapesError` when the shapes themselves cannot be applied.

    ``inplace`` when the caller throws ``data_graph`` away afterwards: pyshacl then skips
    copying it (a tenth of validation time at scale).
    """
    _conforms, report, text = shacl_validate(
        data_graph,
        inplace=inplace,
        shacl_graph=shapes_graph,
        inference="none",
        advanced=True,  # SPARQL-based constraints (unique positions, IRI policy)
        allow_warnings=True,
        abort_on_first=False,
    )
    if not isinstance(report, rdflib.Graph):
        # pyshacl reports a broken shapes graph as a "ValidationFailure" instead of a report.
        raise ShapesError(f"the SHACL shapes cannot be applied: {text.replace('Validation Failure - ', '')}")
    return report


GATING_NOTE = (
    "sh:conforms follows the SHACL specification: it is false whenever there is a result, of any "
    "severity. scograph writes a release when no result has severity sh:Violation; warnings and "
    "infos are published in this report and do not block it."
)


def set_spec_conformance(report: rdflib.Graph) -> rdflib.Graph:
    """Make the report's sh:conforms say what SHACL says it means, and note how builds are gated.

    pyshacl with ``allow_warnings`` reports ``sh:conforms true`` beside warnings, which
    SHACL 1.0 section 3.6 does not allow; other engines (Jena) report false.
    """
    conforms = next(report.subjects(SH.result, None), None) is None
    for node in list(report.subjects(RDF.type, SH.ValidationReport)):
        report.set((node, SH.conforms, rdflib.Literal(conforms)))
        report.set((node, RDFS.comment, rdflib.Literal(GATING_NOTE, lang="en")))
    return report


def validate_graphs(data: Iterable[ox.Triple], shapes: Iterable[ox.Triple]) -> ValidationOutcome:
    """Validate ``data`` (data + ontology triples, so subclass targets work) against ``shapes``."""
    data_graph = to_rdflib(data)
    shapes_graph = to_rdflib(shapes)
    report = set_spec_conformance(run_pyshacl(data_graph, shapes_graph))
    return ValidationOutcome(results=results_from_report(report, shapes_graph), report=report)
