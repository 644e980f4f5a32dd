"""Personal data out of the portal: the BPJS collective-registration workbook, CSV lists and the
audit events. Each export is audited by the caller (portal.core.export_trail). Rows stream: the
workbook is written row by row from a `yield_per` cursor, the CSV lists are generators reading
500 workers at a time.
"""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Iterator

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from portal.core import clock, privacy, queries, tallies
from portal.core.cells import csv_cell, text_cell
from portal.core.measures import BY_KEY, SHARE, fraction
from portal.core.models import OPD, AuditHead, Category, Desa, Event, Kecamatan, User, Worker
from portal.core.states import ACTION_LABELS, ENROLMENT_LABELS, VERIFICATION_LABELS

BOM = "\ufeff"  # lets Excel read the CSV as UTF-8 (masked NIKs and names with diacritics)
CHUNK = 500
BPJS_HEADER = ["No", "NIK", "Nama", "Tempat/Tgl Lahir", "Jenis Kelamin", "Alamat", "Desa", "Kecamatan",
               "Kategori/Pekerjaan", "OPD", "No HP"]
BPJS_WIDTHS = [7, 20, 32, 14, 8, 36, 22, 20, 30, 34, 16]


# --- cells --------------------------------------------------------------------------------
def _line(values) -> str:
    out = io.StringIO()
    csv.writer(out).writerow([csv_cell(v) for v in values])
    return out.getvalue()


def _text(ws, value, keep_digits: bool = False):
    """A text cell (`text_cell`: never a formula); `keep_digits` adds the '@' format, so Excel keeps
    all 16 digits of a NIK even when someone retypes it."""
    return text_cell(ws, value or "", number_format="@") if keep_digits else text_cell(ws, value or "")


# --- the BPJS workbook ----------------------------------------------------------------------
def ready_rows(opd_id: int | None):
    """Approved, not yet enrolled workers as plain rows (no ORM objects), by OPD then name."""
    stmt = (select(Worker.id, Worker.nik, Worker.full_name, Worker.birth_date, Worker.sex, Worker.address,
                   Desa.name.label("desa"), Kecamatan.name.label("kecamatan"), Category.name.label("category"),
                   OPD.name.label("opd"), Worker.phone)
            .join(OPD, Worker.opd_id == OPD.id).join(Category, Worker.category_id == Category.id)
            .join(Kecamatan, Worker.kecamatan_code == Kecamatan.code).outerjoin(Desa, Worker.desa_code == Desa.code)
            .where(*queries.DESK_TABS["ready"]).order_by(OPD.name, Worker.sort_name, Worker.id))
    return stmt.where(Worker.opd_id == opd_id) if opd_id else stmt


