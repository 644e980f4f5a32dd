"""What the audit trail says the data is, against what the database holds.

`Replay` watches the chain walk (`audit.verify(..., watch=...)`) and keeps, per worker, what its
events say: verification and reason and decision note from the last decision, enrolment (and
KPJ) from the last enrolment event, fields from the last correction, OPD from the last claim that
moved it, and the row version (1 at creation, one more per state-changing event). `workers`
then reads the workers once in id order and names every difference: a change written straight
into the database, with no event, shows here. `tallies` compares the kept tallies with a recount.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.core import tallies as kept_tallies
from portal.core.models import OPD, Category, RejectReason, Worker
from portal.core.states import ALLOWED_FROM, ENROLMENT, VERIFICATION

DECISIONS = tuple(ALLOWED_FROM)  # approve, reject, hold, reopen
CORRECTED = {"full_name": "nama", "address": "alamat", "desa_code": "desa", "kecamatan_code": "kecamatan",
             "phone": "telepon"}


@dataclass(slots=True)
class Said:
    """One worker as its events describe it (the defaults: as imported)."""
    verification: str = "pending"
    reason: str | None = None
    note: str = ""
    enrolment: str = "not_enrolled"
    kpj: str | None = None
    opd: str | None = None  # known only once a claim moved the worker
    changes: int = 0
    fields: dict[str, str | None] = field(default_factory=dict)


class Replay:
    """Called with each event in seq order (the sealed fields); keeps what they say per worker."""

    def __init__(self) -> None:
        self.said: dict[int, Said] = {}

    def __call__(self, e: dict) -> None:
        to = e["to_state"]
        if e["worker_id"] is None or to is None:  # views, logins, claims opened: no change to the row
            return
        s = self.said.get(e["worker_id"])
        if s is None:
            s = self.said[e["worker_id"]] = Said()
        s.changes += 1
        action = e["action"]
        if action in DECISIONS and to in VERIFICATION:
            s.verification, s.reason, s.note = to, e["reason_code"], e["note"]
        elif to in ENROLMENT:
            s.enrolment = to
            if action == "enrol":
                s.kpj = e["note"].removeprefix("KPJ ")
        elif action == "correct":
            s.fields.update({k: new for k, (_old, new) in json.loads(e["detail"]).items()})
        elif action == "claim_resolve":
            s.opd = json.loads(e["detail"])["to"]


def workers(session: Session, replay: Replay, batch: int = 5000) -> tuple[int, list[str]]:
    """Every worker against what its events say, in one ordered pass (keyset pages by id);
    returns (workers checked, problems), each naming the worker by id."""
    reasons = dict(session.execute(select(RejectReason.id, RejectReason.code)).all())
    opds = dict(session.execute(select(OPD.id, OPD.code)).all())
    columns = (Worker.id, Worker.verification, Worker.reject_reason_id, Worker.decision_note, Worker.enrolment,
               Worker.kpj, Worker.opd_id, Worker.version, *(getattr(Worker, k) for k in CORRECTED))
    problems: list[str] = []
    seen, last = 0, 0
    while True:
        rows = session.execute(select(*columns).where(Worker.id > last).order_by(Worker.id).limit(batch)).all()
        if not rows:
            break
        for row in rows:
            s = replay.said.pop(row.id, None) or Said()
            found = [("status verifikasi", row.verification, s.verification),
                     ("alasan penolakan", reasons.get(row.reject_reason_id), s.reason),
                     ("catatan keputusan", row.decision_note, s.note),
                     ("status kepesertaan", row.enrolment, s.enrolment),
                     ("versi baris", row.version, 1 + s.changes)]
            if s.kpj is not None:
                found.append(("KPJ", row.kpj, s.kpj))
            if s.opd is not None:
                found.append(("OPD", opds.get(row.opd_id), s.opd))
            found += [(CORRECTED[k], getattr(row, k), v) for k, v in s.fields.items() if k in CORRECTED]
            problems += [f"pekerja #{row.id}: {what} {db!r} di basis data, menurut peristiwanya {said!r} "
                         "(diubah tanpa peristiwa)" for what, db, said in found if db != said]
        seen += len(rows)
        last = rows[-1].id
    problems += [f"pekerja #{wid}: {s.changes} peristiwa mengubahnya, tetapi barisnya tidak ada (dihapus)"
                 for wid, s in sorted(replay.said.items())]
    return seen, problems


def tallies(session: Session) -> tuple[int, list[str]]:
    """The kept tallies against a fresh count of the workers; returns (cells compared, problems),
    each naming its cell."""
    kept, counted = kept_tallies.kept(session), kept_tallies.counted(session)
    opds = dict(session.execute(select(OPD.id, OPD.code)).all())
    categories = dict(session.execute(select(Category.id, Category.name)).all())
    problems = []
    for c in sorted(set(kept) | set(counted)):
        if kept.get(c, 0) != counted.get(c, 0):
            where = (f"OPD {opds.get(c.opd_id, c.opd_id)}, kategori {categories.get(c.category_id, c.category_id)}, "
                     f"kecamatan {c.kecamatan_code}, {c.verification}/{c.enrolment}"
                     + (f", alasan #{c.reason_id}" if c.reason_id else ""))
            problems.append(f"hitungan ({where}): tersimpan {kept.get(c, 0)}, dihitung ulang dari data pekerja "
                            f"{counted.get(c, 0)}")
    return len(set(kept) | set(counted)), problems
