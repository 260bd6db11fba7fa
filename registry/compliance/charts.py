"""Charts drawn on the server as SVG: no script, no network, readable without colour.

Each series has its own colour (a palette safe for colour-blind readers), its own dash
pattern and its own marker shape, and is labelled at its last point; the chart carries a
title and a description for screen readers, and every page that shows one also shows the
same figures as a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999933"]
DASHES = ["", "6 3", "2 3", "8 3 2 3", "1 2", "10 4", "4 2 1 2", "12 2"]
MARKERS = [
    "circle",
    "square",
    "triangle",
    "diamond",
    "cross",
    "circle-open",
    "square-open",
    "triangle-down",
]

WIDTH, HEIGHT = 760, 340
LEFT, RIGHT, TOP, BOTTOM = 56, 90, 24, 44


@dataclass(frozen=True)
class Series:
    label: str
    points: Sequence[tuple[int, float | None]]  # (year, value); None leaves a gap


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    description: str,
    y_max: float = 100,
    y_step: float = 20,
) -> SafeString:
    years = sorted({year for one in series for year, _ in one.points})
    if not years:
        return mark_safe("")
    x_of = _scale(years[0], years[-1], LEFT, WIDTH - RIGHT)
    y_of = _scale(0, y_max, HEIGHT - BOTTOM, TOP)
    parts = [_grid(years, x_of, y_of, y_max, y_step)]
    for index, one in enumerate(series):
        parts.append(_series(one, index, x_of, y_of))
    body = "".join(parts)
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-t {}-d" '
        'xmlns="http://www.w3.org/2000/svg"><title id="{}-t">{}</title>'
        '<desc id="{}-d">{}</desc>{}</svg>',
        WIDTH,
        HEIGHT,
        _id(title),
        _id(title),
        _id(title),
        title,
        _id(title),
        description,
        mark_safe(body),
    )


def _scale(low: float, high: float, start: float, end: float):
    span = (high - low) or 1
    return lambda value: start + (value - low) * (end - start) / span


def _grid(years: list[int], x_of, y_of, y_max: float, y_step: float) -> str:
    lines = []
    value = 0.0
    while value <= y_max + 1e-9:
        y = y_of(value)
        lines.append(
            f'<line class="chart__grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" '
            f'y2="{y:.1f}"/><text class="chart__tick" x="{LEFT - 8}" y="{y + 4:.1f}" '
            f'text-anchor="end">{value:g}</text>'
        )
        value += y_step
    for year in years:
        x = x_of(year)
        lines.append(
            f'<text class="chart__tick" x="{x:.1f}" y="{HEIGHT - BOTTOM + 20}" '
            f'text-anchor="middle">{year}</text>'
        )
    return "".join(lines)


def _series(one: Series, index: int, x_of, y_of) -> str:
    colour = PALETTE[index % len(PALETTE)]
    dash = DASHES[index % len(DASHES)]
    marker = MARKERS[index % len(MARKERS)]
    segments, current = [], []
    for year, value in sorted(one.points):
        if value is None:
            if current:
                segments.append(current)
            current = []
        else:
            current.append((x_of(year), y_of(value)))
    if current:
        segments.append(current)
    out = [f'<g class="chart__series"><title>{escape(one.label)}</title>']
    for segment in segments:
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in segment)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        line = f'fill="none" stroke="{colour}" stroke-width="2.5"{dash_attr}'
        out.append(f'<polyline {line} points="{points}"/>')
        out.extend(_marker(marker, x, y, colour) for x, y in segment)
    if segments:
        x, y = segments[-1][-1]
        out.append(
            f'<text class="chart__label" x="{x + 10:.1f}" y="{y + 4:.1f}" fill="{colour}">'
            f"{escape(one.label)}</text>"
        )
    out.append("</g>")
    return "".join(out)


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    fill = "white" if shape.endswith("-open") else colour
    base = shape.removesuffix("-open")
    common = f'fill="{fill}" stroke="{colour}" stroke-width="1.5"'
    if base == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" {common}/>'
    if base == "square":
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" {common}/>'
    if base == "diamond":
        corners = [(x, y - 5.5), (x + 5.5, y), (x, y + 5.5), (x - 5.5, y)]
        return f'<polygon points="{_points(corners)}" {common}/>'
    if base == "cross":
        return (
            f'<path d="M{x - 4:.1f},{y - 4:.1f} L{x + 4:.1f},{y + 4:.1f} M{x - 4:.1f},{y + 4:.1f} '
            f'L{x + 4:.1f},{y - 4:.1f}" stroke="{colour}" stroke-width="2.5"/>'
        )
    tip = -5.5 if base == "triangle" else 5.5
    corners = [(x, y + tip), (x + 5, y - tip), (x - 5, y - tip)]
    return f'<polygon points="{_points(corners)}" {common}/>'


def _points(corners: list[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in corners)


def _id(title: str) -> str:
    return "chart-" + "".join(c if c.isalnum() else "-" for c in title.lower())[:40]
