"""Enrolment transitions, recorded by the BPJS liaison: enrol an approved worker (KPJ number and
date), mark an enrolled worker inactive when contributions lapse, and restore them.

Same rules as verification (role, state, row version, audit event, tallies in one transaction).
A worker whose approval was withdrawn while enrolled is never changed silently: it is *flagged*
(`FLAGGED`) for the liaison, who decides whether to mark it inactive.
"""
from __future__ import annotations

import json
import re
from datetime import date

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from portal.core import N_, clock, tallies
from portal.core.changes import clean_note, record_change, stale
from portal.core.errors import Invalid, NotAllowed, WrongState
from portal.core.models import Event, User, Worker
from portal.core.roles import ENROLLERS
from portal.core.states import ENROLMENT_FROM, ENROLMENT_LABELS

KPJ = re.compile(r"^\d{11}$")  # shared reference bpjs.md: 11 digits, no public check digit
EARLIEST = date(2014, 1, 1)  # BPJS Ketenagakerjaan began operating in 2014
FLAGGED = and_(Worker.verification != "approved", Worker.enrolment == "enrolled")


def enrol(session: Session, worker: Worker, actor: User, version: int, kpj: str, on: date,
          today: date) -> Event:
    """approved + not_enrolled → enrolled, with an 11-digit KPJ number unique to this worker and
    an enrolment date between 2014 and today."""
    _guard(session, worker, actor, version, ENROLMENT_FROM["enrol"])
    if worker.verification != "approved":
        raise WrongState(N_("Hanya nama yang sudah disetujui OPD yang dapat didaftarkan."))
    kpj = (kpj or "").strip().replace(" ", "")
    if not kpj.isdigit():
        raise Invalid(N_("Nomor KPJ hanya berisi angka, tepat 11 digit."))
    if not KPJ.match(kpj):
        raise Invalid(N_("Nomor KPJ harus tepat 11 digit; yang tertulis %(n)d digit."), n=len(kpj))
    if on is None or on > today:
        raise Invalid(N_("Tanggal terdaftar tidak boleh di masa depan."))
    if on < EARLIEST:
        raise Invalid(N_("Tanggal terdaftar terlalu lama (sebelum 2014)."))
    holder = session.scalar(select(Worker.full_name).where(Worker.kpj == kpj, Worker.id != worker.id))
    if holder:
        raise Invalid(N_("Nomor KPJ %(kpj)s sudah tercatat untuk peserta lain."), kpj=kpj)
    return _move(session, worker, actor, "enrol", "enrolled", kpj=kpj, enrolled_on=on,
                 note=f"KPJ {kpj}")


def lapse(session: Session, worker: Worker, actor: User, version: int, note: str = "",
          on: date | None = None, today: date | None = None) -> Event:
    """enrolled → inactive: contributions stopped (also how a flagged worker is settled). `on`, the
    day they stopped (default: today), lies between the enrolment date and `today`; the event keeps
    it (detail `lapsed_on`), so the history counts the lapse from that day."""
    _guard(session, worker, actor, version, ENROLMENT_FROM["lapse"])
    today = today or clock.today()
    on = on or today
    if on > today:
        raise Invalid(N_("Tanggal tidak aktif tidak boleh di masa depan."))
    since = active_since(session, worker)
    if on < since:
        raise Invalid(N_("Tanggal tidak aktif tidak boleh sebelum kepesertaan ini aktif (%(day)s)."), day=since)
    return _move(session, worker, actor, "lapse", "inactive", note=clean_note(note),
                 detail=json.dumps({"lapsed_on": on.isoformat()}))


def active_since(session: Session, worker: Worker) -> date:
    """The day the worker's current enrolment began: its enrolment date, or the day it was last
    restored if later. A lapse cannot be dated before it (the history would reorder them)."""
    return actives_since(session, [worker])[worker.id]


def actives_since(session: Session, workers: list[Worker]) -> dict[int, date]:
    """`active_since` of many workers (a page of the desk) in one query."""
    restored = dict(session.execute(select(Event.worker_id, func.max(Event.created_at)).where(
        Event.worker_id.in_([w.id for w in workers]), Event.action == "restore").group_by(Event.worker_id)).all())
    return {w.id: max([w.enrolled_on or EARLIEST] + ([clock.local_day(restored[w.id])] if w.id in restored else []))
            for w in workers}


def restore(session: Session, worker: Worker, actor: User, version: int, note: str = "") -> Event:
    """inactive → enrolled again, for a worker still approved."""
    _guard(session, worker, actor, version, ENROLMENT_FROM["restore"])
    if worker.verification != "approved":
        raise WrongState(N_("Hanya nama yang masih disetujui OPD yang dapat diaktifkan kembali."))
    return _move(session, worker, actor, "restore", "enrolled", note=clean_note(note))


def _guard(session: Session, worker: Worker, actor: User, version: int, required: str) -> None:
    if actor.role not in ENROLLERS:
        raise NotAllowed(N_("Hanya petugas BPJS yang mencatat kepesertaan."))
    if version != worker.version:
        raise stale(session, worker)
    if worker.enrolment != required:
        raise WrongState(N_("Tidak dapat dilakukan: kepesertaan sekarang %(state)s."),
                         state=ENROLMENT_LABELS[worker.enrolment])


def _move(session: Session, worker: Worker, actor: User, action: str, to: str, note: str,
          detail: str = "", **fields) -> Event:
    was, before = tallies.cell(worker), worker.enrolment
    worker.enrolment = to
    for key, value in fields.items():
        setattr(worker, key, value)
    return record_change(session, worker, was, actor, action, before, to, note=note, detail=detail)
