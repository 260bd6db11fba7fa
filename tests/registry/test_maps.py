"""Maps: borders from the vendored Natural Earth data, where an area lies, and the SVG drawn."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from registry.maps import MapArea, areas_map, describe_area, exercise_map
from registry.maps.borders import (
    DATA_FILE,
    atlas,
    inside,
    point_segment_distance,
    segment_distance,
    segments_cross,
)
from registry.maps.geography import centre_of

#: On the Drina, across the border of Bosnia and Herzegovina and Serbia.
DRINA = [[19.25, 44.20], [19.35, 44.20], [19.35, 44.30], [19.25, 44.30]]
#: Near Pančevo, some 60 km from Romania and farther from every other border.
PANCEVO = [[20.40, 44.70], [20.60, 44.70], [20.60, 44.85], [20.40, 44.85]]
#: Waters off Split: on the coast (which is no border), about 33 km from Bosnia and Herzegovina.
SPLIT = [[16.20, 43.33], [16.52, 43.33], [16.52, 43.50], [16.20, 43.50]]
SVG = "{http://www.w3.org/2000/svg}"


def test_the_data_is_vendored_with_its_licence():
    assert DATA_FILE.exists()
    licence = (DATA_FILE.parent / "LICENSE-world-atlas.txt").read_text()
    assert "Permission to use, copy, modify" in licence


def test_the_atlas_has_the_seven_states_and_the_borders_between_them():
    found = atlas()
    assert {"AL", "BA", "HR", "XK", "ME", "MK", "RS"} <= {c.code for c in found.countries}
    pairs = {border.codes for border in found.borders}
    assert {("BA", "RS"), ("RS", "XK"), ("AL", "ME"), ("MK", "XK"), ("BA", "HR")} <= pairs
    assert ("AL", "HR") not in pairs  # they share a sea, not a border


def test_belgrade_lies_in_serbia_and_not_in_its_neighbours():
    belgrade = (20.46, 44.82)
    assert inside(belgrade, atlas().country("RS").rings)
    assert not inside(belgrade, atlas().country("HR").rings)


def test_an_area_across_a_border_is_near_it():
    place = describe_area(DRINA)
    assert place.border_km == 0 and place.near_border
    assert place.border.codes == ("BA", "RS")
    assert {c.code for c in place.within} == {"BA", "RS"}
    assert place.border_names == ["Bosnia and Herzegovina", "Serbia"]


def test_an_inland_area_far_from_borders_is_not_near_one():
    place = describe_area(PANCEVO)
    assert [c.code for c in place.within] == ["RS"]
    assert place.border.codes == ("RO", "RS")
    assert 50 < place.border_km < 70
    assert not place.near_border


def test_a_coast_is_not_a_border(settings):
    place = describe_area(SPLIT)
    assert [c.code for c in place.within] == ["HR"]
    assert place.border.codes == ("BA", "HR") and 25 < place.border_km < 40
    assert [(n.country.code, round(n.km)) for n in place.nearby] == [("BA", round(place.border_km))]
    assert not place.near_border
    settings.REGISTRY_NEAR_BORDER_KM = 40
    assert place.near_border


def test_plane_geometry():
    assert point_segment_distance((0, 5), (-1, 0), (1, 0)) == 5
    assert point_segment_distance((3, 4), (0, 0), (0, 0)) == 5
    assert segments_cross((0, 0), (2, 2), (0, 2), (2, 0))
    assert not segments_cross((0, 0), (1, 0), (0, 1), (1, 1))
    assert segment_distance((0, 0), (1, 0), (0, 1), (1, 1)) == 1
    assert centre_of([(0, 0), (2, 0), (2, 2), (0, 2)]) == pytest.approx((1, 1))
    assert centre_of([(1, 1), (1, 1), (1, 1)]) == (1, 1)  # no surface: the mean point


def test_an_exercise_map_is_an_svg_image_with_a_name_and_no_inline_style():
    drawn = exercise_map("Drina valley", DRINA, id_prefix="m")
    root = ET.fromstring(str(drawn.svg))
    assert root.get("role") == "img" and root.get("aria-labelledby") == "m-title m-desc"
    assert root.find(f"{SVG}title").text == "Map of the exercise area: Drina valley"
    assert "Bosnia and Herzegovina, Serbia" in root.find(f"{SVG}desc").text
    labels = {t.text for t in root.iter(f"{SVG}text") if t.get("class") == "map__label"}
    assert {"BA", "RS"} <= labels
    assert len([p for p in root.iter(f"{SVG}path") if p.get("class") == "map__area"]) == 1
    assert any(p.get("class") == "map__border" for p in root.iter(f"{SVG}path"))
    assert "style=" not in str(drawn.svg)
    assert drawn.centre_text == "44.2500° N, 19.3000° E"


def test_the_region_map_numbers_each_area():
    svg = areas_map([MapArea(PANCEVO, 1), MapArea(SPLIT, 2)], title="Areas", id_prefix="r")
    root = ET.fromstring(str(svg))
    numbers = [
        t.text
        for g in root.iter(f"{SVG}g")
        if g.get("class") == "map__marker"
        for t in g.iter(f"{SVG}text")
    ]
    assert numbers == ["1", "2"]
    labels = {t.text for t in root.iter(f"{SVG}text") if t.get("class") == "map__label"}
    assert {"AL", "BA", "HR", "XK", "ME", "MK", "RS"} <= labels


def test_an_area_at_sea_lies_in_no_country():
    adriatic = [[16.0, 42.4], [16.3, 42.4], [16.3, 42.6], [16.0, 42.6]]
    drawn = exercise_map("Mid-Adriatic", adriatic)
    assert drawn.geography.within == [] and not drawn.geography.near_border
    assert "The area lies at sea, or outside the region the map covers." in str(drawn.svg)
