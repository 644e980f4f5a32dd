"""The audit trail: append-only events, each sealed with a hash chained to the one before, so a
changed, removed or inserted event shows when the chain is checked (`flask audit-verify`).

Events are numbered by `seq` from the single `audit_head` row; updating that row first serialises
event writers (a row lock on PostgreSQL, the write lock on SQLite), so the chain never forks.
Each committed head is also anchored outside the database (portal.core.anchor), so a cut tail,
a wipe or a resealed chain shows against it.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import datetime, timezone
from typing import NamedTuple

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from portal.core import anchor, upsert
from portal.core.models import AuditHead, Event, utcnow

GENESIS = "0" * 64
_key = {"value": b""}


def set_key(key: str) -> None:
    """The secret the seals are keyed with (AUDIT_KEY). Kept outside the database, so someone
    who can write to the database cannot forge a consistent chain after editing an event."""
    _key["value"] = key.encode()
SEALED = ("seq", "worker_id", "user_id", "action", "from_state", "to_state", "reason_code", "note",
          "detail", "ip", "created_at")


def _canonical_time(value: datetime) -> str:
    # SQLite hands back naive datetimes; they were written in UTC.
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds")


def digest(fields: dict, prev_hash: str) -> str:
    """The seal of one event: HMAC-SHA-256 over the previous seal and the event's own fields."""
    body = {k: fields.get(k) for k in SEALED}
    body["created_at"] = _canonical_time(fields["created_at"])
    data = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(_key["value"], (prev_hash + data).encode(), hashlib.sha256).hexdigest()


def _advance(session: Session, n: int) -> tuple[int, str]:
    """Reserve `n` sequence numbers; returns the last used seq and its hash. Locks the head
    (created with the first event, even when two first events race)."""
    stmt = upsert.insert(session, AuditHead).values(id=1, seq=n, last_hash=GENESIS)
    session.execute(stmt.on_conflict_do_update(index_elements=[AuditHead.id],
                                               set_={"seq": AuditHead.seq + n}))
    seq, last = session.execute(select(AuditHead.seq, AuditHead.last_hash).where(AuditHead.id == 1)).one()
    return seq - n, last


def record(session: Session, *, action: str, user_id: int | None, worker_id: int | None = None,
           from_state: str | None = None, to_state: str | None = None, reason_code: str | None = None,
           note: str = "", detail: str = "", created_at: datetime | None = None) -> Event:
    """Append one sealed event in the caller's transaction. The client address comes from
    `session.info["ip"]`, which the web layer sets per request."""
    fields = dict(action=action, user_id=user_id, worker_id=worker_id, from_state=from_state,
                  to_state=to_state, reason_code=reason_code, note=note, detail=detail,
                  ip=session.info.get("ip"), created_at=created_at or utcnow())
    seq, prev = _advance(session, 1)
    fields["seq"] = seq + 1
    fields["hash"] = seal = digest(fields, prev)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=seal))
    anchor.pending(session, seq + 1, seal)
    event = Event(**fields)
    session.add(event)
    return event


def record_many(session: Session, rows: list[dict]) -> None:
    """Append many events at once (bulk loads); rows are Event column dicts in order."""
    if not rows:
        return
    seq, prev = _advance(session, len(rows))
    for row in rows:
        seq += 1
        row.setdefault("ip", session.info.get("ip"))
        row["seq"] = seq
        row["hash"] = prev = digest(row, prev)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=prev))
    anchor.pending(session, seq, prev)
    session.execute(insert(Event), rows)


class Verdict(NamedTuple):
    """What `verify` found: events checked, problems (each a finding), notes (worth knowing, not
    a finding)."""
    checked: int
    problems: list[str]
    notes: list[str]


def verify(session: Session, batch: int = 5000, watch: Callable[[dict], None] | None = None,
           against_anchor: bool = True) -> Verdict:
    """Walk the chain in seq order up to the head as it is now (events appended meanwhile are
    for the next check), each anchored seal compared on the way, then the head against the
    anchor; problems name their seq. `watch` sees every event's sealed fields, in order.
    `against_anchor=False` checks the chain alone: a backup being restored ends before the
    live anchor does."""
    # Read before the head: a commit meanwhile can only put the database ahead.
    anchored = anchor.read() if against_anchor else None
    head = session.execute(select(AuditHead.seq, AuditHead.last_hash)).first()
    problems, prev, expected, checked = [], GENESIS, 1, 0
    columns = [getattr(Event, k) for k in SEALED] + [Event.hash]
    sealed = anchored.heads if anchored else {}
    last_seq = 0
    while True:
        stmt = select(*columns).where(Event.seq > last_seq)
        if head is not None:
            stmt = stmt.where(Event.seq <= head.seq)
        rows = session.execute(stmt.order_by(Event.seq).limit(batch)).all()
        if not rows:
            break
        for row in rows:
            fields = dict(zip(SEALED + ("hash",), row))
            if fields["seq"] != expected:
                problems.append(f"seq {expected}–{fields['seq'] - 1}: peristiwa hilang")
            if digest(fields, prev) != fields["hash"]:
                problems.append(f"seq {fields['seq']}: isi tidak cocok dengan segelnya")
            if sealed.get(fields["seq"], fields["hash"]) != fields["hash"]:
                problems.append(f"seq {fields['seq']}: segel berbeda dengan yang tercatat di jangkar "
                                "(rantai ditulis ulang)")
            if watch is not None:
                watch(fields)
            prev, expected, checked = fields["hash"], fields["seq"] + 1, checked + 1
        last_seq = rows[-1][0]
    if head is None and checked:
        problems.append(f"kepala rantai (audit_head) hilang, padahal ada {checked} peristiwa")
    end = head.seq if head is not None else expected - 1
    if head is not None and (expected - 1 != end or head.last_hash != prev):
        problems.append(f"ujung rantai: tercatat seq {end}, ditemukan {expected - 1}")
    notes: list[str] = []
    if against_anchor:
        _against_anchor(anchored, end, checked, problems, notes)
    return Verdict(checked, problems, notes)


def _against_anchor(anchored: anchor.Anchored | None, end: int, checked: int,
                    problems: list[str], notes: list[str]) -> None:
    """The database's head `end` against the newest anchored one."""
    if anchored is None:
        if end or checked:
            problems.append(f"jangkar tidak ada: berkas {anchor.path()} tidak ada atau kosong, padahal rantai "
                            f"berakhir di seq {end}; ujung rantai tidak dapat dibuktikan utuh")
        return
    top = anchored.top[0] if anchored.top else 0
    if anchored.reset:
        notes.append(f"jangkar direset (pemulihan): {anchored.reset}")
    if anchored.unreadable:
        notes.append(f"{anchored.unreadable} baris jangkar tidak terbaca")
    if top > end and not checked:
        problems.append(f"rantai dihapus seluruhnya: jangkar mencatat ujung seq {top}, basis data tidak "
                        f"memuat satu peristiwa pun ({top} peristiwa hilang)")
    elif top > end:
        problems.append(f"ekor dipotong: jangkar mencatat ujung seq {top}, rantai di basis data berakhir di "
                        f"seq {end}; {top - end} peristiwa terakhir hilang ({_span(end + 1, top)})")
    elif top < end:
        notes.append(f"{end - top} peristiwa terbaru ({_span(top + 1, end)}) belum tercatat di jangkar: wajar "
                     "bila portal sedang menulis atau berhenti tepat sesudah commit; baris jangkar berikutnya "
                     "menyusul")


def _span(first: int, last: int) -> str:
    return f"seq {first}" if first == last else f"seq {first}–{last}"
