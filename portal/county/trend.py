"""Progress over time: daily snapshots of each OPD's figures, the county's coverage targets and the
outlook towards the next one (the chart itself: portal.county.chart). No Flask import.

Snapshots and their rebuilding from the audit trail live in portal.county.history. Targets are
measured with measures.TARGET_MEASURE, `coverage`: enrolled and approved ÷ names not rejected.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.core import N_, audit, tallies
from portal.core.errors import Invalid, NotAllowed
from portal.core.measures import Figures
from portal.core.models import Target, User
from portal.core.roles import ADMINS
from portal.county.history import Point, series, with_today

YEARS = (2024, 2045)
CHART_DAYS = 365  # the trend chart's span
PACE_WINDOW = 30  # the pace is measured over the last 30 days when the history reaches that far
# Enrolments arrive in batches (the BPJS desk applies a participant file every week or so), so a
# pace over less than two full weeks measures one batch, not a rhythm: below that, no forecast.
PACE_MIN_DAYS = 14
# RPJMD 2025–2029 ends at 100 %; the steps before 2029 are placeholders for an admin to edit.
DEFAULT_TARGETS = {2025: 4000, 2026: 5500, 2027: 7000, 2028: 8500, 2029: 10000}


def targets(session: Session) -> list[Target]:
    """Every year's target, earliest first."""
    return list(session.scalars(select(Target).order_by(Target.year)))


def target_of(session: Session, year: int) -> Target | None:
    """The target set for the end of `year`, if any."""
    return session.get(Target, year)


def seed_default_targets(session: Session) -> None:
    """When no target exists, insert 2025: 40 %, 2026: 55 %, 2027: 70 %, 2028: 85 %, 2029: 100 %.
    Only the 100 % by the end of RPJMD 2025–2029 is the Bupati's; the steps before it are
    placeholders an admin should replace (Admin → Target)."""
    if session.scalar(select(func.count()).select_from(Target)) == 0:
        session.add_all(Target(year=y, coverage_bp=bp) for y, bp in DEFAULT_TARGETS.items())


def parse_year(value) -> int:
    """A target year 2024..2045 from text or a number, or Invalid."""
    text = str(value if value is not None else "").strip()
    if not re.fullmatch(r"[0-9]{4}", text) or not YEARS[0] <= int(text) <= YEARS[1]:
        raise Invalid(N_("Tahun target harus antara %(min)d dan %(max)d."), min=YEARS[0], max=YEARS[1])
    return int(text)


def parse_percent(value) -> int:
    """'62,5' / '62.5' / 62.5 → 6250 basis points (0..100 %, at most two decimals), or Invalid."""
    text = str(value if value is not None else "").strip().removesuffix("%").strip()
    match = re.fullmatch(r"(-?)([0-9]{1,9})(?:[.,]([0-9]{1,9}))?", text)
    if not match:
        raise Invalid(N_("Target cakupan harus berupa angka persen, misalnya 55 atau 62,5."))
    sign, whole, decimals = match.group(1), int(match.group(2)), (match.group(3) or "").rstrip("0")
    if sign and (whole or decimals) or whole > 100 or whole == 100 and decimals:
        raise Invalid(N_("Target cakupan harus antara 0 dan 100 %."))
    if len(decimals) > 2:
        raise Invalid(N_("Target cakupan paling banyak dua angka di belakang koma."))
    return whole * 100 + int(decimals.ljust(2, "0"))


def set_target(session: Session, actor: User, year, coverage_pct) -> Target:
    """Set (or replace) one year's coverage target; admin only; audited as `target_set` with the
    old and new value. The caller commits."""
    if actor.role not in ADMINS:
        raise NotAllowed(N_("Hanya administrator yang dapat mengubah target cakupan."))
    year, bp = parse_year(year), parse_percent(coverage_pct)
    target = session.get(Target, year)
    was = target.coverage_bp if target else None
    if target is None:
        target = Target(year=year, coverage_bp=bp)
        session.add(target)
    target.coverage_bp = bp
    audit.record(session, action="target_set", user_id=actor.id,
                 detail=json.dumps({"year": year, "coverage_bp": bp, "was": was}))
    return target


