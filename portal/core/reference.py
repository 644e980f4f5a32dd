"""Reference data: OPDs, worker categories, reject reasons and OKU Selatan's regions.

Defaults follow shared reference opd-and-categories.md (meeting of 22 May 2025); after seeding,
categories and reasons are data an admin manages, not enums in code.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from portal.core import N_, audit
from portal.core.errors import Invalid, NotAllowed
from portal.core.models import OPD, Category, Desa, Kecamatan, RejectReason, User
from portal.core.roles import ADMINS

DATA = Path(__file__).resolve().parent.parent / "data"

OPDS = [
    ("KESRA", "Bagian Kesejahteraan Rakyat Setda"),
    ("DAMKAR", "Dinas Pemadam Kebakaran"),
    ("SATPOLPP", "Satuan Polisi Pamong Praja"),
    ("BPBD", "Badan Penanggulangan Bencana Daerah"),
    ("DINSOS", "Dinas Sosial"),
    ("DLH", "Dinas Lingkungan Hidup"),
    ("DPMD", "Dinas Pemberdayaan Masyarakat dan Desa"),
    ("DISNAKERTRANS", "Dinas Tenaga Kerja dan Transmigrasi"),
]
CATEGORIES = [  # (code, name, usual owner)
    ("MARBOT", "Marbot masjid", "KESRA"),
    ("IMAM", "Imam, bilal dan khatib", "KESRA"),
    ("GURU_NGAJI", "Guru ngaji", "KESRA"),
    ("PEGAWAI_SYARA", "Pegawai syara", "KESRA"),
    ("PEMANGKU_ADAT", "Pemangku adat", None),
    ("RELAWAN_DAMKAR", "Relawan pemadam kebakaran", "DAMKAR"),
    ("LINMAS", "Anggota Linmas", "SATPOLPP"),
    ("RELAWAN_BENCANA", "Relawan bencana (Destana, TRC)", "BPBD"),
    ("PEKSOS", "Pekerja sosial masyarakat, TKSK, pendamping", "DINSOS"),
    ("KEBERSIHAN", "Petugas kebersihan / pengangkut sampah non-ASN", "DLH"),
    ("KADER", "Kader posyandu, RT/RW", "DPMD"),
    ("INFORMAL", "Petani, nelayan, ojek, buruh harian", "DISNAKERTRANS"),
]
REASONS = [  # (code, label, note required)
    ("MENINGGAL", "Meninggal dunia", False),
    ("PINDAH", "Pindah domisili", False),
    ("SUDAH_PESERTA", "Sudah peserta sebagai pekerja penerima upah", False),
    ("NIK_TIDAK_VALID", "NIK tidak valid / tidak ditemukan", False),
    ("DATA_GANDA", "Data ganda", False),
    ("BUKAN_RENTAN", "Bukan pekerja rentan / tidak aktif lagi", False),
    ("TIDAK_DIKENAL", "Tidak dikenal oleh OPD", False),
    ("LAINNYA", "Lainnya", True),  # the label is the reason; "note required" is the flag
]


def seed(session: Session) -> None:
    """Insert the defaults that are missing; never changes what an admin already edited."""
    have = set(session.scalars(select(OPD.code)))
    session.add_all(OPD(code=c, name=n) for c, n in OPDS if c not in have)
    session.flush()
    opd_ids = dict(session.execute(select(OPD.code, OPD.id)).all())
    have = set(session.scalars(select(Category.code)))
    session.add_all(Category(code=c, name=n, opd_id=opd_ids.get(o) if o else None)
                    for c, n, o in CATEGORIES if c not in have)
    have = set(session.scalars(select(RejectReason.code)))
    session.add_all(RejectReason(code=c, label=label, note_required=r, sort=i)
                    for i, (c, label, r) in enumerate(REASONS) if c not in have)
    if not session.scalar(select(func.count()).select_from(Kecamatan)):
        kecamatan, desa = _regions()
        session.execute(insert(Kecamatan), kecamatan)
        session.execute(insert(Desa), desa)
    session.flush()


def _regions() -> tuple[list[dict], list[dict]]:
    with open(DATA / "oku-selatan-desa.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    kecamatan = {r["kode_kecamatan"]: r["kecamatan"] for r in rows}
    return ([{"code": c, "name": n} for c, n in kecamatan.items()],
            [{"code": r["kode_desa"], "name": r["desa"], "kind": r["jenis"],
              "kecamatan_code": r["kode_kecamatan"]} for r in rows])


def _admin_only(actor: User) -> None:
    if actor.role not in ADMINS:
        raise NotAllowed(N_("Hanya administrator yang dapat mengubah data rujukan."))


def _code(code: str) -> str:
    code = (code or "").strip().upper().replace(" ", "_")
    if not code or len(code) > 30 or not code.replace("_", "").isalnum():
        raise Invalid(N_("Kode hanya huruf, angka dan garis bawah (paling banyak 30)."))
    return code


def _audit(session: Session, actor: User, action: str, **detail) -> None:
    audit.record(session, action=action, user_id=actor.id, detail=json.dumps(detail, ensure_ascii=False))


def add_reason(session: Session, actor: User, code: str, label: str, note_required: bool) -> RejectReason:
    """A new reject reason, audited; codes are unique."""
    _admin_only(actor)
    code, label = _code(code), (label or "").strip()
    if not label or len(label) > 120:
        raise Invalid(N_("Tulis keterangan alasan (paling banyak 120 karakter)."))
    if session.scalar(select(RejectReason).where(RejectReason.code == code)):
        raise Invalid(N_("Kode %(code)s sudah dipakai."), code=code)
    sort = (session.scalar(select(func.max(RejectReason.sort))) or 0) + 1
    reason = RejectReason(code=code, label=label, note_required=note_required, sort=sort)
    session.add(reason)
    _audit(session, actor, "reason_add", code=code, label=label, note_required=note_required)
    return reason


def add_category(session: Session, actor: User, code: str, name: str, opd: OPD | None) -> Category:
    """A new worker category, audited; codes are unique."""
    _admin_only(actor)
    code, name = _code(code), (name or "").strip()
    if not name or len(name) > 120:
        raise Invalid(N_("Tulis nama kategori (paling banyak 120 karakter)."))
    if session.scalar(select(Category).where(Category.code == code)):
        raise Invalid(N_("Kode %(code)s sudah dipakai."), code=code)
    category = Category(code=code, name=name, opd=opd)
    session.add(category)
    _audit(session, actor, "category_add", code=code, name=name, opd=opd.code if opd else None)
    return category


def set_active(session: Session, actor: User, item: RejectReason | Category, active: bool) -> None:
    """Retire or restore a reason or category; never deleted, since decisions refer to it."""
    _admin_only(actor)
    if item.active == active:
        return
    item.active = active
    kind = "reason" if isinstance(item, RejectReason) else "category"
    _audit(session, actor, f"{kind}_{'on' if active else 'off'}", code=item.code)


def active_reasons(session: Session) -> list[RejectReason]:
    """The reject reasons a verifier may choose from, in the admin's order."""
    return list(session.scalars(select(RejectReason).where(RejectReason.active)
                                .order_by(RejectReason.sort, RejectReason.label)))
