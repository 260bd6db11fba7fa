"""Where an exercise area lies: the countries it is in or near, and its distance to a border.

"Near a border" (the calendar's filter) means: some part of the area's polygon lies within
``settings.REGISTRY_NEAR_BORDER_KM`` kilometres (25 by default) of an international land
border, or crosses one. Coasts do not count. Borders are those of the Natural Earth data
in ``registry.maps.borders``, drawn at 1:50 million, so a distance is good to about a
kilometre.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings

from .borders import (
    Border,
    Country,
    Plane,
    atlas,
    bounding_box,
    boxes_meet,
    edges,
    inside,
    lines_distance,
)

#: Countries within this distance are named as "near" in a map's text alternative.
NEARBY_KM = 50.0
#: Borders farther than this are not searched for (the distance is then unknown).
BORDER_SEARCH_KM = 150.0


@dataclass(frozen=True)
class NearbyCountry:
    country: Country
    km: float  # 0 when the area lies (partly) in the country

    @property
    def contains(self) -> bool:
        return self.km == 0


@dataclass(frozen=True)
class AreaGeography:
    """What the text alternative of a map says about one exercise area."""

    centre: tuple[float, float]  # (longitude, latitude)
    countries: tuple[NearbyCountry, ...]  # nearest first; those containing it come first
    border_km: float | None  # None: no land border within BORDER_SEARCH_KM
    border: Border | None

    @property
    def near_border(self) -> bool:
        return self.border_km is not None and self.border_km <= settings.REGISTRY_NEAR_BORDER_KM

    @property
    def within(self) -> list[Country]:
        return [nearby.country for nearby in self.countries if nearby.contains]

    @property
    def nearby(self) -> list[NearbyCountry]:
        return [nearby for nearby in self.countries if not nearby.contains]

    @property
    def border_names(self) -> list[str]:
        if self.border is None:
            return []
        found = {c.code: c.name for c in atlas().countries}
        return [found.get(code, code) for code in self.border.codes]


def centre_of(polygon) -> tuple[float, float]:
    """The centroid of the polygon's surface (the mean of its points if it has none)."""
    twice_area = cx = cy = 0.0
    for (x1, y1), (x2, y2) in edges(polygon, closed=True):
        cross = x1 * y2 - x2 * y1
        twice_area += cross
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    if abs(twice_area) < 1e-12:
        return (
            sum(p[0] for p in polygon) / len(polygon),
            sum(p[1] for p in polygon) / len(polygon),
        )
    return cx / (3 * twice_area), cy / (3 * twice_area)


def describe_area(polygon) -> AreaGeography:
    """The geography of an area given as ``[[lon, lat], …]`` (cached by its points)."""
    return _describe(tuple((float(lon), float(lat)) for lon, lat in polygon))


@lru_cache(maxsize=4096)
def _describe(polygon: tuple[tuple[float, float], ...]) -> AreaGeography:
    centre = centre_of(polygon)
    plane = Plane(centre[1])
    area_edges = [(plane.xy(a), plane.xy(b)) for a, b in edges(polygon, closed=True)]
    box = bounding_box(polygon)
    countries = [
        nearby
        for country in atlas().countries
        if (nearby := _country_distance(country, polygon, area_edges, plane, box)) is not None
    ]
    countries.sort(key=lambda nearby: (nearby.km, nearby.country.name))
    border_km, border = _nearest_border(area_edges, plane, box)
    return AreaGeography(centre, tuple(countries), border_km, border)


def _country_distance(country, polygon, area_edges, plane, box) -> NearbyCountry | None:
    window = plane.degrees_box(box, NEARBY_KM)
    if not boxes_meet(country.box, window):
        return None
    if any(inside(point, country.rings) for point in polygon) or any(
        inside(point, [polygon]) for ring in country.rings for point in ring[:1]
    ):
        return NearbyCountry(country, 0.0)
    km = min(
        (lines_distance(area_edges, ring, plane, window, closed=True) for ring in country.rings),
        default=math.inf,
    )
    if km == 0:
        return NearbyCountry(country, 0.0)
    return NearbyCountry(country, km) if km <= NEARBY_KM else None


def _nearest_border(area_edges, plane, box) -> tuple[float | None, Border | None]:
    window = plane.degrees_box(box, BORDER_SEARCH_KM)
    best, nearest = math.inf, None
    for border in atlas().borders:
        if not boxes_meet(border.box, window):
            continue
        km = lines_distance(area_edges, border.line, plane, window, closed=False)
        if km < best:
            best, nearest = km, border
    if nearest is None or best > BORDER_SEARCH_KM:
        return None, None
    return best, nearest
