"""Likely duplicates: one person listed twice with different NIKs. Candidates share birth date and
sex (blocking, so pairs are compared only inside a block) and have a similar normalised name
(rapidfuzz, portal.core.names). An admin merges a pair (the dropped one is rejected as data
ganda through `portal.queue.transitions.reject`) or an admin/supervisor dismisses it.
Functions raise TransitionErrors; the caller commits or rolls back.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import groupby

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from portal.core import N_, audit, names
from portal.core.errors import Invalid, NotAllowed, WrongState
from portal.core.models import DuplicateReview, Event, RejectReason, User, Worker
from portal.core.privacy import mask
from portal.core.roles import ADMINS, RESOLVERS
from portal.core.states import ALLOWED_FROM, VERIFICATION_LABELS
from portal.queue import transitions

THRESHOLD = names.THRESHOLD


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
    if actor.role not in ADMINS:
        raise NotAllowed(N_("Hanya administrator yang dapat menggabungkan data ganda."))
    if (keep.birth_date, keep.sex) != (drop.birth_date, drop.sex):
        raise Invalid(N_("Tanggal lahir atau jenis kelamin berbeda: bukan pasangan kemungkinan ganda."))
    if keep.verification == "rejected":
        raise Invalid(N_("Nama yang dipertahankan sudah ditolak; pertahankan yang lain."))
    reason = session.scalar(select(RejectReason).where(RejectReason.code == "DATA_GANDA"))
    if reason is None or not reason.active:
        raise Invalid(N_("Alasan penolakan \u201cData ganda\u201d (DATA_GANDA) tidak aktif; aktifkan di Data rujukan."))
    version = drop.version if version is None else version
    if version == drop.version and drop.verification not in ALLOWED_FROM["reject"]:
        raise WrongState(N_("%(name)s berstatus %(state)s: buka kembali di antrian OPD-nya, lalu gabungkan."),
                         name=drop.full_name, state=VERIFICATION_LABELS[drop.verification])
    _review(session, keep, drop, "merged", actor)
    return transitions.reject(session, drop, actor, version, reason, note=f"ganda dengan NIK {mask(keep.nik)}")
