"""Validate a large corpus per document, in parallel processes.

Each partition (typically: the file(s) of one or a few documents) is validated
together with the shared reference data (vocabularies, states, places, events,
ontology) by :func:`scograph.validate.fast.validate_graphs_fast` in a worker
process, one per core; the reports are merged and results about shared nodes,
which every partition sees, are kept once. Memory is bounded by one
partition's graph instead of an rdflib graph of the whole corpus.

Correct when no constraint of a partition's nodes needs triples that live only
in *another* partition: documents may link to shared data freely, but a
document citing another *document* needs that document's triples in the shared
set. Which files are partitions and which are shared is the caller's rule.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from concurrent.futures import Executor

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF, SH

from scograph.pool import worker_pool
from scograph.validate import ValidationOutcome, ValidationResult, set_spec_conformance

_KEY = (SH.focusNode, SH.resultPath, SH.resultMessage, SH.sourceShape, SH.value, SH.resultSeverity)

#: Jobs per worker: enough that the last jobs of one worker end close to the other's.
JOBS_PER_WORKER = 4
#: Largest job, in partition triples: bounds a worker's rdflib graph (~1.5 KB a triple).
MAX_JOB_TRIPLES = 60_000


def plan_jobs(sizes: Sequence[int], workers: int) -> list[list[int]]:
    """Group partitions (by index) into jobs of about equal size, largest job first.

    A partition is never split (its nodes may need each other), so balance comes from
    packing many small partitions: greedy largest-first into the lightest job.
    """
    total = sum(sizes)
    count = max(workers * JOBS_PER_WORKER, -(-total // MAX_JOB_TRIPLES))
    # A multiple of the workers: 17 equal jobs on 2 workers leave one idle for the 17th.
    count = -(-count // workers) * workers
    count = max(1, min(count, len(sizes)))
    jobs: list[tuple[int, int, list[int]]] = [(0, n, []) for n in range(count)]
    for index in sorted(range(len(sizes)), key=lambda i: (-sizes[i], i)):
        load, n, members = heapq.heappop(jobs)
        members.append(index)
        heapq.heappush(jobs, (load + sizes[index], n, members))
    return [members for _load, _n, members in sorted(jobs, key=lambda j: (-j[0], j[1])) if members]


def _validate_partition(job: tuple[bytes, bytes, bytes]) -> tuple[tuple[ValidationResult, ...], bytes]:
    """Worker: N-Triples in (partition, shared, shapes); results and the report (N-Triples) out.

    Results are named here, where the report's blank nodes still match the shapes graph's.
    """
    from scograph.validate.fast import validate_graphs_fast

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
    pool: Executor | None = None,
    on_progress: Callable[[int], None] = lambda _triples: None,
) -> ValidationOutcome:
    """Validate every partition with the shared triples; same contract as ``validate_graphs``.

    Runs in ``pool`` if given (the build's), else in a pool of ``processes`` workers
    made for the call. ``on_progress`` gets the partition triples of each finished job.
    """
    if pool is None:
        with worker_pool(processes) as own:
            return submit_partitioned(partitions, shared, shapes, own, on_progress, workers=processes)()
    return submit_partitioned(partitions, shared, shapes, pool, on_progress, workers=processes)()


def submit_partitioned(
    partitions: Sequence[Sequence[ox.Triple]],
    shared: Sequence[ox.Triple],
    shapes: Sequence[ox.Triple],
    pool: Executor,
    on_progress: Callable[[int], None] = lambda _triples: None,
    *,
    workers: int | None = None,
) -> Callable[[], ValidationOutcome]:
    """Queue the validation jobs in ``pool`` and return at once; call the result for the outcome.

    The caller may work meanwhile (the build canonicalises its quads). ``on_progress``
    is called from the pool's thread as each job ends.
    """
    def nt(triples: Sequence[ox.Triple]) -> bytes:
        return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""

    workers = workers or getattr(pool, "_max_workers", 1)
    shared_nt, shapes_nt = nt(shared), nt(shapes)
    plan = plan_jobs([len(part) for part in partitions], workers) or [[]]
    futures = []
    for members in plan:
        body = nt([t for index in members for t in partitions[index]])
        future = pool.submit(_validate_partition, (body, shared_nt, shapes_nt))
        size = sum(len(partitions[index]) for index in members)
        future.add_done_callback(lambda f, size=size: f.exception() is None and on_progress(size))
        futures.append(future)

    def outcome() -> ValidationOutcome:
        answers = [future.result() for future in futures]
        # Shared nodes are validated in every job: each result counts once.
        results = tuple(sorted({result for found, _report in answers for result in found}))
        return ValidationOutcome(results=results, report=_merge([report for _found, report in answers]))

    return outcome
