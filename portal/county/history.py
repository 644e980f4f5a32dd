"""Daily snapshots and the history they come from (the outlook and targets: portal.county.trend).
No Flask import.

A snapshot row is one OPD's figures at the end of one day in OKU Selatan (WIB). Today's is taken
from the live tallies (`take`); any past day is rebuilt from the audit trail (`figures_at`,
`rebuild`), never copied from today: a late or repeated run stores what the trail says. The
trail says something new about a past day only where someone backdates an enrolment (it counts
from its `enrolled_on`) or a lapse (from its `lapsed_on`); stored days change with the next
rebuild of them, which is why the evening job rebuilds the last month (README).
A claim decided for the claimant moves the worker to that OPD from the day of the decision.

The trail is unwound newest-first from each worker's current state: every verification event
(approve/reject/hold/reopen) and enrolment event (enrol/lapse/restore) says which state it left,
so a worker's state at the end of any day is its current state less the changes after that day.
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import NamedTuple

from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.orm import Session

from portal.core import clock, measures, tallies, upsert
from portal.core.measures import Figures
from portal.core.models import OPD, Event, ImportBatch, Snapshot, Worker

FIELDS = measures.BASE  # the counts a snapshot row keeps
# Snapshots stored before migration 0002 lack the enrolled-and-approved count (NULL): they are
# left out of every series until `flask snapshot --rebuild` recomputes them from the trail.
RECORDED = Snapshot.enrolled_approved.is_not(None)
VERIFYING = ("approve", "reject", "hold", "reopen")
ENROLLING = ("enrol", "lapse", "restore")


class Point(NamedTuple):
    day: date
    figures: Figures


@cache
def counted_as(state: tuple[str, str] | None) -> tuple[str, ...]:
    """The base counts one worker in `state` (verification, enrolment) adds 1 to."""
    if state is None:
        return ()
    figures = Figures()
    figures.add(*state, 1)
    return tuple(f for f in FIELDS if getattr(figures, f))


def figures_of(values) -> Figures:
    """Figures from values in FIELDS order (sums may be None or Decimal)."""
    return Figures(**{f: int(v or 0) for f, v in zip(FIELDS, values)})


@dataclass
class Timeline:
    """One worker's history: where it started and each change, as (day, seq, kind, new state);
    kind 0 is verification, 1 enrolment. A claim decided for the claimant moves the worker to
    another OPD: `moves` holds (day, seq, OPD id from then on), `start_opd` the OPD before them."""
    opd_id: int  # the OPD now
    arrived: date | None  # the import's day; None: counted from the beginning (demo, old loads)
    start: list[str]  # [verification, enrolment] before any recorded change
    changes: list[tuple[date, int, int, str]] = field(default_factory=list)
    moves: list[tuple[date, int, int]] = field(default_factory=list)
    start_opd: int = 0

    def opd_at(self, day: date) -> int:
        """The OPD that held the worker at the end of `day`."""
        opd = self.start_opd or self.opd_id
        for when, _seq, moved_to in self.moves:
            if when > day:
                break
            opd = moved_to
        return opd

    def at(self, day: date) -> tuple[str, str] | None:
        """[verification, enrolment] at the end of `day`; None before the worker arrived."""
        if self.arrived is not None and self.arrived > day:
            return None
        state = list(self.start)
        for when, _seq, kind, new in self.changes:
            if when > day:
                break
            state[kind] = new
        return state[0], state[1]


def timelines(session: Session, opd_id: int | None = None) -> dict[int, Timeline]:
    """Every worker's (or one OPD's workers') timeline, unwound from the current states.
    An enrolment counts from `enrolled_on` (the date BPJS says it took effect, which the desk
    may record days later), also for workers loaded enrolled without an event; a lapse from the
    day its event says contributions stopped."""
    stmt = (select(Worker.id, Worker.opd_id, Worker.enrolled_on, Worker.verification, Worker.enrolment,
                   ImportBatch.imported_at).outerjoin(ImportBatch, Worker.import_batch_id == ImportBatch.id))
    events = (select(Event.worker_id, Event.seq, Event.action, Event.from_state, Event.created_at, Event.detail)
              .where(Event.action.in_(VERIFYING + ENROLLING), Event.worker_id.is_not(None))
              .order_by(Event.seq.desc()))
    if opd_id is not None:  # the OPD's workers now, and any worker a claim moved, in or out
        moved = select(Event.worker_id).where(Event.action == "claim_resolve")
        stmt = stmt.where(or_(Worker.opd_id == opd_id, Worker.id.in_(moved)))
        events = events.where(Event.worker_id.in_(stmt.with_only_columns(Worker.id)))
    lines: dict[int, Timeline] = {}
    enrolled_on: dict[int, date | None] = {}
    enrolled_by_event: set[int] = set()
    for wid, opd, on, verification, enrolment, imported in session.execute(stmt):
        arrived = clock.local_day(imported) if imported else None
        lines[wid], enrolled_on[wid] = Timeline(opd, arrived, [verification, enrolment]), on
    for event_worker, seq, action, was, at, detail in session.execute(events):  # newest first: undo each change
        if event_worker is None or event_worker not in lines or was is None:
            continue
        wid, line = event_worker, lines[event_worker]
        kind, on = (0 if action in VERIFYING else 1), enrolled_on[wid]
        if action == "enrol":
            enrolled_by_event.add(wid)
        day = on if action == "enrol" and on else (lapsed_on(detail) if action == "lapse" else None) or \
            clock.local_day(at)
        line.changes.append((day, seq, kind, line.start[kind]))
        line.start[kind] = was
    _unwind_moves(session, lines)
    for wid, line in lines.items():
        on = enrolled_on[wid]
        if wid not in enrolled_by_event and on and line.start[1] != "not_enrolled":
            line.changes.append((on, 0, 1, line.start[1]))  # loaded enrolled: from its date
            line.start[1] = "not_enrolled"
        line.changes.sort()
    return lines


def lapsed_on(detail: str | None) -> date | None:
    """The day contributions stopped, as a lapse event records it (older events: None)."""
    try:
        return date.fromisoformat(json.loads(detail or "{}")["lapsed_on"])
    except (ValueError, KeyError, TypeError):
        return None


def _unwind_moves(session: Session, lines: dict[int, Timeline]) -> None:
    """Give each timeline the OPD moves its claim decisions recorded (detail: from and to OPD)."""
    ids = dict(session.execute(select(OPD.code, OPD.id)).all())
    for worker_id, seq, detail, at in session.execute(
            select(Event.worker_id, Event.seq, Event.detail, Event.created_at)
            .where(Event.action == "claim_resolve").order_by(Event.seq.desc())):
        line = lines.get(worker_id) if worker_id is not None else None
        try:
            move = json.loads(detail or "{}")
        except ValueError:
            continue
        source, target = ids.get(move.get("from")), ids.get(move.get("to"))
        if line is None or source is None or target is None or source == target:
            continue
        line.moves.append((clock.local_day(at), seq, line.start_opd or line.opd_id))
        line.start_opd = source
    for line in lines.values():
        line.moves.sort()


def states_at(session: Session, day: date, opd_id: int | None = None) -> dict[int, tuple[str, str]]:
    """{worker id: (verification, enrolment)} at the end of `day` (WIB), for workers already there
    (and, with `opd_id`, held by that OPD on that day)."""
    found = ((wid, line.at(day)) for wid, line in timelines(session, opd_id).items()
             if opd_id is None or line.opd_at(day) == opd_id)
    return {wid: state for wid, state in found if state is not None}


def _count(lines: dict[int, Timeline], day: date) -> Counter:
    counts: Counter = Counter()
    for line in lines.values():
        counts.update((line.opd_at(day), s) for s in counted_as(line.at(day)))
    return counts


def figures_at(session: Session, day: date) -> dict[int, Figures]:
    """{OPD id: Figures} at the end of `day` in WIB, from the audit trail; every OPD is listed."""
    counts = _count(timelines(session), day)
    return {o: Figures(**{f: counts[o, f] for f in FIELDS})
            for o in session.scalars(select(OPD.id).order_by(OPD.id))}


def _store(session: Session, rows: list[dict]) -> None:
    if rows:
        stmt = upsert.insert(session, Snapshot)
        session.execute(stmt.on_conflict_do_update(
            index_elements=["day", "opd_id"], set_={f: getattr(stmt.excluded, f) for f in FIELDS}), rows)


def take(session: Session, day: date | None = None) -> int:
    """Store today's snapshot from the live tallies: one row per OPD. A past `day` is rebuilt from
    the audit trail as at the end of that day instead (`figures_at`); a future day is refused
    (ValueError). Taken again it overwrites that day's rows, never duplicates. Returns rows written."""
    today = clock.today()
    day = day or today
    if day > today:
        raise ValueError(f"{day} is in the future")
    if day == today:
        figures = [(opd.id, fig) for opd, fig in tallies.county(session)[1]]
    else:
        figures = list(figures_at(session, day).items())
    _store(session, [dict(day=day, opd_id=o, **{f: getattr(fig, f) for f in FIELDS}) for o, fig in figures])
    return len(figures)


