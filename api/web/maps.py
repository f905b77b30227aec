"""Small offline maps: the land outline of world-atlas's TopoJSON (npm package, built into assets/ by
`make install`: graph/assets.py) as an SVG path.

No tile server and no JavaScript: the page gets an inline `<svg>` whose path is computed here, in an
equirectangular projection (longitude scaled by the cosine of the map's middle latitude, so Europe
does not look stretched). The outline is clipped to the map's window, which keeps a city map small.
TopoJSON format: https://github.com/topojson/topojson-specification
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache

from graph.assets import LAND, asset_path

Ring = list[tuple[float, float]]


@lru_cache(maxsize=2)
def land_rings(resolution: str = "50m") -> tuple[Ring, ...]:
    """Every outer and inner ring of the land polygons, as (longitude, latitude) lists."""
    topology = json.loads(asset_path(LAND.format(resolution=resolution)).read_text(encoding="utf-8"))
    scale, translate = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs: list[Ring] = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * scale[0] + translate[0], y * scale[1] + translate[1]))
        arcs.append(points)

    def ring(indexes: list[int]) -> Ring:
        out: Ring = []
        for index in indexes:
            points = arcs[index] if index >= 0 else arcs[~index][::-1]
            out.extend(points if not out else points[1:])
        return out

    rings: list[Ring] = []

    def geometry(g: dict) -> None:
        if g["type"] == "GeometryCollection":
            for child in g["geometries"]:
                geometry(child)
        elif g["type"] == "Polygon":
            rings.extend(ring(r) for r in g["arcs"])
        elif g["type"] == "MultiPolygon":
            for polygon in g["arcs"]:
                rings.extend(ring(r) for r in polygon)

    for obj in topology["objects"].values():
        geometry(obj)
    # Rings that cross the antimeridian (Chukotka) jump from 180 to -180; in a flat map that jump is an
    # edge across the whole world. Unwrap them into one continuous ring and add a copy shifted by 360°.
    out: list[Ring] = []
    for points in rings:
        unwrapped: Ring = [points[0]] if points else []
        shift = 0.0
        for (lon0, _), (lon, lat) in zip(points, points[1:]):
            if lon - lon0 > 180:
                shift -= 360
            elif lon0 - lon > 180:
                shift += 360
            unwrapped.append((lon + shift, lat))
        out.append(unwrapped)
        lons = [p[0] for p in unwrapped]
        if lons and (max(lons) > 180 or min(lons) < -180):
            offset = -360 if max(lons) > 180 else 360
            out.append([(lon + offset, lat) for lon, lat in unwrapped])
    return tuple(out)


def _clip(ring: Ring, west: float, south: float, east: float, north: float) -> Ring:
    """Sutherland–Hodgman: the part of a polygon ring inside the rectangle."""
    def cut(points: Ring, inside, cross) -> Ring:
        out: Ring = []
        for i, current in enumerate(points):
            previous = points[i - 1]
            if inside(current):
                if not inside(previous):
                    out.append(cross(previous, current))
                out.append(current)
            elif inside(previous):
                out.append(cross(previous, current))
        return out

    def at_x(x0: float):
        return lambda a, b: (x0, a[1] + (b[1] - a[1]) * (x0 - a[0]) / (b[0] - a[0]))

    def at_y(y0: float):
        return lambda a, b: (a[0] + (b[0] - a[0]) * (y0 - a[1]) / (b[1] - a[1]), y0)

    points = ring
    for inside, cross in ((lambda p: p[0] >= west, at_x(west)), (lambda p: p[0] <= east, at_x(east)),
                          (lambda p: p[1] >= south, at_y(south)), (lambda p: p[1] <= north, at_y(north))):
        if not points:
            break
        points = cut(points, inside, cross)
    return points


@dataclass(frozen=True)
class MapPoint:
    x: float
    y: float
    label: str
    href: str | None = None
    main: bool = False


@dataclass(frozen=True)
class SvgMap:
    """What the template draws: a viewBox, the land path and the points, all in map units."""

    view_box: str
    land: str
    points: list[MapPoint]
    width: float
    height: float


def svg_map(places: list[tuple[float, float, str, str | None]], *, center: tuple[float, float] | None = None,
            span: float | None = None, resolution: str = "50m", main_first: bool = False) -> SvgMap:
    """A map showing `places` ((lat, lon, label, href); the first is the main one when `center` is given).

    With `center` (lat, lon) and `span` (degrees of longitude) the map shows that window; otherwise it
    fits all places (the whole world when they are spread out), the first marked when `main_first`.
    """
    if center is not None:
        lat0, lon0 = center
        span = span or 36.0
        west, east = lon0 - span / 2, lon0 + span / 2
        half_height = span / 2 * math.cos(math.radians(lat0)) * 0.7  # a landscape map
        south, north = max(-89.0, lat0 - half_height), min(89.0, lat0 + half_height)
    elif places:
        lats = [p[0] for p in places]
        lons = [p[1] for p in places]
        west, east = max(-180.0, min(lons) - 12), min(180.0, max(lons) + 12)
        south, north = max(-60.0, min(lats) - 10), min(85.0, max(lats) + 10)
    else:
        west, south, east, north = -180.0, -60.0, 180.0, 85.0
    k = math.cos(math.radians((south + north) / 2))

    def project(lon: float, lat: float) -> tuple[float, float]:
        return round((lon - west) * k, 2), round(north - lat, 2)

    parts = []
    for ring in land_rings(resolution):
        lons = [p[0] for p in ring]
        lats = [p[1] for p in ring]
        if max(lons) < west or min(lons) > east or max(lats) < south or min(lats) > north:
            continue
        clipped = _clip(ring, west, south, east, north)
        if len(clipped) < 3:
            continue
        coords = []
        last = None
        for lon, lat in clipped:
            xy = project(lon, lat)
            if xy != last:
                coords.append(f"{xy[0]:g},{xy[1]:g}")
                last = xy
        parts.append("M" + "L".join(coords) + "Z")
    width, height = round((east - west) * k, 2), round(north - south, 2)
    points = []
    for i, (lat, lon, label, href) in enumerate(places):
        if west <= lon <= east and south <= lat <= north:
            x, y = project(lon, lat)
            points.append(MapPoint(x, y, label, href, main=(center is not None or main_first) and i == 0))
    return SvgMap(f"0 0 {width:g} {height:g}", "".join(parts), points, width, height)
