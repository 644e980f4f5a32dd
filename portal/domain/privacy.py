"""Personal data on screens (UU 27/2022 PDP): NIKs are masked unless someone needs the whole
number, and every reveal of a full NIK is an audit event."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from portal.domain import audit
from portal.models import Event, User, Worker


def mask(nik: str) -> str:
    """1609011203850002 → 1609••••••••0002: the regency and serial, enough to tell rows apart."""
    return nik[:4] + "\u2022" * 8 + nik[-4:] if len(nik) == 16 else "\u2022" * len(nik)


def may_see_full(user: User, worker: Worker) -> bool:
    """The owning OPD's verifier, the BPJS liaison and the admin may see a whole NIK."""
    return user.role in ("admin", "bpjs") or (user.role == "verifier" and user.opd_id == worker.opd_id)


def reveal(session: Session, user: User, worker: Worker, where: str) -> str:
    """The full NIK, with an audit event saying who saw it and where."""
    audit.record(session, action="nik_view", user_id=user.id, worker_id=worker.id, note=where)
    return worker.nik


def subject_events(session: Session, worker: Worker) -> list[Event]:
    """Every event touching one person's record, oldest first."""
    return session.scalars(select(Event).options(joinedload(Event.user))
                           .where(Event.worker_id == worker.id).order_by(Event.seq)).all()
