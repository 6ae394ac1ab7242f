"""The document diagram: clauses on the left, what they refer to on the right, as inline SVG.

Drawn on the server from data already on the page, so it needs no script,
no CDN and no network. Every box is a link; the SVG has a title and a
description, and the page repeats the same facts as a table for screen
readers and for copying.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from scograph.web import i18n

ROW = 30  # px between rows
BOX_HEIGHT = 22
LEFT_X, LEFT_WIDTH = 4, 230
RIGHT_X, RIGHT_WIDTH = 470, 420
WIDTH = RIGHT_X + RIGHT_WIDTH + 4
HEADING = 26  # px above each group of targets

#: Colour of each kind of target (and of the lines to it): readable on white, told apart without colour by headings.
COLOURS = {"instrument": "#1f5f99", "event": "#a3480f", "organization": "#2e7d32"}
#: Message keys of the group headings (the words come from the catalogue, in the interface language).
GROUP_TITLES = {"instrument": "diagram.group.instrument", "event": "diagram.group.event", "organization": "diagram.group.organization"}


@dataclass(frozen=True)
class Node:
    key: str  # clause key or target IRI
    label: str
    href: str
    lang: str | None = None  # language of the label (data labels keep their own)


@dataclass(frozen=True)
class Edge:
    source: str  # clause key
    target: str  # target IRI
    category: str


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _box(node: Node, x: int, y: int, width: int, colour: str, limit: int) -> str:
    lang = f' xml:lang="{escape(node.lang)}" lang="{escape(node.lang)}"' if node.lang else ""
    return (
        f'<a href="{escape(node.href)}"{lang}><title>{escape(node.label)}</title>'
        f'<rect x="{x}" y="{y}" width="{width}" height="{BOX_HEIGHT}" rx="4" fill="#fff" stroke="{colour}"/>'
        f'<text x="{x + 8}" y="{y + 15}">{escape(_truncate(node.label, limit))}</text></a>'
    )


def render(clauses: list[Node], targets: dict[str, list[Node]], edges: list[Edge], title: str) -> Markup:
    """SVG of ``clauses`` (in document order) linked to ``targets`` (grouped by category)."""
    left_y = {c.key: 10 + i * ROW for i, c in enumerate(clauses)}
    right_y: dict[str, int] = {}
    parts: list[str] = []
    y = 4
    for category in ("instrument", "event", "organization"):
        group = targets.get(category, [])
        if not group:
            continue
        parts.append(
            f'<text class="group" x="{RIGHT_X}" y="{y + 16}" fill="{COLOURS[category]}">{escape(i18n.text(GROUP_TITLES[category]))}</text>'
        )
        y += HEADING
        for node in group:
            right_y[node.key] = y
            parts.append(_box(node, RIGHT_X, y, RIGHT_WIDTH, COLOURS[category], 58))
            y += ROW
        y += 8
    height = max(y, 10 + len(clauses) * ROW) + 4

    lines = []
    for edge in edges:
        if edge.source not in left_y or edge.target not in right_y:
            continue
        x1, y1 = LEFT_X + LEFT_WIDTH, left_y[edge.source] + BOX_HEIGHT / 2
        x2, y2 = RIGHT_X, right_y[edge.target] + BOX_HEIGHT / 2
        mid = (x1 + x2) / 2
        lines.append(
            f'<path d="M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}" stroke="{COLOURS[edge.category]}" '
            f'data-source="{escape(edge.source)}"/>'
        )
    boxes = [_box(c, LEFT_X, left_y[c.key], LEFT_WIDTH, "#555", 30) for c in clauses]
    description = i18n.text("diagram.description", clauses=len(clauses), targets=len(right_y), edges=len(lines))
    svg = (
        f'<svg class="diagram" role="img" aria-labelledby="diagram-title diagram-desc" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="diagram-title">{escape(title)}</title><desc id="diagram-desc">{escape(description)}</desc>'
        f'<g class="edges" fill="none" stroke-width="1.3" stroke-opacity="0.55">{"".join(lines)}</g>'
        f'<g class="nodes">{"".join(boxes)}{"".join(parts)}</g></svg>'
    )
    return Markup(svg)
