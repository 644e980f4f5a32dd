"""One person, one record. Two ways one person ends up listed twice:

- a **claim**: an OPD submitted a NIK another OPD already holds (the importer creates it). Both
  OPDs see it; an admin or supervisor keeps one owner. Moving the worker to the claimant goes
  through `transitions.record_change` (row version, tallies, audit event) like every transition.
- a **likely duplicate** with different NIKs: same birth date and sex (blocking, so pairs are
  compared only inside a block) and a similar normalised name (rapidfuzz). An admin merges the
  pair (the dropped one is rejected as data ganda) or an admin/supervisor dismisses it.

Functions raise `transitions.TransitionError`s; the caller commits or rolls back.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import groupby

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager, joinedload

from portal.domain import N_, audit, names, tallies, transitions
from portal.domain.privacy import mask
from portal.domain.transitions import Invalid, NotAllowed, WrongState, record_change, stale
from portal.models import (OPD, Claim, DuplicateReview, Event, ImportBatch, RejectReason, User,
                           Worker, utcnow)

RESOLVERS = ("admin", "supervisor")
OWNERS = ("current", "claimant")
OUTCOME_LABELS = {"kept": N_("tetap di OPD semula"), "moved": N_("dipindah ke OPD pengklaim"),
                  "dismissed": N_("bukan ganda"), "merged": N_("digabungkan")}
THRESHOLD = names.THRESHOLD
SUBMITTED_LABELS = (  # the claimant's row as domain.intake stores it: (label, its keys)
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
    if user.role not in RESOLVERS + ("verifier",):
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
    return ClaimList(list(open_), total, list(done), files)


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
    source, target = worker.opd, session.get(OPD, claim.claimant_opd_id)
    moving = owner == "claimant" and target.id != source.id
    # The claim row first: of two deciders at once, only one finds it still open.
    done = session.execute(update(Claim).where(Claim.id == claim.id, Claim.status == "open").values(
        status="moved" if moving else "kept", resolved_by_id=actor.id, resolved_at=utcnow()))
    if done.rowcount != 1:
        session.rollback()
        raise _decided(session, session.get(Claim, claim.id, populate_existing=True))
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


@dataclass
class Pair:
    score: float
    first: Worker  # lower id
    second: Worker


@dataclass
class Candidates:
    pairs: list[Pair]
    total: int  # pairs found, of which `pairs` holds the best ones

    def __iter__(self):
        return iter(self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)


def _blocks(session: Session):
    """Workers not rejected, grouped by (birth date, sex), only groups of two or more: one
    GROUP BY … HAVING, then those groups' rows in block order (index ix_worker_birth)."""
    live = Worker.verification != "rejected"  # a rejected name is insured by no one
    crowded = (select(Worker.birth_date, Worker.sex).where(live).group_by(Worker.birth_date, Worker.sex)
               .having(func.count() > 1).subquery())
    rows = session.execute(
        select(Worker.id, Worker.nik, Worker.full_name, Worker.birth_date, Worker.sex)
        .join(crowded, and_(Worker.birth_date == crowded.c.birth_date, Worker.sex == crowded.c.sex))
        .where(live).order_by(Worker.birth_date, Worker.sex, Worker.id))
    for _key, block in groupby(rows, key=lambda r: (r.birth_date, r.sex)):
        yield list(block)


def scan(session: Session, threshold: float = THRESHOLD) -> list[tuple[float, int, int]]:
    """Every undecided pair scoring at least `threshold`, best first: (score, lower id, higher
    id). Pairs are compared only within a block, so the work grows with the blocks' sizes,
    not with the square of all workers."""
    reviewed = {tuple(r) for r in session.execute(select(DuplicateReview.first_id, DuplicateReview.second_id))}
    found = []
    for block in _blocks(session):
        people = [(r.id, r.nik, name) for r in block if (name := names.normalise(r.full_name))]
        for s, i, j in names.similar_pairs([p[2] for p in people], threshold):
            (a_id, a_nik, _a), (b_id, b_nik, _b) = people[i], people[j]
            if a_nik != b_nik and (a_id, b_id) not in reviewed:
                found.append((round(s, 1), a_id, b_id))
    found.sort(key=lambda f: (-f[0], f[1], f[2]))
    return found


