"""Kept counts of workers per (OPD, verification, enrolment) and the figures derived from them.

Every transition moves one worker from one cell to another in the same transaction, so reading
the county's figures costs a scan of the small `tally` table (OPDs × 12 cells), never of workers.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from portal.domain import upsert
from portal.models import OPD, Tally, Worker


def move(session: Session, opd_id: int, old: tuple[str, str] | None,
         new: tuple[str, str] | None) -> None:
    """Move one worker of `opd_id` from cell `old` to cell `new` ((verification, enrolment);
    None for a worker that appears or disappears). Atomic increments, so concurrent
    transactions never lose a count."""
    if old == new:
        return
    deltas = {cell: d for cell, d in ((old, -1), (new, +1)) if cell is not None}
    # Always touch cells in one order, so two transactions moving opposite ways cannot deadlock.
    for cell in sorted(deltas):
        _add(session, opd_id, cell, deltas[cell])


def _add(session: Session, opd_id: int, cell: tuple[str, str], delta: int) -> None:
    # One upsert: the first worker in a cell creates it, even when two arrive at once.
    stmt = upsert.insert(session, Tally).values(opd_id=opd_id, verification=cell[0], enrolment=cell[1], n=delta)
    session.execute(stmt.on_conflict_do_update(
        index_elements=[Tally.opd_id, Tally.verification, Tally.enrolment],
        set_={"n": Tally.n + stmt.excluded.n}))


def counted(session: Session) -> dict[tuple[int, str, str], int]:
    """A fresh GROUP BY over workers: the truth the kept tallies must equal."""
    rows = session.execute(select(Worker.opd_id, Worker.verification, Worker.enrolment,
                                  func.count()).group_by(Worker.opd_id, Worker.verification,
                                                         Worker.enrolment))
    return {(o, v, e): n for o, v, e, n in rows}


def kept(session: Session) -> dict[tuple[int, str, str], int]:
    """The kept tallies, without empty cells."""
    rows = session.execute(select(Tally.opd_id, Tally.verification, Tally.enrolment, Tally.n))
    return {(o, v, e): n for o, v, e, n in rows if n}


def rebuild(session: Session) -> None:
    """Recount every tally from workers (after bulk loads such as the demo data)."""
    session.execute(delete(Tally))
    cells = [dict(opd_id=o, verification=v, enrolment=e, n=n)
             for (o, v, e), n in counted(session).items()]
    if cells:
        session.execute(insert(Tally), cells)


@dataclass
class Figures:
    """The headline figures of one OPD or of the county."""
    pending: int = 0
    approved: int = 0
    rejected: int = 0
    on_hold: int = 0
    enrolled: int = 0
    inactive: int = 0

    @property
    def received(self) -> int:
        return self.pending + self.approved + self.rejected + self.on_hold

    @property
    def verified(self) -> int:
        return self.approved + self.rejected

    @property
    def verified_share(self) -> float:
        return self.verified / self.received if self.received else 0.0

    @property
    def coverage_of_approved(self) -> float:
        return self.enrolled / self.approved if self.approved else 0.0

    @property
    def coverage_of_received(self) -> float:
        return self.enrolled / self.received if self.received else 0.0

    def add(self, verification: str, enrolment: str, n: int) -> None:
        setattr(self, verification, getattr(self, verification) + n)
        if enrolment != "not_enrolled":
            setattr(self, enrolment, getattr(self, enrolment) + n)


def for_opd(session: Session, opd_id: int) -> Figures:
    """Figures of one OPD from its kept tallies."""
    figures = Figures()
    for v, e, n in session.execute(select(Tally.verification, Tally.enrolment, Tally.n)
                                   .where(Tally.opd_id == opd_id)):
        figures.add(v, e, n)
    return figures


def county(session: Session) -> tuple[Figures, list[tuple[OPD, Figures]]]:
    """County totals and each OPD's figures (every OPD, even one with no names yet)."""
    total, per_opd = Figures(), {}
    opds = session.scalars(select(OPD).order_by(OPD.name)).all()
    for opd in opds:
        per_opd[opd.id] = Figures()
    for o, v, e, n in session.execute(select(Tally.opd_id, Tally.verification, Tally.enrolment,
                                             Tally.n)):
        per_opd[o].add(v, e, n)
        total.add(v, e, n)
    return total, [(opd, per_opd[opd.id]) for opd in opds]
