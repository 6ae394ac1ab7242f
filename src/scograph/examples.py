"""The curated example queries (``src/scograph/queries/*.rq``).

They are the dataset's competency questions: the tests check their answers
against the document, the query page offers them, the benchmark runs them.
Each file starts with ``# title:`` and ``# description:`` comment lines.
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


def _header(text: str, key: str) -> str:
    for line in text.splitlines():
        if line.startswith(f"# {key}:"):
            return line.split(":", 1)[1].strip()
    raise ValueError(f"example query lacks a '# {key}:' line")


@cache
def example_queries() -> tuple[ExampleQuery, ...]:
    examples = []
    for path in sorted(QUERY_DIR.glob("*.rq")):
        text = path.read_text("utf-8")
        try:
            examples.append(ExampleQuery(path.stem, _header(text, "title"), _header(text, "description"), text))
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None
    return tuple(examples)


def example_query(slug: str) -> ExampleQuery:
    for example in example_queries():
        if example.slug == slug:
            return example
    raise KeyError(slug)
