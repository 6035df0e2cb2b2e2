"""An inline SVG drawing of one API's lifecycle: states as nodes, transitions as edges.

Edges the spec allows are grey and dashed; those a run actually observed are solid green and
thick; an observed transition the spec does not allow is solid red. States are laid out in
columns by their distance from the initial state (the first of ``states``). Every name is
escaped: the observed transitions come from the target.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

from tools.reports.common import xml_safe

NODE_H = 34
COL_GAP = 70
ROW_GAP = 26
MARGIN = 16
LEGEND_H = 74
MAX_LABEL = 24  # longer names are cut in the box; the full name is in its tooltip


@dataclass(frozen=True)
class EdgeStyle:
    """How one kind of edge is drawn, and what the legend calls it."""

    kind: str
    label: str
    stroke: str
    width: float
    dash: str


EDGE_STYLES: dict[str, EdgeStyle] = {
    "allowed": EdgeStyle("allowed", "allowed by the spec, not observed", "#8a8f98", 1.5, "5 4"),
    "observed": EdgeStyle("observed", "allowed and observed in this run", "#1a7f37", 3.5, ""),
    "unexpected": EdgeStyle("unexpected", "observed but NOT allowed by the spec", "#cf222e", 3.5, ""),
}


def _columns(states: Sequence[str], transitions: Mapping[str, Sequence[str]]) -> dict[str, int]:
    depth: dict[str, int] = {}
    if states:
        depth[states[0]] = 0
        frontier = [states[0]]
        while frontier:
            nxt: list[str] = []
            for state in frontier:
                for after in transitions.get(state, ()):
                    if after not in depth:
                        depth[after] = depth[state] + 1
                        nxt.append(after)
            frontier = nxt
    last = max(depth.values(), default=-1) + 1
    return {s: depth.get(s, last) for s in states}


def _edge_kinds(
    transitions: Mapping[str, Sequence[str]], observed: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], str]:
    allowed = {(a, b) for a, nexts in transitions.items() for b in nexts}
    kinds = dict.fromkeys(allowed, "allowed")
    for edge in observed:
        if edge[0] != edge[1]:  # staying put is not a transition
            kinds[edge] = "observed" if edge in allowed else "unexpected"
    return kinds


def _marker(prefix: str, style: EdgeStyle) -> str:
    return (
        f'<marker id="{prefix}-arrow-{style.kind}" viewBox="0 0 10 10" refX="9" refY="5" '
        f'markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{style.stroke}"/></marker>'
    )


def _line(prefix: str, style: EdgeStyle, d: str, attrs: str = "", title: str = "") -> str:
    dash = f' stroke-dasharray="{style.dash}"' if style.dash else ""
    inner = f"<title>{_esc(title)}</title>" if title else ""
    return (
        f'<path d="{d}" fill="none" stroke="{style.stroke}" stroke-width="{style.width}"{dash} '
        f'marker-end="url(#{prefix}-arrow-{style.kind})"{attrs}>{inner}</path>'
    )


def render_lifecycle(
    states: Sequence[str],
    transitions: Mapping[str, Sequence[str]],
    observed: Sequence[tuple[str, str]],
    *,
    prefix: str,
    title: str,
) -> str:
    """The SVG element (a string) drawing this lifecycle; ``prefix`` keeps its ids unique on the page."""
    names = list(dict.fromkeys([*states, *(s for edge in observed for s in edge)]))
    column = _columns(names, transitions)
    node_w = max(96, 8 * min(MAX_LABEL, max((len(s) for s in names), default=4)) + 24)
    rows: dict[int, int] = {}
    pos: dict[str, tuple[float, float]] = {}
    for state in names:
        col = column[state]
        row = rows.get(col, 0)
        rows[col] = row + 1
        pos[state] = (MARGIN + col * (node_w + COL_GAP), MARGIN + 14 + row * (NODE_H + ROW_GAP))
    width = max(MARGIN * 2 + (max(column.values(), default=0) + 1) * (node_w + COL_GAP) - COL_GAP, 560)
    graph_h = MARGIN + 14 + max(rows.values(), default=1) * (NODE_H + ROW_GAP)
    height = graph_h + LEGEND_H

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="lifecycle" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="{prefix}-title">',
        f'<title id="{prefix}-title">{_esc(title)}</title>',
        "<defs>" + "".join(_marker(prefix, s) for s in EDGE_STYLES.values()) + "</defs>",
    ]
    kinds = _edge_kinds(transitions, observed)
    # Observed edges last, so they are drawn over the grey ones.
    for (before, after), kind in sorted(kinds.items(), key=lambda item: item[1] != "allowed"):
        if before not in pos or after not in pos:
            continue
        (x1, y1), (x2, y2) = pos[before], pos[after]
        if column[after] == column[before] + 1:
            d = f"M{x1 + node_w},{y1 + NODE_H / 2} L{x2 - 2},{y2 + NODE_H / 2}"
        elif column[after] > column[before]:  # skips a column: bow above the nodes in between
            top = min(y1, y2) - 12
            xa, xb = x1 + node_w / 2, x2 + node_w / 2
            d = f"M{xa},{y1} C{xa},{top - 10} {xb},{top - 10} {xb},{y2 - 2}"
        elif column[after] == column[before] and y2 > y1:  # straight down
            d = f"M{x1 + node_w / 2},{y1 + NODE_H} L{x2 + node_w / 2},{y2 - 2}"
        elif column[after] == column[before]:  # straight up
            d = f"M{x1 + node_w / 2 + 8},{y1} L{x2 + node_w / 2 + 8},{y2 + NODE_H + 2}"
        else:  # backwards: loop below
            bottom = max(y1, y2) + NODE_H + 22
            xa, xb = x1 + node_w / 3, x2 + 2 * node_w / 3
            d = f"M{xa},{y1 + NODE_H} C{x1},{bottom} {x2 + node_w},{bottom} {xb},{y2 + NODE_H + 2}"
        style = EDGE_STYLES[kind]
        attrs = f' class="edge {kind}" data-from="{_esc(before)}" data-to="{_esc(after)}"'
        parts.append(_line(prefix, style, d, attrs, f"{before} → {after}: {style.label}"))
    spec_states = set(states)
    for state in names:
        x, y = pos[state]
        is_end = not transitions.get(state)
        stroke, fill = ("#cf222e", "#ffebe9") if state not in spec_states else ("#24292f", "#f6f8fa")
        parts.append(
            f'<g class="state" data-state="{_esc(state)}"><rect x="{x}" y="{y}" width="{node_w}" height="{NODE_H}" '
            f'rx="{4 if is_end else 17}" fill="{fill}" stroke="{stroke}" '
            f'stroke-width="{2.5 if state == names[0] else 1.2}"/>'
            f'<text x="{x + node_w / 2}" y="{y + NODE_H / 2 + 4}" text-anchor="middle" font-size="12" '
            f'font-family="ui-monospace, monospace" fill="#24292f">{_esc(_label(state))}</text>'
            f"<title>{_esc(state)}</title></g>"
        )
    parts.append(_legend(prefix, graph_h, width))
    parts.append("</svg>")
    return "\n".join(parts)


def _esc(text: str) -> str:
    return escape(xml_safe(text), quote=True)


def _label(state: str) -> str:
    return state if len(state) <= MAX_LABEL else state[: MAX_LABEL - 1] + "…"


def _legend(prefix: str, top: float, width: float) -> str:
    items = []
    y = top + 8
    for i, style in enumerate(EDGE_STYLES.values()):
        ly = y + i * 18
        items.append(
            _line(prefix, style, f"M{MARGIN},{ly} L{MARGIN + 44},{ly}")
            + f'<text x="{MARGIN + 54}" y="{ly + 4}" font-size="11" fill="#24292f">{_esc(style.label)}</text>'
        )
    x = min(width - 230, MARGIN + 330)
    items.append(
        f'<rect x="{x}" y="{y - 8}" width="28" height="16" rx="8" fill="#f6f8fa" stroke="#24292f" stroke-width="2.5"/>'
        f'<text x="{x + 36}" y="{y + 4}" font-size="11" fill="#24292f">initial state (thick border)</text>'
        f'<rect x="{x}" y="{y + 10}" width="28" height="16" rx="3" fill="#f6f8fa" stroke="#24292f" stroke-width="1.2"/>'
        f'<text x="{x + 36}" y="{y + 22}" font-size="11" fill="#24292f">end state (square corners)</text>'
        f'<rect x="{x}" y="{y + 28}" width="28" height="16" rx="8" fill="#ffebe9" stroke="#cf222e" stroke-width="1.2"/>'
        f'<text x="{x + 36}" y="{y + 40}" font-size="11" fill="#24292f">state not in the spec</text>'
    )
    return f'<g class="legend">{"".join(items)}</g>'
