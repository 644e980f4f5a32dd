"""The trend chart's coordinates, computed here so the SVG template only prints them
(no style attributes, so the page keeps its strict Content-Security-Policy). No Flask import."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from portal.core import N_
from portal.core.measures import BY_KEY
from portal.county.history import Point

MONTHS = (N_("Jan"), N_("Feb"), N_("Mar"), N_("Apr"), N_("Mei"), N_("Jun"), N_("Jul"), N_("Agu"),
          N_("Sep"), N_("Okt"), N_("Nov"), N_("Des"))
SERIES = tuple((key, BY_KEY[key].label, dash, colour) for key, dash, colour in (  # stroke-dasharray, colour
    ("verified", "none", "#1d2430"), ("approved", "12 6", "#0b6b3a"), ("enrolled_approved", "3 6", "#0b4f8a")))
FONT = 20  # user units: about 11 px when 640 units shrink to a 360 px phone


class Line(NamedTuple):
    key: str
    label: str
    dash: str
    colour: str
    points: str  # "x,y x,y …" for <polyline points=…>
    end: tuple[float, float]  # the last point
    label_y: float  # baseline of the end value, nudged apart from the other lines'
    value: int


@dataclass
class Chart:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    lines: list[Line]
    x_ticks: list[tuple[float, str, int | None]]  # (x, month label, year or None)
    y_ticks: list[tuple[float, int]]  # (y, value)
    target: tuple[float, int, float, int] | None  # (y, year, share, enrolled it asks for)
    latest: Point | None
    font: int = FONT


def _nice(raw: float) -> int:
    """A round step (1, 2, 5 × 10ⁿ) at least `raw`."""
    if raw <= 1:
        return 1
    power = 10 ** math.floor(math.log10(raw))
    return next(int(m * power) for m in (1, 2, 5, 10) if m * power >= raw)


def _months(first: date, last: date) -> list[date]:
    """The first days of months from `first` to `last` (or `first` alone when none falls between)."""
    day, out = date(first.year, first.month, 1), []
    while day <= last:
        if day >= first:
            out.append(day)
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return out or [first]


def layout(points: list[Point], goals=None, width: int = 640, height: int = 240) -> Chart:
    """Coordinates of the trend chart in a `width`×`height` viewBox: a polyline per series
    (verified, approved, enrolled and approved), month ticks, round-number value ticks, and a marker at the
    enrolments that the first target due in or after the last day's year asks for."""
    left, right, top, bottom = 64.0, width - 72.0, 28.0, height - 30.0  # the legend is HTML, below
    if not points:
        return Chart(width, height, left, right, top, bottom, [], [], [], None, None)
    first, last, fig = points[0].day, points[-1].day, points[-1].figures
    goal = next((g for g in sorted(goals or [], key=lambda g: g.year) if g.year >= last.year), None)
    asked = -(-goal.coverage_bp * fig.eligible // 10000) if goal else 0
    peak = max([getattr(p.figures, key) for p in points for key, *_ in SERIES] + [asked, 1])
    step = _nice(peak / 4)
    ymax = math.ceil(peak / step) * step
    span = max((last - first).days, 1)

    def x(day: date) -> float:
        return round(left + (day - first).days / span * (right - left), 1)

    def y(value: int) -> float:
        return round(bottom - value / ymax * (bottom - top), 1)

    lines = []
    for key, label, dash, colour in SERIES:
        coords = [(x(p.day), y(getattr(p.figures, key))) for p in points]
        lines.append(Line(key, label, dash, colour, " ".join(f"{a},{b}" for a, b in coords), coords[-1],
                          coords[-1][1], getattr(fig, key)))
    placed, floor = {}, -math.inf  # end values at least one line of text apart
    for line in sorted(lines, key=lambda ln: ln.end[1]):
        floor = placed[line.key] = max(line.end[1], floor + FONT + 2)
    shift = max(0.0, floor - bottom)
    lines = [ln._replace(label_y=round(placed[ln.key] - shift + FONT * 0.35, 1)) for ln in lines]
    months = _months(first, last)
    every = next((k for k in (1, 2, 3, 4, 6, 12) if len(months) <= 6 * k), math.ceil(len(months) / 6))
    x_ticks = [(x(d), MONTHS[d.month - 1], d.year if i == 0 or d.month == 1 else None)
               for i, d in enumerate(months[::every])]
    y_ticks = [(y(v), v) for v in range(0, ymax + 1, step)]
    target = (y(asked), goal.year, goal.coverage_bp / 10000, asked) if goal else None
    return Chart(width, height, left, right, top, bottom, lines, x_ticks, y_ticks, target, points[-1])
