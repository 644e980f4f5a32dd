"""BPJS's participant report (.xlsx or .csv: NIK, KPJ, status, date) read against the portal and
applied as enrolment transitions through `portal.bpjs.enrolment`, so every change is checked and
audited exactly as at the desk.

Each row gets one verdict: matched (`enrol`, `restore`, `lapse`, or `same`: nothing to do),
`not_found`, `not_approved` (only names an OPD approved can be enrolled), `conflict` (another
KPJ here, or this KPJ belongs to someone else) or `invalid` (the row itself is unreadable).
Apply classifies the file again against the data as it is then, so it never acts on a stale
preview; all actions run in the caller's transaction, all or nothing.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.bpjs import enrolment
from portal.core import N_, audit, clock, names, sheets
from portal.core.cells import read_date
from portal.core.errors import NotAllowed
from portal.core.models import User, Worker
from portal.core.roles import ENROLLERS

VERDICTS = ("enrol", "restore", "lapse", "same", "not_found", "not_approved", "conflict", "invalid")
ACTIONS = ("enrol", "restore", "lapse")
HEADERS = {  # header spellings, compared by `cells.key` (no case, spaces or punctuation)
    "nik": "nik nonik nomornik nikpeserta nomorindukkependudukan",
    "kpj": "kpj nokpj nomorkpj nokartu nomorkartu nopeserta nomorpeserta",
    "status": "status statuskepesertaan statuspeserta statusaktif",
    "on": "tanggalkepesertaan tglkepesertaan tgldaftar tanggaldaftar tanggalterdaftar tglterdaftar "
          "tglkepesertaanawal tanggalmulai tmtkepesertaan",
    "name": "nama namapeserta namalengkap namatenagakerja namatk namapekerja",  # optional
}
COLUMN_LABELS = {"nik": "NIK", "kpj": "No KPJ", "status": "Status", "on": "Tanggal Kepesertaan"}
# Below this similarity (portal.core.names.score, 0–100) the file's name is another person's: a
# wrong NIK in BPJS's file. Spelling variants, titles and word order score far above it.
SAME_PERSON = 60
ACTIVE = {"aktif", "active", "a"}
INACTIVE = {"nonaktif", "tidakaktif", "inactive", "nonactive", "na", "non", "pasif", "berhenti", "keluar"}


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
    name: str = ""  # the portal's name of the matched worker
    file_name: str = ""  # the name in the file, when it has a name column


@dataclass
class Preview:
    lines: list[Line]
    counts: dict[str, int]

    @property
    def actionable(self) -> int:
        return sum(self.counts[v] for v in ACTIONS)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- reading the report -----------------------------------------------------------------------
def _at(values: tuple, column: int):
    return values[column] if column < len(values) else None


def read_report(data: bytes, filename: str, today: date | None = None) -> list[Line]:
    """The report's rows (the first worksheet of an .xlsx, or a .csv, read by `portal.core.sheets`
    under its limits) as Lines; unreadable cells make the line `invalid` right away. `today`
    places two-digit years."""
    today = today or clock.today()
    table = sheets.table(data, filename, HEADERS, tuple(COLUMN_LABELS), COLUMN_LABELS)
    lines = []
    for number, values in table.rows:
        if values:
            cells = {name: _at(values, i) for name, i in table.columns.items()}
            lines.append(_line(number, {"name": None, **cells}, today))
    return lines


def _line(number: int, cell: dict, today: date) -> Line:
    raw_nik = cell["nik"]
    nik = "".join(str(raw_nik or "").split())
    kpj = re.sub(r"[\s.\-]", "", str(cell["kpj"] if cell["kpj"] is not None else ""))
    line = Line(number, nik, kpj, _status(cell["status"]), read_date(cell["on"], today),
                file_name=" ".join(str(cell["name"] or "").split())[:120])
    if isinstance(raw_nik, (int, float)):
        line.message = N_("NIK tersimpan sebagai angka; Excel bisa mengubah digit terakhirnya. "
                          "Simpan kolom NIK sebagai teks.")
    elif not re.fullmatch(r"\d{16}", nik):
        line.message = N_("NIK harus 16 angka.")
    elif not enrolment.KPJ.match(kpj):
        line.message = N_("Nomor KPJ harus 11 angka.")
    elif line.active is None:
        line.message, line.params = N_("Status tidak dikenal: %(status)s (tulis Aktif atau Non Aktif)."), \
            {"status": str(cell["status"] or "")[:30]}
    return line


def _status(value) -> bool | None:
    key = re.sub(r"[^a-z]", "", str(value or "").lower())
    return True if key in ACTIVE else False if key in INACTIVE else None


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
    if line.file_name and names.score(names.normalise(line.file_name), names.normalise(w.full_name)) < SAME_PERSON:
        return "conflict", N_("Nama di berkas “%(file)s” berbeda dengan nama di portal “%(portal)s” untuk NIK ini: "
                              "periksa NIK-nya di BPJS."), {"file": line.file_name, "portal": w.full_name}
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
    return classify(session, read_report(data, filename, today), today)


def apply(session: Session, actor: User, data: bytes, filename: str, today: date) -> Preview:
    """Classify the report again and apply every actionable line through `portal.bpjs.enrolment`
    (each with the worker's version as read now), in worker id order, plus one summary event.
    The caller commits; any refusal (a TransitionError) means the caller rolls back all of it."""
    if actor.role not in ENROLLERS:
        raise NotAllowed(N_("Hanya petugas BPJS yang mencatat kepesertaan."))
    result = preview(session, data, filename, today)
    for line in sorted((x for x in result.lines if x.verdict in ACTIONS), key=lambda x: x.worker_id or 0):
        assert line.worker_id is not None  # an actionable line matched a worker
        w = session.get_one(Worker, line.worker_id)
        if line.verdict == "enrol":
            assert line.on is not None  # classify refused an enrolment without its date
            enrolment.enrol(session, w, actor, w.version, line.kpj, line.on, today)
        elif line.verdict == "restore":
            enrolment.restore(session, w, actor, w.version, note=f"berkas BPJS, KPJ {line.kpj}")
        else:
            # the file's date is when participation began, not when it stopped: the lapse is
            # dated the day the portal learns of it
            enrolment.lapse(session, w, actor, w.version, note="berkas BPJS: non aktif", on=today, today=today)
    audit.record(session, action="bpjs_file_apply", user_id=actor.id, detail=json.dumps(
        {"file": filename[:200], "sha256": sha256(data), "counts": result.counts}, sort_keys=True))
    return result
