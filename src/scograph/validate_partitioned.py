"""Validate a large corpus per document, in parallel processes.

Each partition (typically: the file(s) of one or a few documents) is validated
together with the shared reference data (vocabularies, states, places, events,
ontology) by :func:`scograph.validate_fast.validate_graphs_fast` in a worker
process, one per core; the reports are merged and results about shared nodes,
which every partition sees, are kept once. Memory is bounded by one
partition's graph instead of an rdflib graph of the whole corpus.

Correct when no constraint of a partition's nodes needs triples that live only
in *another* partition: documents may link to shared data freely, but a
document citing another *document* needs that document's triples in the shared
set. Which files are partitions and which are shared is the caller's rule.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF, SH

from scograph.validate import ValidationOutcome, ValidationResult, set_spec_conformance

_KEY = (SH.focusNode, SH.resultPath, SH.resultMessage, SH.sourceShape, SH.value, SH.resultSeverity)


_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent_pid: int) -> None:
    """Pool initializer: the kernel kills this process when the build that started it dies,
    however it dies (``kill -9`` included), so no validation runs on for nobody."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the pool's pipes closing still ends its loop
        return
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def _validate_partition(job: tuple[bytes, bytes, bytes]) -> tuple[tuple[ValidationResult, ...], bytes]:
    """Worker: N-Triples in (partition, shared, shapes); results and the report (N-Triples) out.

    Results are named here, where the report's blank nodes still match the shapes graph's.
    """
    from scograph.validate_fast import validate_graphs_fast

    partition, shared, shapes = (
        [q.triple for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)] for body in job
    )
    outcome = validate_graphs_fast(partition + shared, shapes)
    return outcome.results, outcome.report.serialize(format="nt", encoding="utf-8")


def _merge(reports: Sequence[bytes]) -> rdflib.Graph:
    merged = rdflib.Graph()
    seen: set[tuple] = set()
    report_node = rdflib.BNode()
    merged.add((report_node, RDF.type, SH.ValidationReport))
    conforms = True
    for body in reports:
        graph = rdflib.Graph().parse(data=body, format="nt")
        # The report's own results; nested sh:detail results travel with their parent.
        for result in graph.objects(None, SH.result):
            key = tuple(graph.value(result, p) for p in _KEY)
            if key in seen:
                continue  # a shared node, already reported by another partition
            seen.add(key)
            conforms = False
            merged.add((report_node, SH.result, result))
            # Copy the result and what hangs off it (blank-node paths, details).
            stack = [result]
            while stack:
                node = stack.pop()
                for p, o in graph.predicate_objects(node):
                    merged.add((node, p, o))
                    if isinstance(o, rdflib.BNode):
                        stack.append(o)
    merged.add((report_node, SH.conforms, rdflib.Literal(conforms)))
    return set_spec_conformance(merged)


def validate_partitioned(
    partitions: Sequence[Sequence[ox.Triple]],
    shared: Sequence[ox.Triple],
    shapes: Sequence[ox.Triple],
    *,
    processes: int | None = None,
) -> ValidationOutcome:
    """Validate every partition with the shared triples; same contract as ``validate_graphs``."""
    def nt(triples: Sequence[ox.Triple]) -> bytes:
        return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""

    shared_nt, shapes_nt = nt(shared), nt(shapes)
    jobs = [(nt(part), shared_nt, shapes_nt) for part in partitions] or [(b"", shared_nt, shapes_nt)]
    workers = max(1, min(processes or os.cpu_count() or 1, len(jobs)))
    # One task per process lifetime would be safest for memory; reusing processes saves imports.
    # fork, whatever the platform's default: the workers are then children of this
    # process, which is what _die_with_parent checks (forkserver would be their parent).
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_die_with_parent, initargs=(os.getpid(),)
    ) as pool:
        answers = list(pool.map(_validate_partition, jobs))
    # Shared nodes are validated in every partition: each result counts once.
    results = tuple(sorted({result for found, _report in answers for result in found}))
    return ValidationOutcome(results=results, report=_merge([report for _found, report in answers]))
