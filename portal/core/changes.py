"""What every change to a worker shares, verification (portal.queue.transitions), enrolment
(portal.bpjs.enrolment) and claims alike: one lock order, one stale-copy message, one note rule."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from portal.core import N_, audit, tallies
from portal.core.errors import Invalid, Stale
from portal.core.models import Event, User, Worker, utcnow
from portal.core.states import ACTION_LABELS, STATE_LABELS

NOTE_MAX = 500


def stale(session: Session, worker: Worker) -> Stale:
    """The error for a decision made on an old copy: who changed the worker, when, to what."""
    last = session.scalars(select(Event).where(Event.worker_id == worker.id, Event.to_state.is_not(None))
                           .order_by(Event.seq.desc()).limit(1)).first()
    if last is None or last.to_state is None:
        return Stale(N_("Data ini sudah berubah. Muat ulang sebelum memutuskan."))
    return Stale(N_("Data ini sudah diubah oleh %(who)s (%(action)s) pada %(when)s; status sekarang "
                    "%(state)s. Periksa lagi sebelum memutuskan."),
                 who=last.user.username if last.user else "sistem", action=ACTION_LABELS.get(last.action, last.action),
                 when=last.created_at, state=STATE_LABELS[last.to_state])


def clean_note(note: str | None) -> str:
    """The note trimmed; refused when longer than NOTE_MAX."""
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise Invalid(N_("Catatan terlalu panjang (%(n)d karakter, paling banyak %(max)d)."),
                      n=len(note), max=NOTE_MAX)
    return note


def record_change(session: Session, worker: Worker, was: tallies.Cell, actor: User, action: str,
                  before: str, to: str, **fields) -> Event:
    """Write the worker (refused if its version moved on), then its tallies, then the event:
    every transition locks in this order (worker → tally cells → audit head), so none deadlock."""
    worker.updated_at = utcnow()
    try:
        session.flush()  # UPDATE worker … WHERE version = <the version read>
    except StaleDataError:
        # Someone committed a change between our read and our write.
        session.rollback()
        raise stale(session, session.get_one(Worker, worker.id, populate_existing=True)) from None
    tallies.move(session, was, tallies.cell(worker))
    return audit.record(session, action=action, user_id=actor.id, worker_id=worker.id,
                        from_state=before, to_state=to, created_at=worker.updated_at, **fields)