def backfill(session: Session, today: date, days: int = 200) -> int:
    """Rebuild the snapshots of the `days` days before `today` from the audit trail (the same
    unwinding as `figures_at`, counted once and moved forward day by day). Replaces the rows of
    those days; returns rows written."""
    lines = timelines(session)
    first = today - timedelta(days=days)
    counts = _count(lines, first - timedelta(days=1))
    moves: dict[date, Counter] = defaultdict(Counter)  # day: {(OPD, state): change in count}
    for line in lines.values():
        before, held = line.at(first - timedelta(days=1)), line.opd_at(first - timedelta(days=1))
        # a worker moves between counts only on the days it changed, moved or arrived
        marks = sorted({d for d, *_ in line.changes + line.moves if d >= first} | (
            {line.arrived} if line.arrived and line.arrived >= first else set()))
        for day in marks:
            after, now_held = line.at(day), line.opd_at(day)
            for s in counted_as(before):
                moves[day][held, s] -= 1
            for s in counted_as(after):
                moves[day][now_held, s] += 1
            before, held = after, now_held
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


def first_day(session: Session) -> date | None:
    """The oldest day a history needs: the first verification or enrolment event, enrolment
    date or stored snapshot, whichever is earliest; None when there is none."""
    at = session.scalar(select(func.min(Event.created_at)).where(Event.action.in_(VERIFYING + ENROLLING)))
    days = [clock.local_day(at) if at else None, session.scalar(select(func.min(Worker.enrolled_on))),
            session.scalar(select(func.min(Snapshot.day)))]
    return min((d for d in days if d is not None), default=None)


