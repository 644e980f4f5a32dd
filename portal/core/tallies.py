"""Kept counts of workers per cell and the figures derived from them.

A cell is (OPD, category, kecamatan, verification, enrolment, reject reason). Every transition
moves one worker from one cell to another in its own transaction, so every figure on the
dashboard — per OPD, category, kecamatan, reason — sums a few thousand tally rows at most,
however many workers there are.
"""
from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from portal.core import measures, upsert
from portal.core.measures import Figures
from portal.core.models import OPD, Tally, Worker


class Cell(NamedTuple):
    opd_id: int
    category_id: int
    kecamatan_code: str
    verification: str
    enrolment: str
    reason_id: int  # 0 when not rejected


def cell(worker: Worker) -> Cell:
    """The cell a worker counts in now."""
    return Cell(worker.opd_id, worker.category_id, worker.kecamatan_code, worker.verification,
                worker.enrolment, worker.reject_reason_id or 0)


def move(session: Session, old: Cell | None, new: Cell | None) -> None:
    """Move one worker from cell `old` to cell `new` (None for a worker that appears or
    disappears). Atomic upserts, so concurrent transactions never lose a count."""
    move_many(session, [(old, new)])


def move_many(session: Session, moves: list[tuple[Cell | None, Cell | None]]) -> None:
    """Move many workers at once: one upsert per cell whose count changes."""
    deltas: dict[Cell, int] = {}
    for old, new in moves:
        for c, d in ((old, -1), (new, +1)):
            if c is not None:
                deltas[c] = deltas.get(c, 0) + d
    # Always touch cells in one order, so two transactions moving opposite ways cannot deadlock.
    for c in sorted(deltas):
        if deltas[c]:
            _add(session, c, deltas[c])


def _add(session: Session, c: Cell, delta: int) -> None:
    # One upsert: the first worker in a cell creates it, even when two arrive at once.
    stmt = upsert.insert(session, Tally).values(**c._asdict(), n=delta)
    session.execute(stmt.on_conflict_do_update(index_elements=list(Cell._fields),
                                               set_={"n": Tally.n + stmt.excluded.n}))


def counted(session: Session) -> dict[Cell, int]:
    """A fresh GROUP BY over workers: the truth the kept tallies must equal."""
    reason = func.coalesce(Worker.reject_reason_id, 0)
    dims = (Worker.opd_id, Worker.category_id, Worker.kecamatan_code, Worker.verification,
            Worker.enrolment, reason)
    return {Cell(*row[:-1]): row[-1] for row in session.execute(select(*dims, func.count()).group_by(*dims))}


def kept(session: Session) -> dict[Cell, int]:
    """The kept tallies, without empty cells."""
    rows = session.execute(select(*(getattr(Tally, f) for f in Cell._fields), Tally.n))
    return {Cell(*row[:-1]): row[-1] for row in rows if row[-1]}


def rebuild(session: Session) -> None:
    """Recount every tally from workers (after bulk loads such as the demo data)."""
    session.execute(delete(Tally))
    cells = [dict(c._asdict(), n=n) for c, n in counted(session).items()]
    if cells:
        session.execute(insert(Tally), cells)


def _sum(session: Session, key, *where) -> dict:
    """Figures per value of `key` (a Tally column), from the tallies."""
    out: dict = {}
    stmt = (select(key, Tally.verification, Tally.enrolment, func.sum(Tally.n)).where(*where)
            .group_by(key, Tally.verification, Tally.enrolment))
    for k, v, e, n in session.execute(stmt):
        out.setdefault(k, Figures()).add(v, e, int(n))
    return out


def for_opd(session: Session, opd_id: int) -> Figures:
    """Figures of one OPD."""
    return _sum(session, Tally.opd_id, Tally.opd_id == opd_id).get(opd_id, Figures())


def total(session: Session) -> Figures:
    """The county's figures."""
    return measures.total(_sum(session, Tally.opd_id).values())


def county(session: Session) -> tuple[Figures, list[tuple[OPD, Figures]]]:
    """County totals and each OPD's figures (every OPD, even one with no names yet)."""
    per_opd = _sum(session, Tally.opd_id)
    opds = session.scalars(select(OPD).order_by(OPD.name)).all()
    return measures.total(per_opd.values()), [(opd, per_opd.get(opd.id, Figures())) for opd in opds]


def by(session: Session, dimension: str) -> dict:
    """Figures per category id or per kecamatan code ("category_id" / "kecamatan_code")."""
    return _sum(session, getattr(Tally, dimension))


def rejections(session: Session) -> dict[int, dict[int, int]]:
    """Rejected names per OPD and reason: {opd_id: {reason_id: n}}."""
    out: dict[int, dict[int, int]] = {}
    stmt = (select(Tally.opd_id, Tally.reason_id, func.sum(Tally.n)).where(Tally.verification == "rejected")
            .group_by(Tally.opd_id, Tally.reason_id))
    for opd_id, reason_id, n in session.execute(stmt):
        if n:
            out.setdefault(opd_id, {})[reason_id] = int(n)
    return out


def desk_counts(session: Session) -> dict[str, int]:
    """How many workers each BPJS desk list holds (see queries.DESK_TABS), from the tallies."""
    counts = dict.fromkeys(("ready", "enrolled", "inactive", "flagged"), 0)
    stmt = select(Tally.verification, Tally.enrolment, func.sum(Tally.n)).group_by(
        Tally.verification, Tally.enrolment)
    for v, e, n in session.execute(stmt):
        if e == "inactive":
            counts["inactive"] += int(n)
        elif e == "enrolled":
            counts["enrolled" if v == "approved" else "flagged"] += int(n)
        elif v == "approved":
            counts["ready"] += int(n)
    return counts
