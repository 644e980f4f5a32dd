"""The audit trail: append-only events, each sealed with a hash chained to the one before, so a
changed, removed or inserted event shows when the chain is checked (`flask audit-verify`).

Events are numbered by `seq` from the single `audit_head` row; updating that row first serialises
event writers (a row lock on PostgreSQL, the write lock on SQLite), so the chain never forks.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timezone

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from portal.core import upsert
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
    fields["hash"] = digest(fields, prev)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=fields["hash"]))
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
    session.execute(insert(Event), rows)


def verify(session: Session, batch: int = 5000) -> tuple[int, list[str]]:
    """Walk the chain in seq order up to the head as it is now (events appended meanwhile are
    for the next check); returns (events checked, problems), each naming its seq."""
    head = session.execute(select(AuditHead.seq, AuditHead.last_hash)).first()
    end = head.seq if head else 0
    problems, prev, expected, checked = [], GENESIS, 1, 0
    columns = [getattr(Event, k) for k in SEALED] + [Event.hash]
    last_seq = 0
    while True:
        rows = session.execute(select(*columns).where(Event.seq > last_seq, Event.seq <= end)
                               .order_by(Event.seq).limit(batch)).all()
        if not rows:
            break
        for row in rows:
            fields = dict(zip(SEALED + ("hash",), row))
            if fields["seq"] != expected:
                problems.append(f"seq {expected}–{fields['seq'] - 1}: peristiwa hilang")
            if digest(fields, prev) != fields["hash"]:
                problems.append(f"seq {fields['seq']}: isi tidak cocok dengan segelnya")
            prev, expected, checked = fields["hash"], fields["seq"] + 1, checked + 1
        last_seq = rows[-1][0]
    if head is not None and (expected - 1 != end or head.last_hash != prev):
        problems.append(f"ujung rantai: tercatat seq {end}, ditemukan {expected - 1}")
    return checked, problems
