"""Personal data on screens (UU 27/2022 PDP): NIKs are masked unless someone needs the whole
number, and every reveal of a full NIK is an audit event."""
from __future__ import annotations

import csv
import io

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from portal.core import audit, export_trail
from portal.core.cells import csv_cell
from portal.core.models import Event, User, Worker
from portal.core.roles import EVERY_OPD_READERS
from portal.core.states import ACTION_LABELS, ENROLMENT_LABELS, STATE_LABELS, VERIFICATION_LABELS


def mask(nik: str) -> str:
    """1609011203850002 → 1609••••••••0002: the regency and serial, enough to tell rows apart."""
    return nik[:4] + "\u2022" * 8 + nik[-4:] if len(nik) == 16 else "\u2022" * len(nik)


def may_see_opd(user: User, opd_id: int) -> bool:
    """Whole NIKs of an OPD's workers (on their pages, the Berita Acara): its own verifier, and
    the BPJS liaison and the admin for every OPD."""
    return user.role in EVERY_OPD_READERS or (user.role == "verifier" and user.opd_id == opd_id)


def may_see_full(user: User, worker: Worker) -> bool:
    """Whether `user` may see this worker's whole NIK."""
    return may_see_opd(user, worker.opd_id)


def reveal(session: Session, user: User, worker: Worker, where: str) -> str:
    """The full NIK, with an audit event saying who saw it and where."""
    audit.record(session, action="nik_view", user_id=user.id, worker_id=worker.id, note=where)
    return worker.nik


def subject_events(session: Session, worker: Worker) -> list[Event]:
    """Every event touching one person's record, oldest first, with the exports that included it."""
    own = session.scalars(select(Event).options(joinedload(Event.user))
                          .where(Event.worker_id == worker.id).order_by(Event.seq)).all()
    return sorted([*own, *export_trail.touching(session, worker.id)], key=lambda e: e.seq)


def subject_report(session: Session, admin: User, nik: str, action: str) -> tuple[Worker | None, list[Event]]:
    """The worker holding `nik` and every event on its record, after auditing that `admin`
    produced the report (`action`: subject_report / subject_export); (None, []) if none."""
    worker = session.scalar(select(Worker).where(Worker.nik == nik)) if len(nik) == 16 else None
    if worker is None:
        return None, []
    audit.record(session, action=action, user_id=admin.id, worker_id=worker.id)
    session.flush()
    return worker, subject_events(session, worker)


def subject_csv(worker: Worker, events: list[Event]) -> str:
    """The report as CSV (Indonesian labels): the record's fields, then one line per event."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["bagian", "kolom / waktu (UTC)", "nilai / peristiwa", "oleh", "keterangan"])
    record = [
        ("NIK", worker.nik), ("nama", worker.full_name),
        ("jenis kelamin", "Perempuan" if worker.sex == "P" else "Laki-laki"),
        ("tanggal lahir", worker.birth_date), ("alamat", worker.address),
        ("desa/kelurahan", worker.desa.name if worker.desa else ""), ("kecamatan", worker.kecamatan.name),
        ("no. HP", worker.phone), ("kategori", worker.category.name), ("OPD", worker.opd.name),
        ("verifikasi", VERIFICATION_LABELS[worker.verification]),
        ("alasan penolakan", worker.reject_reason.label if worker.reject_reason else ""),
        ("catatan keputusan", worker.decision_note), ("kepesertaan BPJS", ENROLMENT_LABELS[worker.enrolment]),
        ("nomor KPJ", worker.kpj), ("tanggal terdaftar", worker.enrolled_on),
    ]
    for field, value in record:
        writer.writerow(["data", field, csv_cell(value), "", ""])
    for e in events:
        change = f" → {STATE_LABELS[e.to_state]}" if e.to_state and e.to_state != e.from_state else ""
        if e.action == "export":
            note = export_trail.summary(e)
        else:
            note = " ".join(filter(None, [e.reason_code, e.note, e.detail]))
        writer.writerow(["peristiwa", e.created_at.isoformat(timespec="seconds"),
                         ACTION_LABELS.get(e.action, e.action) + change,
                         e.user.username if e.user else "sistem", csv_cell(note)])
    return out.getvalue()
