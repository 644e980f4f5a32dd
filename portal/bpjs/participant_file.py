"""BPJS's participant report (.xlsx or .csv: NIK, KPJ, status, date) read against the portal and
applied as enrolment transitions through `domain.enrolment`, so every change is checked and
audited exactly as at the desk.

Each row gets one verdict: matched (`enrol`, `restore`, `lapse`, or `same`: nothing to do),
`not_found`, `not_approved` (only names an OPD approved can be enrolled), `conflict` (another
KPJ here, or this KPJ belongs to someone else) or `invalid` (the row itself is unreadable).
Apply classifies the file again against the data as it is then, so it never acts on a stale
preview; all actions run in the caller's transaction, all or nothing.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from openpyxl import load_workbook
from openpyxl.utils.datetime import from_excel
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.bpjs import enrolment
from portal.core import N_, audit, sheets
from portal.core.errors import Invalid, NotAllowed
from portal.core.models import User, Worker
from portal.core.roles import ENROLLERS

MAX_ROWS = 50_000
VERDICTS = ("enrol", "restore", "lapse", "same", "not_found", "not_approved", "conflict", "invalid")
ACTIONS = ("enrol", "restore", "lapse")
HEADERS = {
    "nik": {"nik", "no nik", "nomor nik", "nik peserta", "nomor induk kependudukan"},
    "kpj": {"kpj", "no kpj", "nomor kpj", "no kartu", "nomor kartu", "no peserta", "nomor peserta"},
    "status": {"status", "status kepesertaan", "status peserta", "status aktif"},
    "on": {"tanggal kepesertaan", "tgl kepesertaan", "tgl daftar", "tanggal daftar", "tanggal terdaftar",
           "tgl terdaftar", "tgl kepesertaan awal", "tanggal mulai", "tmt kepesertaan"},
}
COLUMN_LABELS = {"nik": "NIK", "kpj": "No KPJ", "status": "Status", "on": "Tanggal Kepesertaan"}
ACTIVE = {"aktif", "active", "a"}
INACTIVE = {"nonaktif", "tidakaktif", "inactive", "nonactive", "na", "non", "pasif", "berhenti", "keluar"}
MONTHS = {m: i for i, names in enumerate(
    [("jan", "januari"), ("feb", "februari"), ("mar", "maret"), ("apr", "april"), ("mei", "may"),
     ("jun", "juni"), ("jul", "juli"), ("agu", "agt", "agustus", "aug"), ("sep", "september"),
     ("okt", "oktober", "oct"), ("nov", "november"), ("des", "desember", "dec")], 1) for m in names}


@dataclass
class Line:
    """One row of the report and its verdict; `message`/`params` say why (Indonesian, N_)."""
    number: int
    nik: str
    kpj: str
    active: bool | None
    on: date | None
    verdict: str = "invalid"
    message: str = ""
    params: dict = field(default_factory=dict)
    worker_id: int | None = None
    name: str = ""


@dataclass
class Preview:
    lines: list[Line]
    counts: dict[str, int]

    @property
    def actionable(self) -> int:
        return sum(self.counts[v] for v in ACTIONS)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- reading any table ---------------------------------------------------------------------
def read_table(data: bytes, filename: str, max_rows: int = MAX_ROWS) -> list[tuple[int, tuple]]:
    """The non-blank rows of the first sheet of an .xlsx, or of a .csv (UTF-8 or Windows-1252,
    `,` `;` or tab), as (row number as the spreadsheet shows it, values). Refuses with a clear
    message files that are too big, of another type, corrupt or too long."""
    if len(data) > sheets.MAX_BYTES:
        raise Invalid(N_("Berkas terlalu besar (paling besar 5 MB)."))
    if not data:
        raise Invalid(N_("Berkas kosong."))
    kind = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if kind in ("xlsx", "xlsm"):
        rows = _xlsx_rows(data, max_rows)
    elif kind == "csv":
        rows = _csv_rows(data, max_rows)
    else:
        raise Invalid(N_("Jenis berkas tidak didukung: unggah .xlsx atau .csv."))
    return [(n, values) for n, values in rows if any(v not in (None, "") for v in values)]


def _xlsx_rows(data: bytes, max_rows: int) -> list[tuple[int, tuple]]:
    if not data.startswith(b"PK\x03\x04"):
        raise Invalid(N_("Berkas rusak atau bukan berkas Excel (.xlsx)."))
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            rows = []
            for n, values in enumerate(wb.worksheets[0].iter_rows(max_col=40, values_only=True), 1):
                if n > max_rows + 20:
                    raise _TooLong
                rows.append((n, tuple(values)))
        finally:
            wb.close()
    except _TooLong:
        raise Invalid(N_("Berkas terlalu panjang (paling banyak %(max)d baris)."), max=max_rows) from None
    except Exception:  # openpyxl raises many kinds on a damaged workbook; all mean the same here
        raise Invalid(N_("Berkas rusak atau bukan berkas Excel (.xlsx).")) from None
    return rows


class _TooLong(Exception):
    pass


def _csv_rows(data: bytes, max_rows: int) -> list[tuple[int, tuple]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    if "\x00" in text:
        raise Invalid(N_("Berkas rusak atau bukan berkas CSV."))
    head = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((";", ",", "\t"), key=head.count)
    try:
        rows = [(n, tuple(values)) for n, values in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), 1)]
    except csv.Error:
        raise Invalid(N_("Berkas rusak atau bukan berkas CSV.")) from None
    if len(rows) > max_rows + 20:
        raise Invalid(N_("Berkas terlalu panjang (paling banyak %(max)d baris)."), max=max_rows)
    return rows


def header_key(value) -> str:
    """'No. KPJ' → 'no kpj': how header cells are compared."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", str(value or "").lower()).split())


