"""Maps of exercise areas: country borders from Natural Earth, drawn as SVG on the server.

``exercise_map`` draws one area with what its text alternative needs (``geography``);
``areas_map`` draws the region with numbered areas, for the calendar. ``describe_area``
says where an area lies and whether it is near a border (see ``geography``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from .geography import AreaGeography, describe_area
from .svg import REGION_FRAME, MapArea, draw_map, frame_around

__all__ = ["AreaGeography", "AreaMap", "MapArea", "areas_map", "describe_area", "exercise_map"]


@dataclass(frozen=True)
class AreaMap:
    """One exercise area's map and the facts its text alternative gives."""

    svg: SafeString
    geography: AreaGeography
    description: str
    points: list

    @property
    def centre_text(self) -> str:
        """The centre as a reader writes it: 44.7750° N, 20.5000° E."""
        longitude, latitude = self.geography.centre
        return _("%(lat)s° %(ns)s, %(lon)s° %(ew)s") % {
            "lat": number_format(abs(latitude), 4),
            "ns": _("N") if latitude >= 0 else _("S"),
            "lon": number_format(abs(longitude), 4),
            "ew": _("E") if longitude >= 0 else _("W"),
        }


def exercise_map(description: str, polygon: list, *, id_prefix: str = "area-map") -> AreaMap:
    """The map of one area, framed around it, with the borders near it."""
    geography = describe_area(polygon)
    svg = draw_map(
        [MapArea(polygon)],
        frame=frame_around([polygon]),
        title=_("Map of the exercise area: %(area)s") % {"area": description},
        summary=_where(geography),
        id_prefix=id_prefix,
    )
    return AreaMap(svg, geography, description, polygon)


def areas_map(areas: list[MapArea], *, title: str, id_prefix: str = "areas-map") -> SafeString:
    """The whole region with each area hatched and numbered."""
    summary = _("%(count)d numbered exercise areas; the numbers match the list below.") % {
        "count": len(areas)
    }
    return draw_map(areas, frame=REGION_FRAME, title=title, summary=summary, id_prefix=id_prefix)


def _where(geography: AreaGeography) -> str:
    names = ", ".join(country.name for country in geography.within)
    if not names:
        return _("The area lies at sea, or outside the region the map covers.")
    return _("The area lies in %(countries)s.") % {"countries": names}
