"""Maps drawn on the server as SVG: countries, land borders, exercise areas. No tiles, no JS.

Every shape is styled by a class of ``registry.css`` (no inline style, for the CSP). Land
borders are dashed and thicker than coasts, and areas are hatched and numbered, so nothing
is told by colour alone. The SVG is an image (``role="img"``) with a title and a short
description; the page gives the full text alternative beside it.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .borders import KM_PER_DEGREE_LON, Box, Point, atlas, bounding_box, boxes_meet, inside
from .geography import centre_of

#: The region: the seven states with a margin (west, south, east, north).
REGION_FRAME: Box = (13.0, 39.4, 23.4, 46.8)
#: Where each country's code is written on a map (inside the country, away from its edges).
LABEL_POINTS = {
    "AL": (20.05, 40.95),
    "BA": (17.75, 44.15),
    "HR": (15.6, 45.55),
    "XK": (20.9, 42.6),
    "ME": (19.25, 42.75),
    "MK": (21.7, 41.6),
    "RS": (20.9, 44.0),
    "SI": (14.8, 46.1),
    "HU": (18.6, 46.45),
    "RO": (22.4, 45.3),
    "BG": (23.05, 43.2),
    "GR": (21.6, 40.2),
    "IT": (16.4, 40.8),
}
MEMBERS = {"AL", "BA", "HR", "XK", "ME", "MK", "RS"}
WIDTH = 640
#: A notice's map shows at least this many degrees around its area (longitude, latitude).
MIN_SPAN = (3.2, 1.6)
SCALE_LENGTHS_KM = (5, 10, 20, 50, 100, 200)


@dataclass(frozen=True)
class MapArea:
    """An area to draw: its points ``[[lon, lat], …]``, its number on the map (or None)."""

    polygon: list
    number: int | None = None


@dataclass(frozen=True)
class Projection:
    """Degrees to pixels: equirectangular, true in scale at the frame's middle latitude."""

    frame: Box
    width: int = WIDTH

    @property
    def x_scale(self) -> float:
        return self.width / (self.frame[2] - self.frame[0])

    @property
    def y_scale(self) -> float:
        middle = (self.frame[1] + self.frame[3]) / 2
        return self.x_scale / math.cos(math.radians(middle))

    @property
    def height(self) -> int:
        return round((self.frame[3] - self.frame[1]) * self.y_scale)

    def xy(self, point: Point) -> Point:
        lon, lat = point
        return (lon - self.frame[0]) * self.x_scale, (self.frame[3] - lat) * self.y_scale

    def km_per_pixel(self) -> float:
        middle = (self.frame[1] + self.frame[3]) / 2
        return KM_PER_DEGREE_LON * math.cos(math.radians(middle)) / self.x_scale


def frame_around(polygons: list[list]) -> Box:
    """A frame around some areas, at least ``MIN_SPAN`` wide, with a margin."""
    west, south, east, north = bounding_box([tuple(p) for polygon in polygons for p in polygon])
    half_lon = max((east - west) * 0.8, MIN_SPAN[0] / 2)
    half_lat = max((north - south) * 0.8, MIN_SPAN[1] / 2)
    lon, lat = (west + east) / 2, (south + north) / 2
    return lon - half_lon, lat - half_lat, lon + half_lon, lat + half_lat


def path_data(projection: Projection, points, closed: bool) -> str:
    coordinates = [projection.xy(tuple(p)) for p in points]
    text = "M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in coordinates)
    return text + "Z" if closed else text


