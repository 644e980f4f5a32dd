"""Statistical disclosure control for /publik: what the public may see of the counts, and nothing
from which a small count can be worked out. No Flask import.

The method (explained on the page too): each OPD's base counts — pending, on hold, approved,
rejected, enrolled and approved (portal.core.measures) — are rounded to the nearest multiple of 5
(1 and 2 down, 3 and 4 up), every day, before anything else is computed. Every published figure is a sum of those rounded counts
(received = pending + on hold + approved + rejected, verified = approved + rejected, the county =
the sum of its OPDs, the chart's daily points likewise), and every share is a ratio of two
published figures. A figure whose true value is 1–4 is shown as "< 5", and shares computed from
it are not shown.

Why this survives subtraction: all published counts are multiples of 5, so any sum or difference
of them — across a row, a column, the county total, the chart's series, or two days — is a
multiple of 5 too, and can never equal a count of 1–4. What an attacker can learn is a rounded
base count, which fits at least three true counts (0–2, 3–7, 8–12, …). Rounding each figure on its
own, totals included, would not be enough: several rounding errors at their extremes can pin a
difference exactly.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from portal.core.measures import Figures, total
from portal.core.models import OPD, Snapshot
from portal.county.history import FIELDS, RECORDED, Point

BASE = 5
PUBLISHED = ("received", "verified", "approved", "enrolled_approved", "eligible")  # measure keys


def rounded(n: int) -> int:
    """`n` to the nearest multiple of BASE (no ties: a count is whole)."""
    return (n + BASE // 2) // BASE * BASE


def rounded_figures(figures: Figures) -> Figures:
    """Figures whose base counts are each rounded to BASE."""
    return Figures(**{f: rounded(getattr(figures, f)) for f in FIELDS})


def shown(true: Figures, published: Figures) -> dict:
    """The public view of one row: each measure of `published` (rounded sums), or None ("< 5")
    where the true value is 1–4; the verified share and the coverage of eligible names from the
    published counts, or None when either count is hidden or the base is 0."""
    out: dict = {m: None if 0 < getattr(true, m) < BASE else getattr(published, m) for m in PUBLISHED}
    out["verified_share"] = (out["verified"] / out["received"]
                             if out["verified"] is not None and out["received"] else None)
    out["coverage"] = (out["enrolled_approved"] / out["eligible"]
                       if out["enrolled_approved"] is not None and out["eligible"] else None)
    return out


def table(rows: list[tuple[OPD, Figures]]) -> tuple[Figures, dict, list[tuple[OPD, dict]]]:
    """From each OPD's true figures: the published county figures (sum of the rounded OPDs), the
    county row as shown, and each OPD's row as shown."""
    published = [(opd, true, rounded_figures(true)) for opd, true in rows]
    county_true = total(true for _, true, _ in published)
    county = total(pub for _, _, pub in published)
    return county, shown(county_true, county), [(opd, shown(true, pub)) for opd, true, pub in published]


def series(session: Session, today: date, current: list[tuple[OPD, Figures]], days: int,
           years: list[int]) -> list[Point]:
    """The county's daily points for the chart, the outlook and the scorecard: each day the sum of
    its OPDs' rounded snapshots — the last `days` days, and the last day of each of `years` — ending
    with today's from the current figures."""
    by_day: dict[date, list[Figures]] = defaultdict(list)
    ends = [select(func.max(Snapshot.day)).where(Snapshot.day.between(date(y, 1, 1), date(y, 12, 31)))
            .scalar_subquery() for y in years]
    wanted = or_(Snapshot.day > today - timedelta(days=days), Snapshot.day.in_(ends)) if ends else \
        Snapshot.day > today - timedelta(days=days)
    for snap in session.scalars(select(Snapshot).where(wanted, RECORDED, Snapshot.day < today)):
        by_day[snap.day].append(rounded_figures(Figures(**{f: getattr(snap, f) for f in FIELDS})))
    points = [Point(day, total(parts)) for day, parts in sorted(by_day.items())]
    return points + [Point(today, total(rounded_figures(f) for _, f in current))]
