"""Reading the Turtle sources into graphs, with errors that name file and line.

Each source directory becomes one named graph of the release:
``ontology/`` -> ``graph/ontology``, ``data/`` -> ``graph/data``,
``shapes/`` -> ``graph/shapes``. Files are read in sorted order so the result
does not depend on the file system.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from scograph.namespaces import DEFAULT_BASE_IRI


class SourceError(Exception):
    """A source file cannot be read. The message names the file and line."""

    def __init__(self, path: Path, message: str, line: int | None = None, column: int | None = None):
        self.path = path
        self.line = line
        self.column = column
        self.detail = message
        where = f"{path}:{line}" + (f":{column}" if column else "") if line else str(path)
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class SourceSet:
    """The triples of one source directory, already rebased onto the configured base IRI."""

    name: str
    files: tuple[Path, ...]
    triples: tuple[ox.Triple, ...]


def turtle_files(directory: Path) -> tuple[Path, ...]:
    if not directory.is_dir():
        raise SourceError(directory, "source directory does not exist")
    return tuple(sorted(p for p in directory.rglob("*.ttl") if p.is_file()))


# Vocabulary IRIs are shared by every deployment: rebasing them would make two
# deployments' data incompatible, so only instance data moves to a custom base.
_FIXED_PREFIXES = (DEFAULT_BASE_IRI + "ontology", DEFAULT_BASE_IRI + "shapes")


def _rebase(term, base_iri: str):
    """Map IRIs written with the default base onto a deployment's own base IRI."""
    if (
        isinstance(term, ox.NamedNode)
        and term.value.startswith(DEFAULT_BASE_IRI)
        and not term.value.startswith(_FIXED_PREFIXES)
    ):
        return ox.NamedNode(base_iri + term.value[len(DEFAULT_BASE_IRI):])
    return term


def parse_turtle_file(path: Path, base_iri: str = DEFAULT_BASE_IRI) -> list[ox.Triple]:
    """Parse one Turtle file; raise :class:`SourceError` with the line on bad syntax."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(path, f"cannot read file: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SourceError(path, "file is not valid UTF-8", line=line) from None
    try:
        quads = list(ox.parse(text, format=ox.RdfFormat.TURTLE, base_iri=DEFAULT_BASE_IRI, path=None))
    except SyntaxError as exc:
        message = str(exc)
        # pyoxigraph appends "(file, line N)"; we name the file ourselves.
        if message.endswith(")") and " (" in message:
            message = message[: message.rfind(" (")]
        raise SourceError(path, message, line=exc.lineno, column=exc.offset) from None
    if base_iri == DEFAULT_BASE_IRI:
        return [q.triple for q in quads]
    return [
        ox.Triple(_rebase(q.subject, base_iri), _rebase(q.predicate, base_iri), _rebase(q.object, base_iri))
        for q in quads
    ]


def load_source_set(name: str, directory: Path, base_iri: str = DEFAULT_BASE_IRI) -> SourceSet:
    files = turtle_files(directory)
    if not files:
        raise SourceError(directory, "no .ttl files found")
    triples: list[ox.Triple] = []
    for path in files:
        triples.extend(parse_turtle_file(path, base_iri))
    return SourceSet(name=name, files=files, triples=tuple(triples))