def rebuild(session: Session, today: date, days: int | None = None) -> int:
    """Rebuild the whole history from the audit trail: every day from `first_day` (or the last
    `days` days) before `today` with `backfill`, and today's from the live tallies. Returns rows."""
    if days is None:
        start = first_day(session)
        days = (today - start).days if start and start < today else 0
    return (backfill(session, today, days) if days > 0 else 0) + take(session, today)


def series(session: Session, days: int | None = None, *, opd_id: int | None = None,
           today: date | None = None) -> list[Point]:
    """(day, Figures) in day order: the county's totals, or one OPD's with `opd_id`; only the last
    `days` days up to `today` when `days` is given."""
    stmt = (select(Snapshot.day, *(func.sum(getattr(Snapshot, f)) for f in FIELDS)).where(RECORDED)
            .group_by(Snapshot.day).order_by(Snapshot.day))
    if opd_id is not None:
        stmt = stmt.where(Snapshot.opd_id == opd_id)
    if days is not None:
        stmt = stmt.where(Snapshot.day > (today or clock.today()) - timedelta(days=days))
    return [Point(day, figures_of(values)) for day, *values in session.execute(stmt)]


def with_today(points: list[Point], figures: Figures, today: date) -> list[Point]:
    """`points` ending with today's live figures (replacing a snapshot already taken today)."""
    return [p for p in points if p.day < today] + [Point(today, figures)]