def find_columns(rows: list[tuple[int, tuple]], wanted: dict[str, set[str]], labels: dict[str, str],
                 look: int = 10) -> tuple[int, dict[str, int]]:
    """The header row among the first `look` rows (title rows may sit above it) and the column of
    each wanted field; refuses naming the columns it could not find."""
    best: tuple[int, dict[str, int]] = (-1, {})
    for i, (_, values) in enumerate(rows[:look]):
        keys = [header_key(v) for v in values]
        found = {name: keys.index(k) for name, names in wanted.items() for k in keys if k in names}
        if len(found) > len(best[1]):
            best = (i, found)
        if len(found) == len(wanted):
            return best
    missing = ", ".join(labels[name] for name in wanted if name not in best[1])
    raise Invalid(N_("Kolom wajib tidak ditemukan: %(columns)s. Baris judul harus memuat kolom-kolom itu."),
                  columns=missing)


# --- reading the report -----------------------------------------------------------------------
def read_report(data: bytes, filename: str) -> list[Line]:
    """The report's rows as Lines; unreadable cells make the line `invalid` right away."""
    rows = read_table(data, filename)
    start, columns = find_columns(rows, HEADERS, COLUMN_LABELS)
    lines = []
    for number, values in rows[start + 1:]:
        cell = lambda name: values[columns[name]] if columns[name] < len(values) else None  # noqa: E731
        raw_nik = cell("nik")
        nik = "".join(str(raw_nik or "").split())
        kpj = re.sub(r"[\s.\-]", "", str(cell("kpj") if cell("kpj") is not None else ""))
        line = Line(number, nik, kpj, _status(cell("status")), _date(cell("on")))
        if isinstance(raw_nik, (int, float)):
            line.message = N_("NIK tersimpan sebagai angka; Excel bisa mengubah digit terakhirnya. "
                              "Simpan kolom NIK sebagai teks.")
        elif not re.fullmatch(r"\d{16}", nik):
            line.message = N_("NIK harus 16 angka.")
        elif not enrolment.KPJ.match(kpj):
            line.message = N_("Nomor KPJ harus 11 angka.")
        elif line.active is None:
            line.message, line.params = N_("Status tidak dikenal: %(status)s (tulis Aktif atau Non Aktif)."), \
                {"status": str(cell("status") or "")[:30]}
        lines.append(line)
    return lines


def _status(value) -> bool | None:
    key = re.sub(r"[^a-z]", "", str(value or "").lower())
    return True if key in ACTIVE else False if key in INACTIVE else None


