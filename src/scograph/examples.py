"""The curated example queries (``src/scograph/queries/*.rq``).

They are the dataset's competency questions: the tests check their answers
against the document, the query page offers them, the benchmark runs them.
Each file starts with ``# title:`` and ``# description:`` comment lines, their
Chinese versions ``# title-zh:`` and ``# description-zh:`` (published with the
examples at ``/.well-known/sparql-examples``), and optionally ``# scope: corpus``.

Most examples are anchored on named resources (the Initiative, the SCO, the
Forum), so their answers stay the same when more documents are added and they
cost the same at any corpus size. An example marked ``# scope: corpus`` asks
the whole dataset (a catalogue question): its answer grows with the corpus,
and the tests and the scale benchmark treat it so.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

QUERY_DIR = Path(__file__).resolve().parent / "queries"


@dataclass(frozen=True)
class ExampleQuery:
    slug: str
    title: str
    description: str
    query: str
    corpus_wide: bool = False
    title_zh: str = ""
    description_zh: str = ""


def _header(text: str, key: str, default: str | None = None) -> str:
    for line in text.splitlines():
        if line.startswith(f"# {key}:"):
            return line.split(":", 1)[1].strip()
    if default is not None:
        return default
    raise ValueError(f"example query lacks a '# {key}:' line")


def _corpus_wide(text: str) -> bool:
    scope = _header(text, "scope", "anchored")
    if scope not in ("anchored", "corpus"):
        raise ValueError(f"'# scope: {scope}' should be 'anchored' or 'corpus'")
    return scope == "corpus"


@cache
def example_queries() -> tuple[ExampleQuery, ...]:
    examples = []
    for path in sorted(QUERY_DIR.glob("*.rq")):
        text = path.read_text("utf-8")
        try:
            examples.append(
                ExampleQuery(
                    path.stem,
                    _header(text, "title"),
                    _header(text, "description"),
                    text,
                    _corpus_wide(text),
                    _header(text, "title-zh", ""),
                    _header(text, "description-zh", ""),
                )
            )
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None
    return tuple(examples)


def example_query(slug: str) -> ExampleQuery:
    for example in example_queries():
        if example.slug == slug:
            return example
    raise KeyError(slug)
