"""Verification transitions: the only code that changes a worker's state.

Each function checks the actor's role and OPD, the worker's current state and the row version
the actor saw, moves the tallies and writes the audit Event in the caller's transaction, or
raises a TransitionError that says why in Indonesian. The caller commits or rolls back.
"""
from __future__ import annotations

import json

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from portal.core import N_, audit, name_rule, tallies
from portal.core.changes import clean_note, record_change, stale
from portal.core.errors import Invalid, NotAllowed, NotFound, Stale, TransitionError, WrongState
from portal.core.models import Desa, Event, RejectReason, User, Worker, utcnow
from portal.core.roles import DECIDERS
from portal.core.states import ALLOWED_FROM, VERIFICATION_LABELS

CORRECTABLE = ("full_name", "address", "desa_code", "phone")


def approve(session: Session, worker: Worker, actor: User, version: int) -> Event:
    """pending/on_hold → approved."""
    _guard(session, worker, actor, version, ALLOWED_FROM["approve"])
    return _move(session, worker, actor, "approve", "approved", reason=None, note="")


def reject(session: Session, worker: Worker, actor: User, version: int,
           reason: RejectReason | None, note: str = "") -> Event:
    """pending/on_hold → rejected, with a coded reason (and a note when the reason needs one)."""
    _guard(session, worker, actor, version, ALLOWED_FROM["reject"])
    note = clean_note(note)
    if reason is None or not reason.active:
        raise Invalid(N_("Pilih alasan penolakan."))
    if reason.note_required and not note:
        raise Invalid(N_("Alasan \u201c%(reason)s\u201d wajib disertai catatan."), reason=reason.label)
    return _move(session, worker, actor, "reject", "rejected", reason=reason, note=note)


def hold(session: Session, worker: Worker, actor: User, version: int, note: str) -> Event:
    """pending → on_hold; the note says what is being waited for."""
    _guard(session, worker, actor, version, ALLOWED_FROM["hold"])
    note = clean_note(note)
    if not note:
        raise Invalid(N_("Tulis catatan: apa yang ditunggu sebelum memutuskan."))
    return _move(session, worker, actor, "hold", "on_hold", reason=None, note=note)


def reopen(session: Session, worker: Worker, actor: User, version: int, note: str = "") -> Event:
    """approved/rejected/on_hold → pending, so the decision can be made again."""
    _guard(session, worker, actor, version, ALLOWED_FROM["reopen"])
    return _move(session, worker, actor, "reopen", "pending", reason=None, note=clean_note(note))


def correct(session: Session, worker: Worker, actor: User, version: int,
            changes: dict[str, str]) -> Event:
    """Fix name, address, desa or phone in any state; the Event keeps old and new values. The name
    passes the rule every written name passes (`name_rule.clean`), and is stored as it returns it."""
    _guard(session, worker, actor, version, None)
    unknown = set(changes) - set(CORRECTABLE)
    if unknown:
        raise Invalid(N_("Kolom ini tidak dapat diperbaiki: %(fields)s."), fields=", ".join(sorted(unknown)))
    cleaned: dict[str, str | None] = {k: (v or "").strip() for k, v in changes.items()}
    if "full_name" in cleaned:
        cleaned["full_name"], problem = name_rule.clean(cleaned["full_name"])
        if not cleaned["full_name"]:
            raise Invalid(N_("Nama tidak boleh kosong."))
        if problem is not None:  # the rule the import applies: nothing it refuses gets in here
            raise Invalid(problem.message, **problem.params)
    if cleaned.get("desa_code"):
        desa = session.get(Desa, cleaned["desa_code"])
        if desa is None:
            raise Invalid(N_("Desa/kelurahan tidak dikenal."))
        if desa.kecamatan_code != worker.kecamatan_code:
            cleaned["kecamatan_code"] = desa.kecamatan_code
    elif "desa_code" in cleaned:
        cleaned["desa_code"] = None
    diff = {k: [getattr(worker, k), v] for k, v in cleaned.items() if getattr(worker, k) != v}
    if not diff:
        raise Invalid(N_("Tidak ada yang berubah."))
    was = tallies.cell(worker)
    for field, (_, new) in diff.items():
        setattr(worker, field, new)
    return record_change(session, worker, was, actor, "correct", worker.verification, worker.verification,
                         detail=json.dumps(diff, ensure_ascii=False))


def approve_many(session: Session, items: list[tuple[Worker, int]], actor: User) -> int:
    """Approve each (worker, version seen), all or nothing; a refusal names its worker."""
    return _many(session, items, actor, "approve", "approved", "")


def reopen_many(session: Session, items: list[tuple[Worker, int]], actor: User, note: str) -> int:
    """Reopen each (worker, version seen) to pending, all or nothing (a bulk approval undone)."""
    return _many(session, items, actor, "reopen", "pending", clean_note(note))


def _many(session: Session, items: list[tuple[Worker, int]], actor: User, action: str, to: str, note: str) -> int:
    """One decision on many workers. Workers are written in id order, the tallies moved once per
    cell in cell order and the events appended last: the lock order of a single decision, so bulk
    and single decisions running at the same time cannot deadlock."""
    items = sorted(items, key=lambda item: item[0].id)
    now, moves, events = utcnow(), [], []
    for worker, version in items:
        try:
            _guard(session, worker, actor, version, ALLOWED_FROM[action])
        except TransitionError as error:
            error.params.setdefault("name", worker.full_name)
            error.message = N_("%(name)s: ") + error.message
            raise
        moves.append(tallies.cell(worker))
        events.append(dict(action=action, user_id=actor.id, worker_id=worker.id,
                           from_state=worker.verification, to_state=to, reason_code=None,
                           note=note, detail="", created_at=now))
        worker.verification, worker.reject_reason, worker.decision_note = to, None, note
        worker.updated_at = now
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise Stale(N_("Sebagian baris sudah diubah orang lain sejak dikonfirmasi. Muat ulang, lalu ulangi.")) from None
    tallies.move_many(session, [(was, tallies.cell(w)) for was, (w, _v) in zip(moves, items)])
    audit.record_many(session, events)
    return len(events)


def _guard(session: Session, worker: Worker, actor: User, version: int,
           allowed_from: tuple[str, ...] | None) -> None:
    if actor.role not in DECIDERS:
        raise NotAllowed(N_("Peran Anda tidak dapat mengubah status verifikasi."))
    if actor.role == "verifier" and worker.opd_id != actor.opd_id:
        # Another OPD's worker does not exist for this verifier (404, not 403: no probing).
        raise NotFound(N_("Data pekerja tidak ditemukan."))
    if version != worker.version:
        raise stale(session, worker)
    if allowed_from is not None and worker.verification not in allowed_from:
        raise WrongState(N_("Tidak dapat dilakukan: status sekarang %(state)s."),
                         state=VERIFICATION_LABELS[worker.verification])


def _move(session: Session, worker: Worker, actor: User, action: str, to: str,
          reason: RejectReason | None, note: str) -> Event:
    was, before = tallies.cell(worker), worker.verification
    worker.verification = to
    worker.reject_reason = reason
    worker.decision_note = note
    return record_change(session, worker, was, actor, action, before, to,
                         reason_code=reason.code if reason else None, note=note)