def _date(value) -> date | None:
    """A date from a date cell, an Excel serial number or text such as 05/01/2024, 2024-01-05
    or 5 Januari 2024 (day first, as written in Indonesia)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and 10_000 < value < 80_000:
        return from_excel(value).date()
    text = str(value or "").strip().lower()
    for pattern in (r"(\d{4})-(\d{1,2})-(\d{1,2})", r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})",
                    r"(\d{1,2})[\s\-]+([a-z]+)[\s\-]+(\d{4})"):
        m = re.match(pattern, text)
        if not m:
            continue
        parts = list(m.groups())
        if len(parts[0]) == 4:
            parts.reverse()
        day, month, year = parts
        try:
            return date(int(year), int(month) if month.isdigit() else MONTHS[month], int(day))
        except (KeyError, ValueError):
            return None
    return None


# --- classification and apply -------------------------------------------------------------------
def _by(session: Session, column, values: list[str]) -> dict[str, Worker]:
    found = {}
    for start in range(0, len(values), 500):
        for w in session.scalars(select(Worker).where(column.in_(values[start:start + 500]))):
            found[getattr(w, column.key)] = w
    return found


def classify(session: Session, lines: list[Line], today: date) -> Preview:
    """Give every readable line its verdict against the workers as they are now."""
    readable = [line for line in lines if not line.message]
    by_nik = _by(session, Worker.nik, sorted({line.nik for line in readable}))
    by_kpj = _by(session, Worker.kpj, sorted({line.kpj for line in readable}))
    niks_of_kpj: dict[str, set[str]] = {}
    for line in readable:
        niks_of_kpj.setdefault(line.kpj, set()).add(line.nik)
    seen_nik: set[str] = set()
    for line in readable:
        w = by_nik.get(line.nik)
        shared = len(niks_of_kpj[line.kpj]) > 1
        line.verdict, line.message, line.params = _verdict(line, w, by_kpj.get(line.kpj), today,
                                                           line.nik in seen_nik, shared)
        if w is not None:
            line.worker_id, line.name = w.id, w.full_name
        seen_nik.add(line.nik)
    counts = Counter(line.verdict for line in lines)
    return Preview(lines, {v: counts.get(v, 0) for v in VERDICTS})


def _verdict(line: Line, w: Worker | None, holder: Worker | None, today: date, repeated: bool,
             shared: bool) -> tuple[str, str, dict]:
    if repeated:
        return "invalid", N_("NIK ini sudah muncul di baris sebelumnya."), {}
    if shared:
        return "conflict", N_("Nomor KPJ ini dipakai lebih dari satu NIK di berkas yang sama."), {}
    if w is None:
        return "not_found", N_("NIK tidak ada di portal."), {}
    if holder is not None and holder.id != w.id:
        return "conflict", N_("Nomor KPJ ini tercatat untuk %(other)s."), {"other": holder.full_name}
    if w.kpj and w.kpj != line.kpj:
        return "conflict", N_("Pekerja ini tercatat dengan KPJ lain (%(kpj)s)."), {"kpj": w.kpj}
    if not line.active:
        if w.enrolment == "enrolled":
            return "lapse", N_("Tidak aktif di BPJS: akan dicatat tidak aktif."), {}
        return "same", N_("Tidak aktif di BPJS dan tidak tercatat terdaftar di sini: tidak ada yang diubah."), {}
    if w.enrolment == "enrolled":
        return "same", N_("Sudah tercatat terdaftar dengan KPJ yang sama."), {}
    if w.verification != "approved":
        return "not_approved", N_("Belum disetujui OPD: hanya nama yang disetujui yang dapat didaftarkan."), {}
    if w.enrolment == "inactive":
        return "restore", N_("Aktif lagi di BPJS: akan dicatat aktif kembali."), {}
    if line.on is None:
        return "invalid", N_("Tanggal kepesertaan kosong atau tidak terbaca."), {}
    if line.on > today or line.on < enrolment.EARLIEST:
        return "invalid", N_("Tanggal kepesertaan harus antara 2014 dan hari ini."), {}
    return "enrol", N_("Akan dicatat terdaftar."), {}


def preview(session: Session, data: bytes, filename: str, today: date) -> Preview:
    """Read and classify the report; changes nothing."""
    return classify(session, read_report(data, filename), today)


def apply(session: Session, actor: User, data: bytes, filename: str, today: date) -> Preview:
    """Classify the report again and apply every actionable line through `domain.enrolment`
    (each with the worker's version as read now), in worker id order, plus one summary event.
    The caller commits; any refusal (a TransitionError) means the caller rolls back all of it."""
    if actor.role not in ENROLLERS:
        raise NotAllowed(N_("Hanya petugas BPJS yang mencatat kepesertaan."))
    result = preview(session, data, filename, today)
    for line in sorted((x for x in result.lines if x.verdict in ACTIONS), key=lambda x: x.worker_id):
        w = session.get(Worker, line.worker_id)
        if line.verdict == "enrol":
            enrolment.enrol(session, w, actor, w.version, line.kpj, line.on, today)
        elif line.verdict == "restore":
            enrolment.restore(session, w, actor, w.version, note=f"berkas BPJS, KPJ {line.kpj}")
        else:
            enrolment.lapse(session, w, actor, w.version, note="berkas BPJS: non aktif")
    audit.record(session, action="bpjs_file_apply", user_id=actor.id, detail=json.dumps(
        {"file": filename[:200], "sha256": sha256(data), "counts": result.counts}, sort_keys=True))
    return result
