"""Two small SVG pictures drawn from the graph, with no plotting library.

* :func:`matrix_svg` — a grid of rows × columns with a filled cell where a pair occurs
  (mechanism types × areas on the mechanisms page);
* :func:`timeline_svg` — dated points on a year axis (events and measurements).

Every piece of text goes through :func:`xml.sax.saxutils.escape`/``quoteattr``; links are
given by the caller (relative to the page the picture is embedded in).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

__all__ = ["Axis", "TimePoint", "matrix_svg", "parse_date", "timeline_svg"]


@dataclass(frozen=True)
class Axis:
    """One row or column of the matrix: a label and an optional link."""

    label: str
    href: str | None = None


@dataclass(frozen=True)
class TimePoint:
    """One dated thing on the timeline."""

    when: float  # a fractional year, e.g. 2009.5
    date_text: str
    label: str
    kind: str  # e.g. "event" or "measurement"; chooses the marker
    href: str | None = None


def _link(href: str | None, inner: str) -> str:
    return f"<a href={quoteattr(href)}>{inner}</a>" if href else inner


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def matrix_svg(rows: list[Axis], columns: list[Axis], filled: set[tuple[int, int]],
               *, title: str) -> str:
    """A rows × columns grid; ``filled`` holds (row index, column index) pairs."""
    cell, left, top = 18, 260, 150
    width = left + cell * max(len(columns), 1) + 90  # room for the last rotated column label
    height = top + cell * max(len(rows), 1) + 20
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="matrix" '
           f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
           f"<title>{escape(title)}</title>"]
    for j, column in enumerate(columns):
        x = left + cell * j + cell // 2
        text = (f'<text transform="translate({x + 4},{top - 6}) rotate(-60)" '
                f'font-size="11">{escape(_short(column.label, 24))}</text>')
        out.append(_link(column.href, text))
    for i, row in enumerate(rows):
        y = top + cell * i
        text = (f'<text x="{left - 6}" y="{y + cell - 5}" text-anchor="end" '
                f'font-size="11">{escape(_short(row.label))}</text>')
        out.append(_link(row.href, text))
        for j, column in enumerate(columns):
            x = left + cell * j
            on = (i, j) in filled
            out.append(
                f'<rect x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" '
                f'fill="{"#2a6f97" if on else "#eef2f5"}" stroke="#c9d3da">'
                f"<title>{escape(row.label)} × {escape(column.label)}: "
                f"{'yes' if on else 'no'}</title></rect>")
    out.append("</svg>")
    return "\n".join(out)


_DATE = re.compile(r"^(-?\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


def parse_date(text: str) -> float | None:
    """A fractional year from an xsd:gYear, xsd:gYearMonth or xsd:date lexical form."""
    match = _DATE.match(text.strip())
    if not match:
        return None
    year = int(match.group(1))
    month = int(match.group(2) or 1)
    day = int(match.group(3) or 1)
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return year + (month - 1) / 12 + (day - 1) / 365


def timeline_svg(points: list[TimePoint], *, title: str) -> str:
    """Points on a horizontal year axis, one labelled row per point, oldest first."""
    points = sorted(points, key=lambda p: (p.when, p.label))
    left, right, top, row = 90, 380, 30, 18
    width = left + right + 360
    height = top + row * max(len(points), 1) + 30
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="timeline" '
           f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
           f"<title>{escape(title)}</title>"]
    if not points:
        out.append(f'<text x="10" y="{top}" font-size="12">No dated events or measurements '
                   "yet.</text></svg>")
        return "\n".join(out)
    first = int(points[0].when)
    last = int(points[-1].when) + 1
    span = max(last - first, 1)

    def x_of(when: float) -> float:
        return left + (when - first) / span * right

    axis_y = height - 20
    out.append(f'<line x1="{left}" y1="{axis_y}" x2="{left + right}" y2="{axis_y}" '
               'stroke="#555"/>')
    for year in range(first, last + 1):
        x = x_of(year)
        out.append(f'<line x1="{x:.1f}" y1="{top - 10}" x2="{x:.1f}" y2="{axis_y + 4}" '
                   'stroke="#ddd"/>')
        out.append(f'<text x="{x:.1f}" y="{axis_y + 16}" font-size="11" '
                   f'text-anchor="middle">{year}</text>')
    for i, point in enumerate(points):
        y = top + row * i
        x = x_of(point.when)
        marker = (f'<circle cx="{x:.1f}" cy="{y}" r="5" fill="#c0392b"/>'
                  if point.kind == "event" else
                  f'<rect x="{x - 4:.1f}" y="{y - 4}" width="8" height="8" fill="#2a6f97"/>')
        label = (f'<text x="{left + right + 12}" y="{y + 4}" font-size="11">'
                 f"{escape(point.date_text)} · {escape(_short(point.label, 52))}</text>")
        out.append(_link(point.href, f"<g><title>{escape(point.label)}</title>{marker}"
                                     f"{label}</g>"))
        out.append(f'<line x1="{x:.1f}" y1="{y}" x2="{left + right + 8}" y2="{y}" '
                   'stroke="#eee"/>')
    out.append("</svg>")
    return "\n".join(out)
