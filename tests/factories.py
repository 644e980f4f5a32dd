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