@dataclass(frozen=True)
class Outlook:
    """How far the county is from its next unmet target and whether its pace gets it there."""
    year: int
    deadline: date
    target: float  # shares, 0.55 = 55 %
    actual: float
    needed: int  # enrolments of approved names still needed (eligible names held constant)
    pace_needed: float  # names per week until the deadline
    pace_recent: float | None  # names per week over the last `pace_days`; None: too little history
    forecast: date | None  # when the recent pace reaches the target; None at pace 0 or without one
    pace_days: int = 0  # the days the recent pace was measured over (0: no history at all)

    @property
    def on_track(self) -> bool:
        return self.forecast is not None and self.forecast <= self.deadline

    @property
    def min_days(self) -> int:
        """The history a forecast needs, for the sentence that says it is missing."""
        return PACE_MIN_DAYS


def still_needed(target_bp: int, eligible: int, enrolled_approved: int) -> int:
    """Enrolments still needed so that coverage (enrolled and approved ÷ eligible) reaches the target."""
    return max(0, -(-target_bp * eligible // 10000) - enrolled_approved)


def pace_needed(needed: int, today: date, deadline: date) -> float:
    """Names per week from today to reach `needed` by `deadline` (all of it when no days are left)."""
    return needed * 7 / max((deadline - today).days, 1)


def pace_base(points: list[Point], today: date, window: int = PACE_WINDOW) -> Point | None:
    """The snapshot a pace is measured from: the newest at least `window` days old, or when none
    is that old the oldest before today; None without history."""
    older = [p for p in points if (today - p.day).days >= window]
    earlier = [p for p in points if p.day < today]
    return older[-1] if older else min(earlier, default=None, key=lambda p: p.day)


def recent_pace(points: list[Point], enrolled_now: int, today: date, window: int = PACE_WINDOW) -> float:
    """Approved names enrolled per week (`enrolled_now`: enrolled and approved now) minus the
    `pace_base` snapshot's, scaled by the days between; 0 without history."""
    base = pace_base(points, today, window)
    if base is None:
        return 0.0
    return (enrolled_now - base.figures.enrolled_approved) * 7 / (today - base.day).days


def forecast(today: date, needed: int, pace: float) -> date | None:
    """The day `needed` more enrolments arrive at `pace` names per week; None when pace ≤ 0."""
    if needed <= 0:
        return today
    return today + timedelta(days=math.ceil(needed * 7 / pace)) if pace > 0 else None


def outlook(points: list[Point], figures: Figures, goals, today: date) -> Outlook | None:
    """The outlook for the earliest target (year ≥ today's, due 31 December) not yet reached;
    None when there is none. Its pace and forecast are None with under PACE_MIN_DAYS of history.
    `goals`: Target rows or (year, coverage_bp) pairs."""
    for year, bp in sorted((g.year, g.coverage_bp) if hasattr(g, "year") else tuple(g) for g in goals):
        needed = still_needed(bp, figures.eligible, figures.enrolled_approved)
        if year < today.year or needed == 0:
            continue
        deadline, base = date(year, 12, 31), pace_base(points, today)
        days = (today - base.day).days if base else 0
        pace = recent_pace(points, figures.enrolled_approved, today) if days >= PACE_MIN_DAYS else None
        return Outlook(year, deadline, bp / 10000, figures.coverage, needed,
                       pace_needed(needed, today, deadline), pace,
                       None if pace is None else forecast(today, needed, pace), days)
    return None


def scorecard(points: list[Point], figures: Figures, goals, today: date) -> list[tuple]:
    """(year, target share, actual share or None, reached or None) per target: a past year's actual
    is its last snapshot's coverage, this and later years' the current one."""
    out = []
    for goal in goals:
        fig: Figures | None = figures
        if goal.year < today.year:
            fig = next((p.figures for p in reversed(points) if p.day.year == goal.year), None)
        actual = None if fig is None else fig.coverage
        reached = None if fig is None else still_needed(goal.coverage_bp, fig.eligible, fig.enrolled_approved) == 0
        out.append((goal.year, goal.coverage_bp / 10000, actual, reached))
    return out


def progress(session: Session, today: date, days: int = CHART_DAYS) -> dict:
    """Today's county figures and per-OPD rows, the daily series ending with them (the last
    `days` days), the targets, the scorecard per target year and the outlook."""
    total, rows = tallies.county(session)
    points = with_today(series(session), total, today)
    goals = targets(session)
    return dict(today=today, total=total, rows=rows, goals=goals,
                points=[p for p in points if p.day > today - timedelta(days=days)],
                scorecard=scorecard(points, total, goals, today), outlook=outlook(points, total, goals, today))

