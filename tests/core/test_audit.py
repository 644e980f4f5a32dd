"""The audit trail: every change sealed in a chain that shows tampering; the database refuses
updates and deletes of events."""
import json

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from portal.core import audit
from portal.core.models import AuditHead, Event
from portal.web.extensions import db
from tests.tamper import without_guard as _without_guard


def test_chain_is_whole(trail, runner):
    checked, problems, _notes = audit.verify(db.session)
    assert (checked, problems) == (4, [])
    events = db.session.scalars(select(Event).order_by(Event.seq)).all()
    assert [e.seq for e in events] == [1, 2, 3, 4]
    assert all(e.ip == "10.1.2.3" and len(e.hash) == 64 for e in events)
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 0 and "4 peristiwa" in result.output


@pytest.mark.parametrize("tamper, says", [
    ("UPDATE event SET note = 'diubah' WHERE seq = 2", "seq 2: isi tidak cocok"),
    ("DELETE FROM event WHERE seq = 2", "peristiwa hilang"),
    ("UPDATE event SET user_id = NULL WHERE seq = 1", "seq 1: isi tidak cocok"),
])
def test_tampering_is_detected(trail, runner, tamper, says):
    _without_guard(tamper)
    db.session.expire_all()
    problems = audit.verify(db.session).problems
    assert any(says in p for p in problems), problems
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 1 and says in result.output


def test_removing_the_newest_event_is_detected(trail):
    _without_guard("DELETE FROM event WHERE seq = 4")
    db.session.expire_all()
    assert any("ujung rantai" in p for p in audit.verify(db.session)[1])


@pytest.mark.parametrize("statement", ["UPDATE event SET note = 'x'", "DELETE FROM event"])
def test_database_refuses_changes_to_events(trail, statement):
    with pytest.raises(DatabaseError, match="append-only"):
        with db.engine.begin() as conn:
            conn.execute(text(statement))
    assert audit.verify(db.session)[:2] == (4, [])


def test_bulk_events_chain_too(runner, app):
    runner.invoke(args=["demo", "--size", "60"])
    checked, problems, _notes = audit.verify(db.session)
    assert checked > 20 and problems == []
    assert db.session.get(AuditHead, 1).seq == checked
    result = runner.invoke(args=["audit-verify"])  # the demo's workers are what its events say
    assert result.exit_code == 0 and "60 pekerja" in result.output, result.output


def test_logins_and_failures_are_events(client, auth, world):
    auth.login("dinsos", "salah")
    auth.login("tidakada", "salah")
    auth.login("dinsos")
    auth.logout()
    rows = db.session.execute(select(Event.action, Event.user_id, Event.detail).order_by(Event.seq)).all()
    dinsos = world.users["dinsos"].id
    assert [(a, u) for a, u, _ in rows] == [("login_failed", dinsos), ("login_failed", None),
                                            ("login", dinsos), ("logout", dinsos)]
    assert json.loads(rows[1].detail) == {"username": "tidakada"}
    assert rows[0].detail and "salah" not in rows[0].detail  # the password typed is never stored


def test_rewriting_the_chain_without_the_key_is_detected(trail):
    """Someone with database access edits an event and reseals every later one and the head,
    but without AUDIT_KEY their seals do not match."""
    import hashlib
    _without_guard("UPDATE event SET note = 'dipalsukan' WHERE seq = 2")
    rows = db.session.execute(select(*(getattr(Event, k) for k in audit.SEALED)).order_by(Event.seq)).all()
    prev = db.session.scalar(select(Event.hash).where(Event.seq == 1))
    db.session.rollback()  # end the read: dropping the trigger needs the table to itself
    for row in rows[1:]:
        fields = dict(zip(audit.SEALED, row))
        body = {k: fields[k] for k in audit.SEALED}
        body["created_at"] = audit._canonical_time(body["created_at"])
        data = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        prev = hashlib.sha256((prev + data).encode()).hexdigest()  # a forger's best guess
        _without_guard("UPDATE event SET hash = :h WHERE seq = :s", h=prev, s=fields["seq"])
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_head SET last_hash = :h"), {"h": prev})
    db.session.expire_all()
    problems = audit.verify(db.session)[1]
    assert any("seq 2: isi tidak cocok" in p for p in problems)
