"""Progress over time: daily snapshots of each OPD's figures, the county's coverage targets and the
outlook towards the next one (the chart itself: portal.county.chart). No Flask import.

A snapshot row is one OPD's kept figures at the end of one day in OKU Selatan (WIB). `flask
snapshot` takes today's each evening; `backfill` rebuilds past days from the audit trail (demo).
Targets are measured as coverage of eligible names: enrolled ÷ names not rejected.
"""
from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from portal.core import N_, audit, clock, tallies, upsert
from portal.core.errors import Invalid, NotAllowed
from portal.core.models import OPD, Event, Snapshot, Target, User, Worker
from portal.core.roles import ADMINS
from portal.core.tallies import Figures

FIELDS = ("pending", "approved", "rejected", "on_hold", "enrolled", "inactive")
VERIFYING = ("approve", "reject", "hold", "reopen")
ENROLLING = ("enrol", "lapse", "restore")
YEARS = (2024, 2045)
SMALL = 5  # public counts below this are shown as "< 5"
CHART_DAYS = 365  # the trend chart's span
# RPJMD 2025–2029 ends at 100 %; the steps before 2029 are placeholders for an admin to edit.
DEFAULT_TARGETS = {2025: 4000, 2026: 5500, 2027: 7000, 2028: 8500, 2029: 10000}


class Point(NamedTuple):
    day: date
    figures: Figures


def _figures(values) -> Figures:
    """Figures from values in FIELDS order (sums may be None or Decimal)."""
    return Figures(**{f: int(v or 0) for f, v in zip(FIELDS, values)})


def take(session: Session, day: date | None = None) -> int:
    """Store `day`'s (today's) snapshot: one row per OPD with its current figures. Taken again the
    same day it overwrites that day's rows (one upsert), never duplicates. Returns rows written."""
    day = day or clock.today()
    rows = [dict(day=day, opd_id=opd.id, **{f: getattr(fig, f) for f in FIELDS})
            for opd, fig in tallies.county(session)[1]]
    if rows:
        stmt = upsert.insert(session, Snapshot)
        session.execute(stmt.on_conflict_do_update(
            index_elements=["day", "opd_id"], set_={f: getattr(stmt.excluded, f) for f in FIELDS}), rows)
    return len(rows)


def series(session: Session, days: int | None = None, *, opd_id: int | None = None,
           today: date | None = None) -> list[Point]:
    """(day, Figures) in day order: the county's totals, or one OPD's with `opd_id`; only the last
    `days` days up to `today` when `days` is given."""
    stmt = (select(Snapshot.day, *(func.sum(getattr(Snapshot, f)) for f in FIELDS))
            .group_by(Snapshot.day).order_by(Snapshot.day))
    if opd_id is not None:
        stmt = stmt.where(Snapshot.opd_id == opd_id)
    if days is not None:
        stmt = stmt.where(Snapshot.day > (today or clock.today()) - timedelta(days=days))
    return [Point(day, _figures(values)) for day, *values in session.execute(stmt)]


def with_today(points: list[Point], figures: Figures, today: date) -> list[Point]:
    """`points` ending with today's live figures (replacing a snapshot already taken today)."""
    return [p for p in points if p.day < today] + [Point(today, figures)]


def backfill(session: Session, today: date, days: int = 200) -> int:
    """Rebuild the snapshots of the `days` days before `today` from history (for the demo).
    Verification comes from the audit trail's approve/reject/hold/reopen events, enrolment from the
    BPJS desk's enrol/lapse/restore events and workers' `enrolled_on` (the date an enrol takes
    effect, also for workers loaded without an event). Each worker is unwound from its current
    state, so the day before `today` equals today's figures less today's changes. Replaces the
    rows of those days; returns rows written. Workers count as received from the first day."""
    workers, state = {}, {}  # id: (OPD, enrolled_on); id: [verification, enrolment] as unwound so far
    for wid, opd, on, verification, enrolment in session.execute(
            select(Worker.id, Worker.opd_id, Worker.enrolled_on, Worker.verification, Worker.enrolment)):
        workers[wid], state[wid] = (opd, on), [verification, enrolment]
    moves: dict[date, Counter] = defaultdict(Counter)  # day: {(OPD, state): change in count}
    enrolled_by_event = set()
    stmt = (select(Event.worker_id, Event.action, Event.from_state, Event.created_at)
            .where(Event.action.in_(VERIFYING + ENROLLING), Event.worker_id.is_not(None))
            .order_by(Event.seq.desc()))
    for event_worker, action, was, at in session.execute(stmt):  # newest first: undo each change
        if event_worker is None or event_worker not in workers or was is None:
            continue
        wid = event_worker
        opd, on = workers[wid]
        kind = 0 if action in VERIFYING else 1
        if action == "enrol":
            enrolled_by_event.add(wid)
        day = on if action == "enrol" and on else clock.local_day(at)
        moves[day][opd, state[wid][kind]] += 1
        moves[day][opd, was] -= 1
        state[wid][kind] = was
    for wid, (opd, on) in workers.items():  # loaded already enrolled: the enrolment starts on its date
        if wid not in enrolled_by_event and on and state[wid][1] != "not_enrolled":
            moves[on][opd, state[wid][1]] += 1
            state[wid][1] = "not_enrolled"
    counts = Counter((workers[wid][0], s) for wid, pair in state.items() for s in pair)
    first = today - timedelta(days=days)
    for day in [d for d in moves if d < first]:
        counts.update(moves.pop(day))
    opd_ids = list(session.scalars(select(OPD.id).order_by(OPD.id)))
    rows = []
    for i in range(days):
        day = first + timedelta(days=i)
        counts.update(moves.get(day, {}))
        rows += [dict(day=day, opd_id=o, **{f: counts[o, f] for f in FIELDS}) for o in opd_ids]
    session.execute(delete(Snapshot).where(Snapshot.day >= first, Snapshot.day < today))
    if rows:
        session.execute(insert(Snapshot), rows)
    return len(rows)