def draw_map(
    areas: list[MapArea], *, frame: Box, title: str, summary: str, id_prefix: str
) -> SafeString:
    """The SVG of a map: ``title`` and ``summary`` are its accessible name and description."""
    projection = Projection(frame)
    width, height = projection.width, projection.height
    parts = [
        _defs(id_prefix, width, height),
        format_html('<rect class="map__sea" width="{}" height="{}"/>', width, height),
        format_html('<g clip-path="url(#{}-clip)">', id_prefix),
        _countries(projection),
        _borders(projection),
        _areas(projection, areas, id_prefix),
        _labels(projection, areas),
        mark_safe("</g>"),
        _scale_bar(projection, height),
    ]
    return format_html(
        '<svg class="map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" '
        'width="{w}" height="{h}" role="img" aria-labelledby="{p}-title {p}-desc">'
        '<title id="{p}-title">{title}</title><desc id="{p}-desc">{summary}</desc>{body}</svg>',
        w=width,
        h=height,
        p=id_prefix,
        title=title,
        summary=summary,
        body=mark_safe("".join(parts)),
    )


def _defs(id_prefix: str, width: int, height: int) -> SafeString:
    return format_html(
        '<defs><pattern id="{p}-hatch" patternUnits="userSpaceOnUse" width="6" height="6" '
        'patternTransform="rotate(45)"><rect class="map__hatch-ground" width="6" height="6"/>'
        '<line class="map__hatch" x1="0" y1="0" x2="0" y2="6"/></pattern>'
        '<clipPath id="{p}-clip"><rect width="{w}" height="{h}"/></clipPath></defs>',
        p=id_prefix,
        w=width,
        h=height,
    )


def grown(box: Box, share: float) -> Box:
    dx, dy = (box[2] - box[0]) * share, (box[3] - box[1]) * share
    return box[0] - dx, box[1] - dy, box[2] + dx, box[3] + dy


def clip_ring(ring, box: Box) -> list[Point]:
    """Sutherland-Hodgman: the part of a closed ring inside ``box`` (a rectangle)."""
    points = list(ring)
    for axis, limit, keep_below in (
        (0, box[0], False),
        (0, box[2], True),
        (1, box[1], False),
        (1, box[3], True),
    ):
        if not points:
            break
        points = _clip_edge(points, axis, limit, keep_below)
    return points


def _clip_edge(points, axis: int, limit: float, keep_below: bool) -> list[Point]:
    def keeps(p) -> bool:
        return p[axis] <= limit if keep_below else p[axis] >= limit

    result = []
    for current, previous in zip(points, points[-1:] + points[:-1], strict=True):
        if keeps(current) != keeps(previous):
            t = (limit - previous[axis]) / (current[axis] - previous[axis])
            result.append(tuple(a + t * (b - a) for a, b in zip(previous, current, strict=True)))
        if keeps(current):
            result.append(current)
    return result


def clip_line(line, box: Box) -> list[list[Point]]:
    """The runs of an open line whose segments meet ``box``."""
    runs: list[list[Point]] = []
    current: list[Point] = []
    for a, b in itertools.pairwise(line):
        if boxes_meet(bounding_box((a, b)), box):
            current = current or [a]
            current.append(b)
        elif current:
            runs.append(current)
            current = []
    return [*runs, current] if current else runs


def _countries(projection: Projection) -> SafeString:
    shapes = []
    box = grown(projection.frame, 0.05)
    for country in atlas().countries:
        clipped = (clip_ring(r, box) for r in country.rings if boxes_meet(bounding_box(r), box))
        rings = [ring for ring in clipped if len(ring) >= 3]
        if not rings:
            continue
        kind = "map__country map__country--member" if country.code in MEMBERS else "map__country"
        data = "".join(path_data(projection, ring, closed=True) for ring in rings)
        shapes.append((kind, data))
    return format_html_join("", '<path class="{}" d="{}"/>', shapes)


def _borders(projection: Projection) -> SafeString:
    box = grown(projection.frame, 0.05)
    lines = [
        (path_data(projection, run, closed=False),)
        for border in atlas().borders
        if boxes_meet(border.box, box)
        for run in clip_line(border.line, box)
    ]
    return format_html_join("", '<path class="map__border" d="{}"/>', lines)


