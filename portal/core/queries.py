"""Read-side questions the screens ask: a page of an OPD's queue, a worker's history."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session, joinedload

from portal.core import tallies
from portal.core.models import Category, Desa, Event, Kecamatan, Worker
from portal.core.states import VERIFICATION

STATUS_FILTERS = ("pending", "on_hold", "approved", "rejected", "all")


@dataclass
class Page:
    items: list[Worker]
    total: int
    number: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first_index(self) -> int:
        return (self.number - 1) * self.size + 1 if self.total else 0


def matching(opd_id: int, status: str, q: str, *, kecamatan: str | None = None, desa: str | None = None,
             category_id: int | None = None, no_phone: bool = False) -> Select:
    """Workers of one OPD in `status` ('all' for every one) whose name contains or whose NIK
    starts with `q`, in a kecamatan, desa and category when given, without a phone number when
    `no_phone`."""
    stmt = select(Worker).where(Worker.opd_id == opd_id)
    if status in VERIFICATION:
        stmt = stmt.where(Worker.verification == status)
    for column, value in ((Worker.kecamatan_code, kecamatan), (Worker.desa_code, desa),
                          (Worker.category_id, category_id)):
        if value:
            stmt = stmt.where(column == value)
    if no_phone:
        stmt = stmt.where(func.trim(Worker.phone) == "")
    return _search(stmt, q)


QUEUE_SORTS = ("name", "category", "place", "status", "born")


def _order(status: str, sort: str, desc: bool) -> list:
    """The queue's order: by the column asked for (name by default), ties by name and id; with
    every status and no column asked for, pending names first."""
    if sort == "name" or sort not in QUEUE_SORTS:
        keys: list = [Worker.sort_name]
        if status == "all" and sort not in QUEUE_SORTS:
            keys.insert(0, case((Worker.verification == "pending", 0), else_=1))
    else:
        by: dict[str, list] = {"category": [Category.name], "place": [Kecamatan.name, Desa.name],
                               "status": [Worker.verification], "born": [Worker.birth_date]}
        keys = by[sort]
    keys = [k.desc() if desc else k for k in keys]
    return keys + [Worker.sort_name, Worker.id]


def nik_prefix(q: str):
    """NIKs starting with the digits `q`, as a range an index can answer (LIKE 'q%' cannot):
    q ≤ nik < q+1 for 16-character digit strings."""
    upper = str(int(q) + 1).zfill(len(q))
    return Worker.nik >= q if len(upper) > len(q) else and_(Worker.nik >= q, Worker.nik < upper)


def _search(stmt: Select, q: str) -> Select:
    """Workers whose NIK starts with `q` (digits) or whose name contains it."""
    q = q.strip()
    if q.isascii() and q.isdigit():
        return stmt.where(nik_prefix(q[:16]))
    if q:
        return stmt.where(func.lower(Worker.full_name).contains(q.lower(), autoescape=True))
    return stmt


def queue_total(session: Session, opd_id: int, status: str, q: str, **where) -> int:
    """How many of an OPD's workers match the queue's filter: from the kept tallies with only a
    status, a count over workers otherwise."""
    if q.strip() or any(where.values()):
        stmt = matching(opd_id, status, q, **where)
        return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    figures = tallies.for_opd(session, opd_id)
    return figures.received if status == "all" else getattr(figures, status)


def queue_ids(session: Session, opd_id: int, status: str, q: str, sort: str = "", desc: bool = False,
              **where) -> list[int]:
    """The ids of an OPD's queue under its filter, in the queue's order."""
    stmt = _joined(matching(opd_id, status, q, **where), sort)
    return list(session.scalars(stmt.with_only_columns(Worker.id).order_by(*_order(status, sort, desc))))


def _joined(stmt: Select, sort: str) -> Select:
    """`stmt` joined to what its sort column needs."""
    if sort == "category":
        return stmt.join(Category, Worker.category_id == Category.id)
    if sort == "place":
        return stmt.join(Kecamatan, Worker.kecamatan_code == Kecamatan.code).outerjoin(
            Desa, Worker.desa_code == Desa.code)
    return stmt


def queue_page(session: Session, opd_id: int, status: str, q: str, number: int, size: int, sort: str = "",
               desc: bool = False, **where) -> Page:
    """One page of an OPD's queue, in the order asked for (pending names first by default)."""
    stmt = _joined(matching(opd_id, status, q, **where), sort)
    total = queue_total(session, opd_id, status, q, **where)
    pages = max(1, -(-total // size))
    number = min(max(1, number), pages)
    items = session.scalars(stmt.options(joinedload(Worker.category), joinedload(Worker.desa),
                                         joinedload(Worker.kecamatan), joinedload(Worker.reject_reason))
                            .order_by(*_order(status, sort, desc)).offset((number - 1) * size).limit(size)).all()
    return Page(list(items), total, number, size)


DESK_TABS = {  # the BPJS desk's lists
    "ready": (Worker.verification == "approved", Worker.enrolment == "not_enrolled"),
    "enrolled": (Worker.enrolment == "enrolled", Worker.verification == "approved"),
    "inactive": (Worker.enrolment == "inactive",),
    "flagged": (Worker.verification != "approved", Worker.enrolment == "enrolled"),
}


def desk_page(session: Session, tab: str, opd_id: int | None, kecamatan: str | None,
              category_id: int | None, q: str, number: int, size: int) -> Page:
    """One page of a BPJS desk list, filtered by OPD, kecamatan, category and a name/NIK search."""
    stmt = select(Worker).where(*DESK_TABS[tab])
    if opd_id:
        stmt = stmt.where(Worker.opd_id == opd_id)
    if kecamatan:
        stmt = stmt.where(Worker.kecamatan_code == kecamatan)
    if category_id:
        stmt = stmt.where(Worker.category_id == category_id)
    return _by_name(session, _search(stmt, q), number, size)


def drilled(opd_id: int | None, category_id: int | None, kecamatan: str | None, verification: str | None,
            enrolment: str | None) -> Select:
    """The workers behind one dashboard figure: those matching every filter given."""
    stmt = select(Worker)
    for column, value in ((Worker.opd_id, opd_id), (Worker.category_id, category_id),
                          (Worker.kecamatan_code, kecamatan), (Worker.verification, verification),
                          (Worker.enrolment, enrolment)):
        if value:
            stmt = stmt.where(column == value)
    return stmt


def drill_page(session: Session, opd_id: int | None, category_id: int | None, kecamatan: str | None,
               verification: str | None, enrolment: str | None, number: int, size: int) -> Page:
    """The workers behind one dashboard figure, read-only, by name."""
    return _by_name(session, drilled(opd_id, category_id, kecamatan, verification, enrolment), number, size)


def _by_name(session: Session, stmt: Select, number: int, size: int) -> Page:
    """Page `number` of `stmt`'s workers ordered by name (past the end: the last page)."""
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    number = min(max(1, number), max(1, -(-total // size)))
    items = session.scalars(stmt.options(joinedload(Worker.category), joinedload(Worker.desa),
                                         joinedload(Worker.kecamatan), joinedload(Worker.opd))
                            .order_by(Worker.sort_name, Worker.id).offset((number - 1) * size).limit(size)).all()
    return Page(list(items), total, number, size)


def history(session: Session, worker_id: int) -> list[Event]:
    """The decisions and changes of one worker, newest first (views of its NIK are in the data
    subject report, not here: they would crowd out the decisions)."""
    return list(session.scalars(select(Event).options(joinedload(Event.user))
                           .where(Event.worker_id == worker_id, Event.to_state.is_not(None))
                           .order_by(Event.seq.desc())).all())
