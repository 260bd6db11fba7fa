"""Country shapes and international borders, from Natural Earth through the npm world-atlas.

The data file is ``registry/static/registry/geo/countries-50m.json``, the package's TopoJSON
as published (Natural Earth 1:50m, public domain; see the README beside it for how to
refresh it). TopoJSON stores each line once and lets countries share it, so a line used by
two countries is a land border between them, and a line used by one is a coast: that is
how "near a border" ignores the sea.

Distances are computed on a plane tangent at the exercise area (an equirectangular
projection at the area's latitude), which is accurate to well under 1 % at the tens of
kilometres this module measures.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django_countries import countries as country_names

DATA_FILE = (
    Path(__file__).resolve().parents[1] / "static" / "registry" / "geo" / "countries-50m.json"
)

#: Countries whose outline comes within this frame are loaded (west, south, east, north).
REGION_FRAME = (11.0, 38.0, 26.0, 48.5)
#: Kilometres in one degree of latitude, and of longitude at the equator.
KM_PER_DEGREE_LAT = 110.574
KM_PER_DEGREE_LON = 111.320

Point = tuple[float, float]  # (longitude, latitude) in degrees, or (x, y) in km
Ring = tuple[Point, ...]
Box = tuple[float, float, float, float]  # west, south, east, north


@dataclass(frozen=True)
class Country:
    """One country's outline: its rings (outer edges and islands), in degrees."""

    code: str  # ISO 3166-1 alpha-2 (XK for Kosovo), or "" if the data names none
    data_name: str
    rings: tuple[Ring, ...]
    box: Box

    @property
    def name(self) -> str:
        """The country's name in the reader's language (django-countries), else the data's."""
        return str(country_names.name(self.code)) if self.code else self.data_name


@dataclass(frozen=True)
class Border:
    """A stretch of land border shared by two countries."""

    codes: tuple[str, str]
    line: Ring
    box: Box


@dataclass(frozen=True)
class Atlas:
    countries: tuple[Country, ...]
    borders: tuple[Border, ...]

    def country(self, code: str) -> Country | None:
        return next((c for c in self.countries if c.code == code), None)


# --- loading the TopoJSON ---------------------------------------------------------------------


def decode_arcs(topology: dict) -> list[list[Point]]:
    """Every arc in degrees: the file's arcs are quantized and delta-encoded."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for encoded in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in encoded:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring_points(arcs: list[list[Point]], indexes: list[int]) -> Ring:
    """A ring from its arcs; ``~i`` is arc ``i`` reversed; joined arcs share an end point."""
    points: list[Point] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc if not points else arc[1:])
    return tuple(points)


def polygons_of(geometry: dict) -> list[list[list[int]]]:
    if geometry["type"] == "Polygon":
        return [geometry["arcs"]]
    if geometry["type"] == "MultiPolygon":
        return geometry["arcs"]
    return []


def alpha2(geometry: dict) -> str:
    """The ISO code of a country geometry: by its numeric id, or by name for Kosovo."""
    if geometry.get("id"):
        return country_names.alpha2(geometry["id"]) or ""
    return "XK" if geometry.get("properties", {}).get("name") == "Kosovo" else ""


def bounding_box(points) -> Box:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def boxes_meet(a: Box, b: Box) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


@cache
def atlas() -> Atlas:
    """The countries of the region and their neighbours, and the land borders between them."""
    topology = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    arcs = decode_arcs(topology)
    users: dict[int, set[str]] = {}
    found = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        polygons = polygons_of(geometry)
        all_rings = (ring_points(arcs, ring) for polygon in polygons for ring in polygon)
        rings = tuple(r for r in all_rings if boxes_meet(bounding_box(r), REGION_FRAME))
        if not rings:  # far away, or only overseas parts nearby
            continue
        box = bounding_box([p for ring in rings for p in ring])
        code = alpha2(geometry)
        name = geometry.get("properties", {}).get("name", "")
        found.append(Country(code, name, rings, box))
        for polygon in polygons:
            for ring in polygon:
                for index in ring:
                    users.setdefault(index if index >= 0 else ~index, set()).add(code or name)
    borders = tuple(
        Border(_pair(owners), tuple(arcs[index]), bounding_box(arcs[index]))
        for index, owners in sorted(users.items())
        if len(owners) == 2 and boxes_meet(bounding_box(arcs[index]), REGION_FRAME)
    )
    return Atlas(tuple(found), borders)


def _pair(owners: set[str]) -> tuple[str, str]:
    first, second = sorted(owners)
    return first, second


# --- plane geometry in kilometres ---------------------------------------------------------------


@dataclass(frozen=True)
class Plane:
    """An equirectangular projection to kilometres, true at ``latitude``."""

    latitude: float

    def xy(self, point: Point) -> Point:
        lon, lat = point
        return (
            lon * KM_PER_DEGREE_LON * math.cos(math.radians(self.latitude)),
            lat * KM_PER_DEGREE_LAT,
        )

    def degrees_box(self, box: Box, km: float) -> Box:
        """``box`` grown by ``km`` on every side, in degrees."""
        dlat = km / KM_PER_DEGREE_LAT
        dlon = km / (KM_PER_DEGREE_LON * math.cos(math.radians(self.latitude)))
        return box[0] - dlon, box[1] - dlat, box[2] + dlon, box[3] + dlat


def point_segment_distance(p: Point, a: Point, b: Point) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = dx * dx + dy * dy
    t = (
        0.0
        if length == 0
        else max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length))
    )
    return math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy)


def _orientation(a: Point, b: Point, c: Point) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def segments_cross(a: Point, b: Point, c: Point, d: Point) -> bool:
    """True if segment ab crosses segment cd (touching counts as crossing)."""
    d1, d2 = _orientation(c, d, a), _orientation(c, d, b)
    d3, d4 = _orientation(a, b, c), _orientation(a, b, d)
    return (d1 * d2 <= 0) and (d3 * d4 <= 0) and not (d1 == d2 == d3 == d4 == 0)


def segment_distance(a: Point, b: Point, c: Point, d: Point) -> float:
    if segments_cross(a, b, c, d):
        return 0.0
    return min(
        point_segment_distance(a, c, d),
        point_segment_distance(b, c, d),
        point_segment_distance(c, a, b),
        point_segment_distance(d, a, b),
    )


def edges(points: Ring, closed: bool) -> list[tuple[Point, Point]]:
    pairs = list(itertools.pairwise(points))
    if closed and len(points) > 2 and points[0] != points[-1]:
        pairs.append((points[-1], points[0]))
    return pairs


def inside(point: Point, rings) -> bool:
    """Even-odd rule over every ring: holes and islands are handled alike."""
    x, y = point
    result = False
    for ring in rings:
        for (x1, y1), (x2, y2) in edges(ring, closed=True):
            if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
                result = not result
    return result


def lines_distance(area_edges, line: Ring, plane: Plane, window: Box, closed: bool) -> float:
    """Least distance in km from the area's edges to a line's edges that lie in ``window``."""
    best = math.inf
    for a, b in edges(line, closed):
        if not boxes_meet(bounding_box((a, b)), window):
            continue
        c, d = plane.xy(a), plane.xy(b)
        for p, q in area_edges:
            best = min(best, segment_distance(p, q, c, d))
    return best