def _areas(projection: Projection, areas: list[MapArea], id_prefix: str) -> SafeString:
    shapes = format_html_join(
        "",
        '<path class="map__area" fill="url(#{}-hatch)" d="{}"/>',
        ((id_prefix, path_data(projection, area.polygon, closed=True)) for area in areas),
    )
    markers = format_html_join(
        "",
        '<g class="map__marker"><line x1="{x}" y1="{y}" x2="{x}" y2="{ty}"/>'
        '<circle cx="{x}" cy="{cy}" r="9"/>'
        '<text x="{x}" y="{cy}" dy="0.35em">{n}</text></g>',
        (_marker(projection, area) for area in areas if area.number is not None),
    )
    return format_html("{}{}", shapes, markers)


def _marker(projection: Projection, area: MapArea) -> dict:
    """A numbered circle just above the area, joined to it by a short line."""
    points = [projection.xy(tuple(p)) for p in area.polygon]
    x = sum(p[0] for p in points) / len(points)
    top = min(p[1] for p in points)
    cy = max(10.0, top - 16)
    return {"x": _n(x), "y": _n(top), "ty": _n(cy + 9), "cy": _n(cy), "n": area.number}


def _n(value: float) -> str:
    """A coordinate in pixels, to a tenth."""
    return f"{value:.1f}"


def _labels(projection: Projection, areas: list[MapArea]) -> SafeString:
    west, south, east, north = projection.frame
    inner = (
        west + (east - west) * 0.04,
        south + (north - south) * 0.05,
        east - (east - west) * 0.04,
        north - (north - south) * 0.05,
    )
    covered = [bounding_box([projection.xy(tuple(p)) for p in a.polygon]) for a in areas]
    labels = []
    for country in atlas().countries:
        point = _label_point(country, inner)
        if point is not None:
            x, y = _clear_of(projection.xy(point), covered)
            labels.append((_n(x), _n(y), country.code or country.data_name))
    return format_html_join(
        "", '<text class="map__label" x="{}" y="{}" dy="0.35em">{}</text>', labels
    )


def _clear_of(point: Point, boxes: list[Box], margin: float = 12) -> Point:
    """A label moved below any area it would cover (boxes in pixels)."""
    x, y = point
    for left, top, right, bottom in boxes:
        if left - margin <= x <= right + margin and top - margin <= y <= bottom + margin:
            y = bottom + margin + 4
    return x, y


def _label_point(country, inner: Box) -> Point | None:
    """The country's label point if it is in the frame, else the middle of its visible part."""
    fixed = LABEL_POINTS.get(country.code)
    if fixed and _contains(inner, fixed):
        return fixed
    clipped = [clip_ring(ring, inner) for ring in country.rings]
    largest = max(clipped, key=_surface, default=[])
    if _surface(largest) < ((inner[2] - inner[0]) * (inner[3] - inner[1])) / 40:
        return None  # too little of it shows to hold a label
    middle = centre_of(largest)
    return middle if inside(middle, [largest]) else None


def _surface(ring) -> float:
    """The area of a ring in square degrees (the shoelace formula)."""
    if len(ring) < 3:
        return 0.0
    pairs = zip(ring, [*ring[1:], ring[0]], strict=True)
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in pairs)) / 2


def _contains(box: Box, point) -> bool:
    return box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3]


def _scale_bar(projection: Projection, height: int) -> SafeString:
    km_per_px = projection.km_per_pixel()
    length_km = min(SCALE_LENGTHS_KM, key=lambda km: abs(km / km_per_px - projection.width / 6))
    pixels = length_km / km_per_px
    x, y = 12.0, height - 14.0
    return format_html(
        '<g class="map__scale"><rect x="{bx}" y="{by}" width="{bw}" height="26"/>'
        '<line x1="{x}" y1="{y}" x2="{x2}" y2="{y}"/><text x="{x}" y="{ty}">{label}</text></g>',
        bx=_n(x - 6),
        by=_n(y - 20),
        bw=_n(max(pixels + 12, 64)),
        x=_n(x),
        y=_n(y),
        x2=_n(x + pixels),
        ty=_n(y - 6),
        label=_("%(km)s km") % {"km": number_format(length_km)},
    )
