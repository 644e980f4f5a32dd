"""Cross-OPD claims: an OPD submitted a NIK another OPD already holds (the importer creates the
claim). Both OPDs see it; an admin or supervisor keeps one owner. Moving the worker to the
claimant goes through `portal.core.changes.record_change` (row version, tallies, audit event)
like every transition. Functions raise TransitionErrors; the caller commits or rolls back.
(Likely duplicates with different NIKs are portal.duplicates.rules.)
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, contains_eager, joinedload

from portal.core import N_, audit, names, tallies
from portal.core.changes import record_change, stale
from portal.core.errors import Invalid, NotAllowed, WrongState
from portal.core.models import OPD, Claim, Event, ImportBatch, User, Worker, utcnow
from portal.core.privacy import mask
from portal.core.roles import CLAIM_VIEWERS, RESOLVERS

OWNERS = ("current", "claimant")
OUTCOME_LABELS = {"kept": N_("tetap di OPD semula"), "moved": N_("dipindah ke OPD pengklaim"),
                  "dismissed": N_("bukan ganda"), "merged": N_("digabungkan")}
THRESHOLD = names.THRESHOLD
SUBMITTED_LABELS = (  # the claimant's row as portal.intake.staging stores it: (label, its keys)
    (N_("Baris"), ("row",)), (N_("Nama"), ("name", "full_name")), (N_("NIK"), ("nik",)),
    (N_("Jenis kelamin"), ("sex", "sex_l", "sex_p")), (N_("Tanggal lahir"), ("birth", "birth_date")),
    (N_("Alamat"), ("address",)), (N_("Desa/kelurahan"), ("desa",)), (N_("Kecamatan"), ("kecamatan",)),
    (N_("No. HP"), ("phone",)), (N_("Kategori"), ("category",)),
)
NOT_SHOWN = {"file_name"}  # shown from the import batch instead


@dataclass
class ClaimList:
    open: list[Claim]  # the oldest `limit` open claims
    open_total: int
    recent: list[Claim]  # resolved lately, so both OPDs learn the outcome
    files: dict[int, str]  # import batch id → file name


def claims_for(session: Session, user: User, limit: int = 200, recent: int = 20) -> ClaimList:
    """Open claims (oldest first) and the latest resolved ones: all for an admin or supervisor,
    those touching the verifier's OPD (as owner or as claimant) for a verifier."""
    if user.role not in CLAIM_VIEWERS:
        raise NotAllowed(N_("Peran Anda tidak dapat melihat klaim."))
    scope = []
    if user.role == "verifier":
        scope = [or_(Worker.opd_id == user.opd_id, Claim.claimant_opd_id == user.opd_id)]
    stmt = select(Claim).join(Claim.worker).where(*scope).options(
        contains_eager(Claim.worker).joinedload(Worker.opd), contains_eager(Claim.worker).joinedload(Worker.desa),
        joinedload(Claim.claimant))
    open_ = session.scalars(stmt.where(Claim.status == "open").order_by(Claim.created_at, Claim.id)
                           .limit(limit)).all()
    total = session.scalar(select(func.count()).select_from(Claim).join(Claim.worker)
                           .where(Claim.status == "open", *scope))
    done = session.scalars(stmt.where(Claim.status != "open")
                           .order_by(Claim.resolved_at.desc(), Claim.id.desc()).limit(recent)).all()
    batch_ids = {c.batch_id for c in (*open_, *done) if c.batch_id}
    files = dict(session.execute(select(ImportBatch.id, ImportBatch.file_name)
                                 .where(ImportBatch.id.in_(batch_ids))).all()) if batch_ids else {}
    return ClaimList(list(open_), total or 0, list(done), files)


def submitted_fields(claim: Claim) -> list[tuple[str, str]]:
    """The row as the claimant typed it, as (label, value) pairs; the NIK masked."""
    try:
        row = json.loads(claim.submitted or "{}")
    except ValueError:
        row = None
    if not isinstance(row, dict):
        return [(N_("Data"), (claim.submitted or "")[:200])]
    fields, seen = [], set(NOT_SHOWN)
    for label, keys in SUBMITTED_LABELS:
        key = next((k for k in keys if row.get(k) not in (None, "")), None)
        seen.update(keys)
        if key:
            value = str(row[key])[:200]
            value = {"nik": mask(value), "sex_l": "L", "sex_p": "P"}.get(key, value)
            fields.append((label, value))
    fields += [(k, str(v)[:200]) for k, v in row.items() if k not in seen and v not in (None, "")]
    return fields


def _decided(session: Session, claim: Claim) -> WrongState:
    who = session.get(User, claim.resolved_by_id) if claim.resolved_by_id else None
    return WrongState(N_("Klaim ini sudah diputuskan oleh %(who)s pada %(when)s: %(state)s."),
                      who=who.username if who else "sistem", when=claim.resolved_at,
                      state=OUTCOME_LABELS.get(claim.status, claim.status))


def resolve(session: Session, claim: Claim, actor: User, owner: str, version: int) -> Event:
    """Decide an open claim: `owner` "current" keeps the worker where it is (status kept);
    "claimant" moves it to the claimant OPD (status moved), with its verification and enrolment
    as they are. `version` is the worker's row version the decider saw; a claim is decided once."""
    if actor.role not in RESOLVERS:
        raise NotAllowed(N_("Hanya administrator atau pengawas yang dapat memutuskan klaim."))
    if owner not in OWNERS:
        raise Invalid(N_("Pilih pemilik: OPD sekarang atau OPD pengklaim."))
    if claim.status != "open":
        raise _decided(session, claim)
    worker = claim.worker
    if version != worker.version:
        raise stale(session, worker)
    source, target = worker.opd, session.get_one(OPD, claim.claimant_opd_id)
    moving = owner == "claimant" and target.id != source.id
    # The claim row first: of two deciders at once, only one finds it still open.
    done = session.execute(update(Claim).where(Claim.id == claim.id, Claim.status == "open").values(
        status="moved" if moving else "kept", resolved_by_id=actor.id, resolved_at=utcnow()))
    if done.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE answers a CursorResult
        session.rollback()
        raise _decided(session, session.get_one(Claim, claim.id, populate_existing=True))
    session.refresh(claim)
    detail = json.dumps({"claim": claim.id, "from": source.code, "to": (target if moving else source).code,
                         "claimant": target.code}, ensure_ascii=False)
    if not moving:
        return audit.record(session, action="claim_resolve", user_id=actor.id, worker_id=worker.id,
                            note=f"klaim {target.code}: tetap di {source.code}", detail=detail)
    was = tallies.cell(worker)
    worker.opd, worker.opd_id = target, target.id
    return record_change(session, worker, was, actor, "claim_resolve", worker.verification,
                         worker.verification, note=f"klaim {target.code}: dipindah dari {source.code}",
                         detail=detail)
