"""Factories for users and workers. Workers enter the tallies as they are made, as an import will."""
from __future__ import annotations

import itertools
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import seed
from portal.core import nik, tallies
from portal.core.models import OPD, Category, Desa, Kecamatan, RejectReason, User, Worker

PASSWORD = "rahasia-uji-123"
_serial = itertools.count(1)


def make_user(session: Session, username: str, role: str, opd: OPD | None = None,
              password: str = PASSWORD, active: bool = True) -> User:
    user = User(username=username, role=role, opd=opd, full_name=username.title(), active=active)
    user.set_password(password, "pbkdf2:sha256:1000")
    session.add(user)
    session.flush()
    return user


def make_worker(session: Session, opd: OPD, *, verification: str = "pending",
                enrolment: str = "not_enrolled", full_name: str | None = None, **fields) -> Worker:
    serial = next(_serial)
    kecamatan = session.scalars(select(Kecamatan).order_by(Kecamatan.code)).first()
    desa = session.scalars(select(Desa).where(Desa.kecamatan_code == kecamatan.code)).first()
    born = date(1970, 1, 1 + serial % 28)
    sex = "P" if serial % 2 else "L"
    category = fields.pop("category", None) or session.scalars(
        select(Category).where(Category.opd_id == opd.id)).first() or session.scalars(select(Category)).first()
    worker = Worker(nik=nik.compose(kecamatan.code, born, sex, serial), full_name=full_name or f"Pekerja {serial}",
                    sex=sex, birth_date=born, category=category, kecamatan=kecamatan, desa=desa,
                    opd=opd, verification=verification, enrolment=enrolment, **fields)
    session.add(worker)
    session.flush()
    tallies.move(session, None, tallies.cell(worker))
    session.flush()
    return worker


class World:
    """Seeded reference data and one user per role; verifiers `dinsos` and `kesra` (two OPDs)."""

    def __init__(self, session: Session):
        self.session = session
        seed.defaults(session)
        self.opd = {o.code: o for o in session.scalars(select(OPD))}
        self.users = {
            "admin": make_user(session, "admin", "admin"),
            "supervisor": make_user(session, "supervisor", "supervisor"),
            "bpjs": make_user(session, "bpjs", "bpjs"),
            "dinsos": make_user(session, "dinsos", "verifier", self.opd["DINSOS"]),
            "kesra": make_user(session, "kesra", "verifier", self.opd["KESRA"]),
        }
        session.commit()

    def worker(self, opd: str = "DINSOS", **fields) -> Worker:
        worker = make_worker(self.session, self.opd[opd], **fields)
        self.session.commit()
        return worker

    def reason(self, code: str) -> RejectReason:
        return self.session.scalar(select(RejectReason).where(RejectReason.code == code))


_kpj = itertools.count(26_000_000_001)
PAIR_BORN = date(1981, 5, 3)  # away from make_worker's 1970 dates: only every_state's pairs share a block


def every_state(world: World) -> None:
    """A portal with something for every action to act on, for tests that walk all of it: in
    Dinsos and in the OPD first by name (an admin's default queue) names pending, on hold,
    approved, enrolled, inactive, rejected, and enrolled after the approval was withdrawn; open
    claims; likely duplicates; an API token; an upload of each of those OPDs waiting to be
    confirmed or discarded."""
    from portal.api import tokens
    from portal.core.models import Claim, ImportBatch

    session = world.session
    first = session.scalars(select(OPD).order_by(OPD.name)).first().code
    for opd in dict.fromkeys(("DINSOS", first)):
        for i in range(8):
            make_worker(session, world.opd[opd], full_name=f"Menunggu {opd} {i}")
        make_worker(session, world.opd[opd], verification="on_hold", decision_note="tunggu KK")
        for i in range(3):
            make_worker(session, world.opd[opd], verification="approved", full_name=f"Disetujui {opd} {i}")
        for verification, enrolment in (("approved", "enrolled"), ("approved", "enrolled"), ("approved", "inactive"),
                                        ("approved", "inactive"), ("rejected", "enrolled")):
            make_worker(session, world.opd[opd], verification=verification, enrolment=enrolment,
                        kpj=str(next(_kpj)), enrolled_on=date(2025, 1, 2))
        make_worker(session, world.opd[opd], verification="rejected", reject_reason=world.reason("PINDAH"))
        user = "dinsos" if opd == "DINSOS" else "admin"
        session.add(ImportBatch(opd_id=world.opd[opd].id, user_id=world.users[user].id, file_name="lama.csv",
                                file_hash=opd.ljust(64, "0"), content=b"NIK,Nama\n1609014507850001,Siti\n"))
    for i in range(3):
        held = make_worker(session, world.opd["DINSOS"], full_name=f"Diklaim {i}")
        session.add(Claim(worker=held, claimant_opd_id=world.opd["KESRA"].id, submitted='{"row": 2}'))
    for i, name in enumerate(["Ahmad Fauzi", "Siti Aminah", "Muhammad Yusuf", "Rohman Hadi"]):
        for opd, spelling in (("DINSOS", name), ("KESRA", f"H. {name}")):
            worker = make_worker(session, world.opd[opd], full_name=spelling)
            worker.birth_date, worker.sex = PAIR_BORN.replace(day=3 + i), "L"
    tokens.create(session, world.users["admin"], "Dasbor Bapperida")
    session.commit()
