"""Bulk approval: which rows a request means, written down exactly before anyone confirms."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.core import N_, queries
from portal.core.errors import Invalid, NotFound, Stale
from portal.core.models import User, Worker
from portal.core.states import ALLOWED_FROM
from portal.queue import transitions

LIMIT = 5000


def candidates(session: Session, opd_id: int, ids: list[int] | None, status: str, q: str,
               **where) -> list[tuple[int, int]]:
    """(id, version) of the approvable workers of one OPD: those in `ids`, or (ids None) every
    one matching the queue filter (status, search and `where`: queries.matching's keywords)."""
    if ids is None:
        stmt = queries.matching(opd_id, status, q, **where)
    else:
        stmt = select(Worker).where(Worker.opd_id == opd_id, Worker.id.in_(ids))
    stmt = stmt.where(Worker.verification.in_(ALLOWED_FROM["approve"])).order_by(Worker.sort_name, Worker.id)
    rows = session.execute(stmt.with_only_columns(Worker.id, Worker.version).limit(LIMIT + 1)).all()
    if len(rows) > LIMIT:
        raise Invalid(N_("Terlalu banyak baris sekaligus (lebih dari %(max)d). Persempit saringan."), max=LIMIT)
    return [(i, v) for i, v in rows]


def approve(session: Session, items: list[tuple[int, int]], actor: User) -> tuple[int, list[tuple[int, int]]]:
    """Approve exactly the confirmed (id, version) rows, all or none. Returns how many, and the
    rows an undo may reopen: those that were pending, at their version after the approval (a name
    on hold keeps its approval: reopening would lose what it waited for)."""
    workers = {w.id: w for w in session.scalars(select(Worker).where(Worker.id.in_([i for i, _v in items])))}
    if any(i not in workers for i, _v in items):
        raise NotFound(N_("Sebagian baris tidak ditemukan."))
    pending = {i for i, _v in items if workers[i].verification == "pending"}
    done = transitions.approve_many(session, [(workers[i], v) for i, v in items], actor)
    return done, [(i, workers[i].version) for i, _v in items if i in pending]


UNDO_NOTE = "pembatalan persetujuan massal"


def undo(session: Session, items: list[tuple[int, int]], actor: User) -> int:
    """Reopen exactly the rows a bulk approval approved ((id, version after it)), one `reopen`
    event each, all or none: refused if any of them changed since (a later decision stands)."""
    workers = {w.id: w for w in session.scalars(select(Worker).where(Worker.id.in_([i for i, _v in items])))}
    for worker_id, version in items:
        w = workers.get(worker_id)
        if w is None:
            raise NotFound(N_("Sebagian baris tidak ditemukan."))
        if w.version != version or w.verification != "approved":
            raise Stale(N_("Tidak dapat dibatalkan: %(name)s sudah berubah sejak disetujui. Keputusan lain tetap."),
                        name=w.full_name)
    return transitions.reopen_many(session, [(workers[i], v) for i, v in items], actor, UNDO_NOTE)


def _small_int(text: str) -> bool:
    # ASCII digits only ("²".isdigit() is true) and small enough for any database's integer.
    return text.isascii() and text.isdigit() and len(text) <= 9


def ids(values: list[str]) -> list[int]:
    """The worker ids ticked in a form, ignoring anything that is not one."""
    return [int(v) for v in values if _small_int(v)][:LIMIT + 1]


def encode(items: list[tuple[int, int]]) -> str:
    return ",".join(f"{i}:{v}" for i, v in items)


def decode(text: str) -> list[tuple[int, int]]:
    """Parse "id:version,…"; refuse anything else."""
    items = []
    for part in filter(None, (text or "").split(",")):
        worker_id, _, version = part.partition(":")
        if not (_small_int(worker_id) and _small_int(version)):
            raise Invalid(N_("Daftar baris yang dikonfirmasi tidak sah. Ulangi pilihan."))
        items.append((int(worker_id), int(version)))
    if not items:
        raise Invalid(N_("Tidak ada baris yang dapat disetujui."))
    if len(items) > LIMIT:
        raise Invalid(N_("Terlalu banyak baris sekaligus (lebih dari %(max)d). Persempit saringan."), max=LIMIT)
    return items