def targets(session: Session) -> list[Target]:
    """Every year's target, earliest first."""
    return list(session.scalars(select(Target).order_by(Target.year)))


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
    needed: int  # enrolments still needed (eligible names held constant)
    pace_needed: float  # names per week until the deadline
    pace_recent: float  # names per week over the last 30 days
    forecast: date | None  # when the recent pace reaches the target; None at pace 0

    @property
    def on_track(self) -> bool:
        return self.forecast is not None and self.forecast <= self.deadline


def still_needed(target_bp: int, eligible: int, enrolled: int) -> int:
    """Enrolments still needed so that enrolled ÷ eligible reaches the target."""
    return max(0, -(-target_bp * eligible // 10000) - enrolled)


def pace_needed(needed: int, today: date, deadline: date) -> float:
    """Names per week from today to reach `needed` by `deadline` (all of it when no days are left)."""
    return needed * 7 / max((deadline - today).days, 1)


def recent_pace(points: list[Point], enrolled_now: int, today: date, window: int = 30) -> float:
    """Names enrolled per week: now minus the newest snapshot at least `window` days old, or when
    none is that old minus the oldest one, scaled by the days between; 0 without history."""
    older = [p for p in points if (today - p.day).days >= window]
    earlier = [p for p in points if p.day < today]
    base = older[-1] if older else min(earlier, default=None, key=lambda p: p.day)
    if base is None:
        return 0.0
    return (enrolled_now - base.figures.enrolled) * 7 / (today - base.day).days


def forecast(today: date, needed: int, pace: float) -> date | None:
    """The day `needed` more enrolments arrive at `pace` names per week; None when pace ≤ 0."""
    if needed <= 0:
        return today
    return today + timedelta(days=math.ceil(needed * 7 / pace)) if pace > 0 else None


def outlook(points: list[Point], figures: Figures, goals, today: date) -> Outlook | None:
    """The outlook for the earliest target (year ≥ today's, due 31 December) not yet reached;
    None when there is none. `goals`: Target rows or (year, coverage_bp) pairs."""
    for year, bp in sorted((g.year, g.coverage_bp) if hasattr(g, "year") else tuple(g) for g in goals):
        needed = still_needed(bp, figures.eligible, figures.enrolled)
        if year < today.year or needed == 0:
            continue
        deadline, pace = date(year, 12, 31), recent_pace(points, figures.enrolled, today)
        return Outlook(year, deadline, bp / 10000, figures.coverage_of_eligible, needed,
                       pace_needed(needed, today, deadline), pace, forecast(today, needed, pace))
    return None


def scorecard(points: list[Point], figures: Figures, goals, today: date) -> list[tuple]:
    """(year, target share, actual share or None, reached or None) per target: a past year's actual
    is its last snapshot's coverage of eligible names, this and later years' the current one."""
    out = []
    for goal in goals:
        fig: Figures | None = figures
        if goal.year < today.year:
            fig = next((p.figures for p in reversed(points) if p.day.year == goal.year), None)
        actual = None if fig is None else fig.coverage_of_eligible
        reached = None if fig is None else still_needed(goal.coverage_bp, fig.eligible, fig.enrolled) == 0
        out.append((goal.year, goal.coverage_bp / 10000, actual, reached))
    return out


def disclose(figures: Figures) -> dict:
    """A public view of `figures`: counts under SMALL become None ("< 5"), and so does any share
    computed from such a count (verified share, coverage of eligible names)."""
    shown = {k: getattr(figures, k) for k in ("received", "verified", "approved", "enrolled", "eligible")}
    shown = {k: (n if n >= SMALL else None) for k, n in shown.items()}
    if 0 < figures.rejected < SMALL:
        # rejected = verified − approved = received − eligible: hide one of each pair as well
        shown["approved"] = shown["eligible"] = None
    shown["verified_share"] = figures.verified_share if shown["verified"] and shown["received"] else None
    shown["coverage"] = figures.coverage_of_eligible if shown["enrolled"] and shown["eligible"] else None
    return shown


def progress(session: Session, today: date, days: int = CHART_DAYS) -> dict:
    """Today's county figures and per-OPD rows, the daily series ending with them (the last
    `days` days), the targets, the scorecard per target year and the outlook."""
    total, rows = tallies.county(session)
    points = with_today(series(session), total, today)
    goals = targets(session)
    return dict(today=today, total=total, rows=rows, goals=goals,
                points=[p for p in points if p.day > today - timedelta(days=days)],
                scorecard=scorecard(points, total, goals, today), outlook=outlook(points, total, goals, today))