def candidates(session: Session, limit: int = 100, threshold: float = THRESHOLD) -> Candidates:
    """The best `limit` likely-duplicate pairs with both workers (OPD, desa, kecamatan loaded),
    and how many pairs were found in all."""
    found = scan(session, threshold)
    top = found[:limit]
    ids = {i for _s, a, b in top for i in (a, b)}
    workers = {w.id: w for w in session.scalars(
        select(Worker).options(joinedload(Worker.opd), joinedload(Worker.desa), joinedload(Worker.kecamatan))
        .where(Worker.id.in_(ids)))} if ids else {}
    return Candidates([Pair(s, workers[a], workers[b]) for s, a, b in top], len(found))


def _review(session: Session, a: Worker, b: Worker, outcome: str, actor: User) -> DuplicateReview:
    """Record the decision on a pair (lowest id first); a pair is decided once."""
    if a.id == b.id:
        raise Invalid(N_("Pilih dua nama yang berbeda."))
    first, second = sorted((a, b), key=lambda w: w.id)
    taken = N_("Pasangan ini sudah diputuskan. Muat ulang halaman.")
    if session.get(DuplicateReview, (first.id, second.id)) is not None:
        raise WrongState(taken)
    review = DuplicateReview(first_id=first.id, second_id=second.id, outcome=outcome, decided_by_id=actor.id)
    session.add(review)
    try:
        session.flush()  # before any other write: the same lock order for dismiss and merge
    except IntegrityError:
        session.rollback()  # decided meanwhile by someone else
        raise WrongState(taken) from None
    return review


def dismiss(session: Session, actor: User, a: Worker, b: Worker) -> DuplicateReview:
    """Mark two workers as two people (an admin or supervisor): the pair is not listed again.
    Each worker's record gets an event naming the other by masked NIK."""
    if actor.role not in RESOLVERS:
        raise NotAllowed(N_("Hanya administrator atau pengawas yang dapat menandai bukan ganda."))
    review = _review(session, a, b, "dismissed", actor)
    pair = json.dumps({"pair": [review.first_id, review.second_id]})
    for worker, other in ((a, b), (b, a)):
        audit.record(session, action="duplicate_dismiss", user_id=actor.id, worker_id=worker.id,
                     note=f"bukan ganda dengan NIK {mask(other.nik)}", detail=pair)
    return review


def merge(session: Session, actor: User, keep: Worker, drop: Worker, version: int | None = None) -> Event:
    """Keep one of a pair and reject the other as data ganda (an admin only), through
    `transitions.reject` at the `version` of `drop` the admin saw (its current one if None)."""
    if actor.role != "admin":
        raise NotAllowed(N_("Hanya administrator yang dapat menggabungkan data ganda."))
    if (keep.birth_date, keep.sex) != (drop.birth_date, drop.sex):
        raise Invalid(N_("Tanggal lahir atau jenis kelamin berbeda: bukan pasangan kemungkinan ganda."))
    if keep.verification == "rejected":
        raise Invalid(N_("Nama yang dipertahankan sudah ditolak; pertahankan yang lain."))
    reason = session.scalar(select(RejectReason).where(RejectReason.code == "DATA_GANDA"))
    if reason is None or not reason.active:
        raise Invalid(N_("Alasan penolakan \u201cData ganda\u201d (DATA_GANDA) tidak aktif; aktifkan di Data rujukan."))
    version = drop.version if version is None else version
    if version == drop.version and drop.verification not in ("pending", "on_hold"):
        raise WrongState(N_("%(name)s berstatus %(state)s: buka kembali di antrian OPD-nya, lalu gabungkan."),
                         name=drop.full_name, state=transitions.VERIFICATION_LABELS[drop.verification])
    _review(session, keep, drop, "merged", actor)
    return transitions.reject(session, drop, actor, version, reason, note=f"ganda dengan NIK {mask(keep.nik)}")
