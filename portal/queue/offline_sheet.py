"""The offline decision spreadsheet: an OPD downloads its pending names as .xlsx, fills in
Keputusan (Setujui / Tolak / Tunda), Alasan and Catatan on a slow link, and uploads it back.

Each row carries its worker id and row version in hidden columns and a hidden checksum:
HMAC-SHA-256, keyed with the caller's secret, over id, NIK, name and version. Sheet protection
and hidden columns only keep honest users from slips; the checksum is what refuses a row whose
NIK or name was changed, and the version what refuses a row whose worker changed since the
download. Decisions go through `portal.queue.transitions`, so the usual checks and audit apply.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Font, Protection
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.core import N_, audit, reference, sheets
from portal.core.cells import text_cell, xml_text
from portal.core.changes import NOTE_MAX
from portal.core.errors import Invalid, NotAllowed
from portal.core.models import Category, Desa, Event, RejectReason, User, Worker
from portal.core.roles import DECIDERS
from portal.core.states import ALLOWED_FROM, VERIFICATION_LABELS
from portal.queue import transitions

HEADER = ["ID", "Versi", "NIK", "Nama", "Desa", "Kategori", "Status", "Keputusan", "Alasan", "Catatan", "Cek"]
WIDTHS = [6, 6, 20, 32, 22, 28, 30, 14, 34, 40, 10]
HIDDEN, DECISION_COLUMN, REASON_COLUMN = ("A", "B", "K"), "H", "I"
UNDECIDED = ("pending", "on_hold")  # the names a sheet offers: waiting, or put on hold
WANTED = {"id": {"id"}, "version": {"versi"}, "nik": {"nik"}, "name": {"nama"}, "decision": {"keputusan"},
          "reason": {"alasan"}, "note": {"catatan"}, "check": {"cek"}}
LABELS = dict(zip(WANTED, ("ID", "Versi", "NIK", "Nama", "Keputusan", "Alasan", "Catatan", "Cek")))
DECISIONS = {"setujui": "approve", "tolak": "reject", "tunda": "hold"}


def clean(value) -> str:
    """A cell's text as written and as read back (characters XML cannot hold are dropped)."""
    return xml_text(value).strip()


def checksum(key: bytes, worker_id: int, nik: str, name: str, version: int) -> str:
    """The row seal: HMAC-SHA-256 over id, NIK, name and version (prefixed, so the key's other
    uses can never produce the same value)."""
    message = "\x1f".join(["antrian.xlsx", str(worker_id), clean(nik), clean(name), str(version)])
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def undecided_rows(opd_id: int):
    """The OPD's pending names, then those on hold, as plain rows (no ORM objects), by name."""
    return (select(Worker.id, Worker.version, Worker.nik, Worker.full_name, Desa.name.label("desa"),
                   Category.name.label("category"), Worker.verification, Worker.decision_note)
            .join(Category, Worker.category_id == Category.id).outerjoin(Desa, Worker.desa_code == Desa.code)
            .where(Worker.opd_id == opd_id, Worker.verification.in_(UNDECIDED))
            .order_by(Worker.verification != "pending", Worker.sort_name, Worker.id))


def _status(verification: str, note: str | None) -> str:
    """The Status cell: "Menunggu", or "Ditunda: <what it waits for>"."""
    label = VERIFICATION_LABELS[verification]
    return f"{label}: {note}" if verification == "on_hold" and note else label


