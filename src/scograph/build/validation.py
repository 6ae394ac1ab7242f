"""SHACL validation of the loaded sources, in this process or in a pool of workers."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor

from scograph.build.failures import BuildError
from scograph.build.inputs import LoadedSources
from scograph.pool import worker_pool
from scograph.validate import ValidationOutcome
from scograph.validate.fast import validate_graphs_fast
from scograph.validate.partitioned import submit_partitioned


def validate_sources(
    sources: LoadedSources, *, pool: Executor | None = None, on_progress: Callable[[int], None] = lambda _n: None
) -> ValidationOutcome:
    """SHACL-validate the sources (results equal pyshacl's: tests/test_validate_fast.py); see ``start_validation``."""
    if pool is None and len(sources.partitions) >= 2:
        with worker_pool() as own:
            return start_validation(sources, pool=own, on_progress=on_progress)()
    return start_validation(sources, pool=pool, on_progress=on_progress)()


def start_validation(
    sources: LoadedSources, *, pool: Executor | None, on_progress: Callable[[int], None] = lambda _n: None
) -> Callable[[], ValidationOutcome]:
    """Start SHACL-validating the sources (results equal pyshacl's: tests/test_validate_fast.py).

    The bulk validator runs each SPARQL constraint once in Oxigraph instead of once per
    node (hours -> minutes at 1M triples). With two or more partitions (files in
    subdirectories of data/), each is validated with the shared data in a process
    pool: faster on several cores, and memory bounded by one job. ``on_progress``
    gets the data triples of each finished job.

    Call the returned function for the outcome: partitions are queued in ``pool`` and
    validated while the caller goes on; a corpus without partitions is validated
    when the outcome is asked for, in this process.
    """
    common = sources.ontology.triples + sources.record.triples
    if len(sources.partitions) >= 2 and pool is not None:
        return submit_partitioned(
            sources.partitions, sources.shared + common, sources.shapes.triples, pool, on_progress
        )

    def in_this_process() -> ValidationOutcome:
        outcome = validate_graphs_fast(sources.data.triples + common, sources.shapes.triples)
        on_progress(len(sources.data.triples))
        return outcome

    return in_this_process


def releasable_or_raise(outcome: ValidationOutcome) -> None:
    # releasable, not conforms: SHACL's conforms is false whenever there is a warning.
    if not outcome.releasable:
        raise BuildError("validation failed; the release was not written:\n\n" + outcome.format())