def bpjs_workbook(session: Session, out, opd_id: int | None = None) -> list[int]:
    """Write the collective-registration workbook to the file object `out`, streaming rows from
    the database into openpyxl's write-only sheet; returns the exported worker ids in order."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Peserta")
    for n, width in enumerate(BPJS_WIDTHS):
        ws.column_dimensions[chr(ord("A") + n)].width = width
    ws.freeze_panes = "A2"
    header = [WriteOnlyCell(ws, value=h) for h in BPJS_HEADER]
    for cell in header:
        cell.font = Font(bold=True)
    ws.append(header)
    ids = []
    for n, r in enumerate(session.execute(ready_rows(opd_id).execution_options(yield_per=1000)), 1):
        ids.append(r.id)
        born = WriteOnlyCell(ws, value=r.birth_date)
        born.number_format = "DD/MM/YYYY"
        ws.append([n, _text(ws, r.nik, True), _text(ws, r.full_name), born, r.sex, _text(ws, r.address),
                   _text(ws, r.desa), _text(ws, r.kecamatan), _text(ws, r.category), _text(ws, r.opd),
                   _text(ws, r.phone, True)])
    wb.save(out)
    return ids


# --- worker lists as CSV ----------------------------------------------------------------------
WORKER_HEADER = ["No", "NIK", "Nama", "Jenis Kelamin", "Tgl Lahir", "Kategori", "Desa", "Kecamatan", "Alamat",
                 "No HP", "OPD", "Status verifikasi", "Alasan penolakan", "Catatan", "Kepesertaan BPJS", "No KPJ"]


def list_ids(session: Session, opd_id: int | None, category_id: int | None, kecamatan: str | None,
             verification: str | None, enrolment: str | None) -> list[int]:
    """The ids behind a dashboard figure (the county drill-down list's filters), by name."""
    stmt = queries.drilled(opd_id, category_id, kecamatan, verification, enrolment).with_only_columns(Worker.id)
    return list(session.scalars(stmt.order_by(Worker.sort_name, Worker.id)))


def workers(session: Session, ids: list[int]) -> Iterator[Worker]:
    """The workers with these ids, in that order, read CHUNK at a time."""
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        found = {w.id: w for w in session.scalars(
            select(Worker).options(joinedload(Worker.category), joinedload(Worker.desa), joinedload(Worker.opd),
                                   joinedload(Worker.kecamatan), joinedload(Worker.reject_reason))
            .where(Worker.id.in_(chunk)))}
        yield from (found[i] for i in chunk if i in found)


def _worker_values(viewer: User, n: int, w: Worker) -> list:
    """One worker's row of a list (WORKER_HEADER); the full NIK only for those who may see it."""
    nik = w.nik if privacy.may_see_full(viewer, w) else privacy.mask(w.nik)
    return [n, nik, w.full_name, "P" if w.sex == "P" else "L", w.birth_date, w.category.name,
            w.desa.name if w.desa else "", w.kecamatan.name, w.address, w.phone, w.opd.code,
            VERIFICATION_LABELS[w.verification], w.reject_reason.label if w.reject_reason else "",
            w.decision_note, ENROLMENT_LABELS[w.enrolment], w.kpj or ""]


def workers_csv(session: Session, viewer: User, ids: list[int]) -> Iterator[str]:
    """The workers as CSV lines (the machine format: UTF-8 with BOM, comma-separated, ISO dates)."""
    yield BOM + _line(WORKER_HEADER)
    lines = []
    for n, w in enumerate(workers(session, ids), 1):
        values = _worker_values(viewer, n, w)
        values[4] = values[4].isoformat()
        lines.append(_line(values))
        if len(lines) == CHUNK:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


TEXT_COLUMNS = {1, 9, 15}  # NIK, phone, KPJ: digits Excel must keep as typed


def workers_workbook(session: Session, viewer: User, ids: list[int], out) -> list[int]:
    """The same list as an .xlsx for people: NIK, phone and KPJ as text, dates as dates."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Daftar")
    for n, width in enumerate([6, 20, 32, 8, 12, 28, 22, 20, 36, 16, 12, 16, 30, 30, 16, 14]):
        ws.column_dimensions[chr(ord("A") + n)].width = width
    ws.freeze_panes = "C2"
    ws.append([text_cell(ws, h, font=Font(bold=True)) for h in WORKER_HEADER])
    for n, w in enumerate(workers(session, ids), 1):
        values = _worker_values(viewer, n, w)
        born = WriteOnlyCell(ws, value=values[4])
        born.number_format = "DD/MM/YYYY"
        ws.append([n] + [born if i == 4 else _text(ws, v, i in TEXT_COLUMNS) for i, v in enumerate(values) if i])
    wb.save(out)
    return ids


COUNTY_COLUMNS = ("received", "pending", "approved", "rejected", "on_hold", "eligible", "enrolled_approved",
                  "enrolled_withdrawn", "inactive", "coverage")  # measure keys


def county_csv(session: Session) -> Iterator[str]:
    """The per-OPD figures table (kept tallies) with the county's total last: each column a measure
    (portal.core.measures), headed by its Indonesian label; shares as fractions, as the header says."""
    total, rows = tallies.county(session)
    header = [BY_KEY[k].label + (" (pecahan 0–1, titik desimal)" if BY_KEY[k].kind == SHARE else "")
              for k in COUNTY_COLUMNS]
    yield BOM + _line(["Kode OPD", "OPD", *header])
    for code, name, f in [(o.code, o.name, f) for o, f in rows] + [("", "Kabupaten OKU Selatan", total)]:
        yield _line([code, name, *(f"{fraction(getattr(f, k)):.4f}" if BY_KEY[k].kind == SHARE else getattr(f, k)
                                   for k in COUNTY_COLUMNS)])


# --- audit events as CSV ----------------------------------------------------------------------
def event_conditions(worker_id: int | None, opd_id: int | None, since: date | None, until: date | None) -> list:
    """WHERE clauses for events of a worker, of an OPD's workers, between two days (WIB)."""
    where = []
    if worker_id:
        where.append(Event.worker_id == worker_id)
    if opd_id:
        where.append(Event.worker_id.in_(select(Worker.id).where(Worker.opd_id == opd_id)))
    if since:
        where.append(Event.created_at >= clock.day_start(since))
    if until:
        where.append(Event.created_at < clock.day_start(until + timedelta(days=1)))
    return where


def event_scope(session: Session, where: list) -> tuple[int, int, list[int]]:
    """(last seq, rows, worker ids) of the events matching `where` now; events appended later
    (this export's own event among them) are left out by streaming only up to that seq."""
    bound = session.scalar(select(AuditHead.seq)) or 0
    where = [*where, Event.seq <= bound]
    rows = session.scalar(select(func.count()).select_from(Event).where(*where)) or 0
    ids = session.scalars(select(Event.worker_id).where(*where, Event.worker_id.is_not(None)).distinct())
    return bound, rows, [i for i in ids if i is not None]


def events_csv(session: Session, where: list, bound: int) -> Iterator[str]:
    """The matching events up to seq `bound` as CSV, oldest first, streamed from the database."""
    yield BOM + _line(["seq", "Waktu (WIB)", "Oleh", "Peristiwa", "Dari", "Ke", "Alasan", "Catatan", "Rincian",
                       "ID pekerja", "NIK", "Nama", "OPD", "Alamat IP"])
    stmt = (select(Event.seq, Event.created_at, User.username, Event.action, Event.from_state, Event.to_state,
                   Event.reason_code, Event.note, Event.detail, Event.worker_id, Worker.nik, Worker.full_name,
                   OPD.code, Event.ip)
            .outerjoin(User, Event.user_id == User.id).outerjoin(Worker, Event.worker_id == Worker.id)
            .outerjoin(OPD, Worker.opd_id == OPD.id).where(*where, Event.seq <= bound).order_by(Event.seq))
    lines = []
    for r in session.execute(stmt.execution_options(yield_per=1000)):
        lines.append(_line([r.seq, clock.local_time(r.created_at).isoformat(timespec="seconds"), r.username or "sistem",
                            ACTION_LABELS.get(r.action, r.action), r.from_state or "", r.to_state or "",
                            r.reason_code or "", r.note, r.detail, r.worker_id or "", r.nik or "",
                            r.full_name or "", r.code or "", r.ip or ""]))
        if len(lines) == CHUNK:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)
