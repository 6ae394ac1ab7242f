"""``scograph build``: validate the sources and write an immutable release.

The build is deterministic (the same sources give byte-identical dump files:
blank nodes are canonicalised with RDFC-1.0, quads are sorted, gzip headers
carry no time stamp) and atomic (everything is written to a staging directory
beside the releases; only a complete, validated release is renamed into place
and ``current`` is switched with a single ``rename``). A failed build leaves
the previous release untouched; what a killed build leaves behind is removed
by the next one (:func:`remove_stale_leftovers`).

The modules: ``phases`` (the build, phase by phase), ``inputs`` (the sources, their checksums
and the version), ``validation``, ``prepare`` (what is made beside the validation workers),
``canonical`` (byte-identical RDF), ``failures`` (the error, and what killed builds leave).
"""

from scograph.build.canonical import canonical_quads, write_canonical_turtle
from scograph.build.failures import BuildError, remove_stale_leftovers
from scograph.build.inputs import LoadedSources, load_sources, release_version, source_checksums, source_file_count
from scograph.build.phases import build
from scograph.build.prepare import write_exports
from scograph.build.validation import start_validation, validate_sources

__all__ = [
    "BuildError",
    "LoadedSources",
    "build",
    "canonical_quads",
    "load_sources",
    "release_version",
    "remove_stale_leftovers",
    "source_checksums",
    "source_file_count",
    "start_validation",
    "validate_sources",
    "write_canonical_turtle",
    "write_exports",
]