def build(session: Session, opd_id: int, key: bytes, out) -> list[int]:
    """Write the OPD's pending and on-hold names as the decision workbook to the file object `out`, streaming
    rows into a write-only sheet; returns the worker ids written."""
    wb = Workbook(write_only=True)
    ws, lists, notes = wb.create_sheet("Antrian"), wb.create_sheet("Daftar"), wb.create_sheet("Petunjuk")
    lists.sheet_state = "hidden"
    reasons = reference.active_reasons(session)
    for reason in reasons:
        lists.append([text_cell(lists, clean(reason.label))])
    for col, width in enumerate(WIDTHS, 1):
        ws.column_dimensions[chr(64 + col)].width = width
    for column in HIDDEN:
        ws.column_dimensions[column].hidden = True
    ws.freeze_panes = "C2"
    ws.append([text_cell(ws, title, font=Font(bold=True)) for title in HEADER])
    ids = []
    for r in session.execute(undecided_rows(opd_id).execution_options(yield_per=1000)):
        ids.append(r.id)
        ws.append([r.id, r.version, text_cell(ws, clean(r.nik), number_format="@"),
                   text_cell(ws, clean(r.full_name)), text_cell(ws, clean(r.desa)), text_cell(ws, clean(r.category)),
                   text_cell(ws, clean(_status(r.verification, r.decision_note))),
                   *(text_cell(ws, None, protection=OPEN) for _ in range(3)),
                   checksum(key, r.id, r.nik, r.full_name, r.version)])
    last = len(ids) + 1 if ids else 2
    choice = DataValidation(type="list", formula1='"Setujui,Tolak,Tunda"', allow_blank=True, showErrorMessage=True,
                            errorTitle="Keputusan", error="Pilih Setujui, Tolak atau Tunda.")
    reason = DataValidation(type="list", formula1=f"Daftar!$A$1:$A${max(len(reasons), 1)}", allow_blank=True,
                            showErrorMessage=True, errorTitle="Alasan", error="Pilih alasan dari daftar.")
    for validation, column in ((choice, DECISION_COLUMN), (reason, REASON_COLUMN)):
        validation.add(f"{column}2:{column}{last}")
        ws.data_validations.append(validation)
    ws.protection.sheet = True  # columns cannot be unhidden or moved by accident; not security
    wb.security = WorkbookProtection(lockStructure=True)
    for text in ("Isi kolom Keputusan (Setujui / Tolak / Tunda), Alasan bila menolak, dan Catatan.",
                 "Tunda dan alasan \u201cLainnya\u201d wajib disertai catatan. Baris tanpa keputusan dilewati.",
                 "Nama yang sudah ditunda dapat disetujui atau ditolak; kolom Status menulis apa yang ditunggu.",
                 "Jangan mengubah NIK atau nama: baris yang diubah ditolak saat diunggah.",
                 "Unggah kembali berkas ini di menu Antrian \u2192 Unggah keputusan."):
        notes.append([text])
    wb.save(out)
    return ids


OPEN = Protection(locked=False)


@dataclass
class Line:
    """One row of an uploaded sheet as typed (`decision`, `reason`, `note`, `check`) and what
    will happen to it: `verdict` apply / refused / skipped, `action` approve / reject / hold."""
    number: int
    worker_id: int | None
    version: int | None
    nik: str
    name: str
    decision: str = ""
    reason: str = ""
    note: str = ""
    check: str = ""
    action: str = ""
    reason_id: int | None = None
    verdict: str = "refused"
    message: str = ""
    params: dict = field(default_factory=dict)


@dataclass
class Review:
    lines: list[Line]
    counts: dict[str, int]
    applied_at: datetime | None = None  # when this very file was applied before


def _int(value) -> int | None:
    """A positive 32-bit id or version from a cell (int, 12.0 or "12"), else None."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    return value if type(value) is int and 0 < value < 2**31 else None


def read(data: bytes, filename: str) -> list[Line]:
    """The sheet's rows with a decision column read as-is (not checked yet)."""
    if not filename.lower().endswith(".xlsx"):
        raise Invalid(N_("Unggah berkas .xlsx hasil unduhan antrian."))
    table = sheets.table(data, filename, WANTED, tuple(WANTED), LABELS, look=1)
    return [_line(number, values, table.columns) for number, values in table.rows if values]


def _line(number: int, values: tuple, columns: dict[str, int]) -> Line:
    get = {name: values[i] if i < len(values) else None for name, i in columns.items()}
    return Line(number, _int(get["id"]), _int(get["version"]), clean(get["nik"]), clean(get["name"]),
                decision=clean(get["decision"]).lower(), reason=clean(get["reason"]), note=clean(get["note"]),
                check=clean(get["check"]))


def review(session: Session, actor: User, lines: list[Line], key: bytes, sha: str | None = None) -> Review:
    """Decide for every line whether it will be applied, and if refused why; changes nothing. A
    file (by its SHA-256 `sha`) applied before says so, on the review and on each row it changed."""
    if actor.role not in DECIDERS:
        raise NotAllowed(N_("Peran Anda tidak dapat mengubah status verifikasi."))
    reasons = {}
    for reason in reference.active_reasons(session):
        reasons[clean(reason.label).lower()] = reasons[reason.code.lower()] = reason
        if reason.code == "LAINNYA":  # sheets downloaded before migration 0003 carry the old label
            reasons["lainnya (catatan wajib)"] = reason
    ids = [line.worker_id for line in lines if line.worker_id]
    found = {w.id: w for start in range(0, len(ids), 500)
             for w in session.scalars(select(Worker).where(Worker.id.in_(ids[start:start + 500])))}
    seen: set[int] = set()
    for line in lines:
        line.action, line.reason_id = DECISIONS.get(line.decision, ""), None
        refusal = _check(line, found.get(line.worker_id) if line.worker_id else None, actor, key, reasons, seen)
        if refusal:
            line.message, line.params = refusal[0], (refusal[1] if len(refusal) > 1 else {})
            line.verdict = "skipped" if line.message == SKIPPED else "refused"
        else:
            line.verdict, line.message, line.params = "apply", "", {}
        if line.worker_id:
            seen.add(line.worker_id)
    applied_at = _applied_at(session, sha) if sha else None
    if applied_at is not None:
        for line in lines:
            if line.message == STALE:
                line.message, line.params = N_("Sudah diterapkan dari berkas ini sebelumnya."), {}
    counts = Counter(line.action if line.verdict == "apply" else line.verdict for line in lines)
    return Review(lines, {k: counts.get(k, 0) for k in ("approve", "reject", "hold", "refused", "skipped")},
                  applied_at)


