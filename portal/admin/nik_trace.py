"""Who pulled how many full NIKs: per user and day (WIB), the full NIKs revealed on a screen, printed
in a Berita Acara and carried by an exported file, counted from the audit trail in one grouped
query (SQLite and PostgreSQL), and the lines above the administrator's threshold.

- revealed: `nik_view` events written by `portal.core.privacy.reveal` (one per NIK shown);
- printed: the `nik_view` events of a Berita Acara (one per listed worker, note "berita acara");
- exported: the `rows` of `export` events whose file carries whole NIKs. Lists behind a county
  figure carry them for the admin and BPJS only (a supervisor's are masked), so they count by the
  user's role; the queue with birth dates counts too, because a masked NIK beside its birth date
  and kecamatan gives the whole number back. The audit export (peristiwa.csv) counts its rows,
  one NIK each at most: an upper bound when many rows are about the same worker.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Date, Integer, String, and_, case, cast, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from portal.berita_acara.contents import NOTE as PRINTED_NOTE
from portal.core import clock
from portal.core.models import OPD, Event, User
from portal.core.roles import EVERY_OPD_READERS

FULL_NIK_FILES = ("bpjs.xlsx", "antrian.csv", "antrian.xlsx", "antrian+tgl lahir", "peristiwa.csv")
EVERY_OPD_FILES = ("daftar.csv", "daftar.xlsx")  # whole NIKs only for EVERY_OPD_READERS
DEFAULT_DAYS = 30
NOTICE_DAYS = 7
MAX_DAYS = 366


class local_date(FunctionElement):
    """The regency's calendar day of a UTC timestamp column, computed by the database."""
    type = Date()
    inherit_cache = True


class json_field(FunctionElement):
    """One top-level key of a JSON text column, as text."""
    type = String()
    inherit_cache = True


OFFSET_MINUTES = int(clock.ZONE.utcoffset(None).total_seconds() // 60)  # a fixed offset: WIB has no DST


@compiles(local_date, "sqlite")
def _local_date_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, '{OFFSET_MINUTES:+d} minutes')"  # stored as naive UTC


@compiles(local_date, "postgresql")
def _local_date_pg(element, compiler, **kw):
    return f"CAST(({compiler.process(element.clauses, **kw)} AT TIME ZONE INTERVAL '{OFFSET_MINUTES:+d} minutes') AS DATE)"


@compiles(json_field, "sqlite")
def _json_sqlite(element, compiler, **kw):
    column, key = list(element.clauses)
    return f"json_extract({compiler.process(column, **kw)}, '$.' || {compiler.process(key, **kw)})"


@compiles(json_field, "postgresql")
def _json_pg(element, compiler, **kw):
    column, key = list(element.clauses)
    return f"(CAST({compiler.process(column, **kw)} AS JSON) ->> {compiler.process(key, **kw)})"


@dataclass(frozen=True)
class Line:
    """One user's full NIKs on one day."""
    day: date
    user_id: int
    username: str
    full_name: str
    role: str
    opd: str | None
    revealed: int
    printed: int
    exported: int

    @property
    def total(self) -> int:
        return self.revealed + self.printed + self.exported

    def over(self, threshold: int) -> bool:
        """More full NIKs than `threshold` on this day."""
        return self.total > threshold


def default_range(today: date) -> tuple[date, date]:
    """The last DEFAULT_DAYS days, today included."""
    return today - timedelta(days=DEFAULT_DAYS - 1), today


def lines(session: Session, since: date, until: date) -> list[Line]:
    """Every user's full NIKs per day from `since` to `until` (WIB, both included), newest day
    first and the most NIKs first within a day; users with none on a day are left out."""
    day = local_date(Event.created_at).label("day")
    is_view = Event.action == "nik_view"
    what = json_field(Event.detail, "what")
    full_file = what.in_(FULL_NIK_FILES) | (what.in_(EVERY_OPD_FILES) & User.role.in_(EVERY_OPD_READERS))
    # Nested CASEs: the JSON is read only for export events (an AND may be evaluated in any order).
    rows = case((Event.action == "export", case((full_file, cast(json_field(Event.detail, "rows"), Integer)),
                                                else_=0)), else_=0)
    per_day = (select(day, Event.user_id,
                      func.sum(case((and_(is_view, Event.note != PRINTED_NOTE), 1), else_=0)).label("revealed"),
                      func.sum(case((and_(is_view, Event.note == PRINTED_NOTE), 1), else_=0)).label("printed"),
                      func.sum(rows).label("exported"))
               .join(User, Event.user_id == User.id)
               .where(Event.action.in_(("nik_view", "export")), Event.created_at >= clock.day_start(since),
                      Event.created_at < clock.day_start(until + timedelta(days=1)))
               .group_by(day, Event.user_id).subquery())
    total = per_day.c.revealed + per_day.c.printed + per_day.c.exported
    stmt = (select(per_day.c.day, User.id, User.username, User.full_name, User.role, OPD.code,
                   per_day.c.revealed, per_day.c.printed, per_day.c.exported)
            .join(User, per_day.c.user_id == User.id).outerjoin(OPD, User.opd_id == OPD.id)
            .where(total > 0).order_by(per_day.c.day.desc(), total.desc(), User.username))
    return [Line(r[0], r[1], r[2], r[3] or "", r[4], r[5], int(r[6] or 0), int(r[7] or 0), int(r[8] or 0))
            for r in session.execute(stmt)]


def totals(found: list[Line]) -> dict[str, int]:
    """The column sums of `found`."""
    return {key: sum(getattr(x, key) for x in found) for key in ("revealed", "printed", "exported", "total")}


def exceeded(session: Session, today: date, threshold: int) -> list[Line]:
    """The lines over `threshold` in the last NOTICE_DAYS days (for the admin's home)."""
    return [x for x in lines(session, today - timedelta(days=NOTICE_DAYS - 1), today) if x.over(threshold)]