def _applied_at(session: Session, sha: str) -> datetime | None:
    """When a sheet with this SHA-256 was applied (its `sheet_apply` event), if ever."""
    return session.scalar(select(func.min(Event.created_at)).where(
        Event.action == "sheet_apply", Event.detail.contains(f'"sha256": "{sha}"')))


SKIPPED = N_("Tanpa keputusan.")
STALE = N_("Data sudah berubah sejak diunduh (status sekarang %(state)s).")


def _check(line: Line, w: Worker | None, actor: User, key: bytes, reasons: dict,
           seen: set[int]) -> tuple | None:
    """None when the line can be applied, else (message,) or (message, params)."""
    if not line.decision:
        return (SKIPPED,)
    if line.worker_id is None or line.version is None:
        return (N_("Baris tidak lengkap: kolom ID atau versi kosong atau diubah."),)
    if not hmac.compare_digest(checksum(key, line.worker_id, line.nik, line.name, line.version), line.check):
        return (N_("NIK atau nama diubah di file."),)
    if line.worker_id in seen:
        return (N_("Baris ganda: pekerja ini sudah ada di baris sebelumnya."),)
    if w is None or (actor.role == "verifier" and w.opd_id != actor.opd_id):
        return (N_("Bukan data OPD Anda, atau data tidak ditemukan."),)
    if w.version != line.version:
        return (STALE, {"state": VERIFICATION_LABELS[w.verification]})
    action = line.action
    if not action:
        return (N_("Keputusan tidak dikenal: \u201c%(value)s\u201d (pilih Setujui, Tolak atau Tunda)."),
                {"value": line.decision[:30]})
    if w.verification not in ALLOWED_FROM[action]:
        return (N_("Tidak dapat dilakukan: status sekarang %(state)s."), {"state": VERIFICATION_LABELS[w.verification]})
    if len(line.note) > NOTE_MAX:
        return (N_("Catatan terlalu panjang (paling banyak %(max)d karakter)."), {"max": NOTE_MAX})
    if action == "hold" and not line.note:
        return (N_("Tunda wajib disertai catatan: apa yang ditunggu."),)
    if action == "reject":
        reason = reasons.get(line.reason.lower())
        if reason is None:
            return ((N_("Alasan tidak dikenal: \u201c%(value)s\u201d."), {"value": line.reason[:60]}) if line.reason
                    else (N_("Pilih alasan penolakan."),))
        if reason.note_required and not line.note:
            return (N_("Alasan \u201c%(reason)s\u201d wajib disertai catatan."), {"reason": reason.label})
        line.reason_id = reason.id
    return None


def apply(session: Session, actor: User, lines: list[Line], key: bytes, sha: str, name: str) -> Review:
    """Review the lines against the data as it is now and apply the acceptable ones through
    `portal.queue.transitions` with the version from the sheet, in worker id order, plus one
    `sheet_apply` event naming the file (so the same file is known again). The caller commits; a
    TransitionError means the caller rolls back all of it."""
    result = review(session, actor, lines, key, sha)
    for line in sorted((x for x in result.lines if x.verdict == "apply"), key=lambda x: x.worker_id or 0):
        assert line.worker_id is not None and line.version is not None  # the review refused lines without
        w = session.get_one(Worker, line.worker_id)
        if line.action == "approve":
            transitions.approve(session, w, actor, line.version)
        elif line.action == "reject":
            transitions.reject(session, w, actor, line.version, session.get(RejectReason, line.reason_id), line.note)
        else:
            transitions.hold(session, w, actor, line.version, line.note)
    audit.record(session, action="sheet_apply", user_id=actor.id, detail=json.dumps(
        {"file": name[:200], "sha256": sha, "counts": result.counts}, sort_keys=True))
    return result
