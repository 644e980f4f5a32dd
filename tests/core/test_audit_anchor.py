"""The trail cannot lose its tail: each committed head is anchored outside the database, and
`audit-verify` names a cut tail, a wipe, a resealed chain and a worker or tally changed with no
event. Someone with full database access does the tampering here (guards dropped)."""
import os
import socket
import stat

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from portal.core import anchor, audit, tallies
from portal.core.models import AuditHead, Event, Worker
from portal.queue import transitions as t
from portal.web.extensions import db
from tests.tamper import without_guard


def _verify(runner) -> tuple[int, list[str]]:
    result = runner.invoke(args=["audit-verify"])
    return result.exit_code, result.output.splitlines()


def _login(world, who: str = "supervisor") -> None:
    audit.record(db.session, action="login", user_id=world.users[who].id)
    db.session.commit()


def _lines() -> list[str]:
    with open(anchor.path(), encoding="utf-8") as f:
        return f.read().splitlines()


def _ids(world) -> tuple[int, int]:
    a, b = db.session.scalars(select(Worker.id).order_by(Worker.id)).all()
    return a, b


def test_audit_verify_passes_an_intact_trail(trail, runner):
    code, out = _verify(runner)
    assert code == 0, out
    assert out == [f"Rantai audit utuh: 4 peristiwa diperiksa, ujungnya dibandingkan dengan jangkar {anchor.path()}.",
                   "Data sesuai peristiwanya: 2 pekerja dan 2 sel hitungan diperiksa."]


def test_the_anchor_file_is_private_and_only_grows(trail, world):
    assert stat.S_IMODE(os.stat(anchor.path()).st_mode) == 0o600
    _login(world)
    _login(world)
    heads = [line.split()[1:] for line in _lines()]
    seals = dict(db.session.execute(select(Event.seq, Event.hash)).all())
    assert heads == [["head", str(seq), seals[seq]] for seq in (4, 5, 6)]  # one line per commit


def test_a_rolled_back_head_is_never_anchored(trail, world):
    before = _lines()
    audit.record(db.session, action="login", user_id=world.users["admin"].id)
    db.session.rollback()
    audit.record(db.session, action="login", user_id=world.users["admin"].id)
    db.session.close()  # ended without a commit
    db.session.commit()
    assert _lines() == before


def test_audit_verify_names_a_cut_tail(trail, world, runner):
    _login(world)
    _login(world)  # seq 5 and 6, each anchored as it commits
    without_guard("DELETE FROM event WHERE seq > 4",
                  "UPDATE audit_head SET seq = 4, last_hash = (SELECT hash FROM event WHERE seq = 4)")
    db.session.expire_all()
    cut = "ekor dipotong: jangkar mencatat ujung seq 6, rantai di basis data berakhir di seq 4; " \
          "2 peristiwa terakhir hilang (seq 5–6)"
    # The chain left in the database is whole: only the anchor knows what it ended with.
    assert audit.verify(db.session).problems == [cut]
    code, out = _verify(runner)
    assert code == 1 and out == [f"MASALAH: {cut}", "Audit gagal: 1 temuan."]


def test_audit_verify_names_a_full_wipe(trail, runner):
    a, b = _ids(trail)
    wipe = "TRUNCATE event" if db.engine.dialect.name == "postgresql" else "DELETE FROM event"
    without_guard(wipe, "DELETE FROM audit_head")
    db.session.expire_all()
    code, out = _verify(runner)
    assert code == 1
    assert out[0] == ("MASALAH: rantai dihapus seluruhnya: jangkar mencatat ujung seq 4, basis data tidak memuat "
                      "satu peristiwa pun (4 peristiwa hilang)")
    # The workers still carry the decisions the wiped events recorded.
    assert f"MASALAH: pekerja #{a}: status verifikasi 'approved' di basis data, menurut peristiwanya 'pending' " \
           "(diubah tanpa peristiwa)" in out
    assert f"MASALAH: pekerja #{b}: versi baris 3 di basis data, menurut peristiwanya 1 (diubah tanpa peristiwa)" in out
    assert not any("utuh" in line for line in out)


def test_audit_verify_names_a_direct_state_change(trail, runner):
    a, b = _ids(trail)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE worker SET verification = 'approved' WHERE id = :b"), {"b": b})
    db.session.expire_all()
    code, out = _verify(runner)
    assert code == 1
    assert out[0] == (f"MASALAH: pekerja #{b}: status verifikasi 'approved' di basis data, menurut peristiwanya "
                      "'pending' (diubah tanpa peristiwa)")
    tally = [line for line in out if "hitungan (" in line]
    assert len(tally) == 2 and any("pending/not_enrolled): tersimpan 1, dihitung ulang dari data pekerja 0" in line
                                   for line in tally), out
    assert out[-1] == "Audit gagal: 3 temuan."

    # A careful intruder recounts the tallies too: the worker still disagrees with its events.
    tallies.rebuild(db.session)
    db.session.commit()
    code, out = _verify(runner)
    assert code == 1 and out == [out[0], "Audit gagal: 1 temuan."]


def test_audit_verify_names_a_name_changed_after_its_correction(trail, world, runner):
    a, _b = _ids(trail)
    worker = db.session.get(Worker, a)
    t.correct(db.session, worker, world.users["dinsos"], worker.version, {"full_name": "Siti Aminah"})
    db.session.commit()
    assert _verify(runner)[0] == 0
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE worker SET full_name = 'Orang Lain' WHERE id = :a"), {"a": a})
    code, out = _verify(runner)
    assert code == 1 and out[0] == (f"MASALAH: pekerja #{a}: nama 'Orang Lain' di basis data, menurut peristiwanya "
                                    "'Siti Aminah' (diubah tanpa peristiwa)")


def test_audit_verify_names_a_tally_changed_directly(trail, runner):
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE tally SET n = n + 5 WHERE verification = 'approved'"))
    code, out = _verify(runner)
    assert code == 1 and len(out) == 2
    assert out[0].startswith("MASALAH: hitungan (OPD DINSOS, kategori ")
    assert out[0].endswith("approved/not_enrolled): tersimpan 6, dihitung ulang dari data pekerja 1")


def test_audit_verify_names_a_chain_resealed_with_the_key(trail, runner):
    """Someone holding AUDIT_KEY rewrites an event and reseals every later one and the head: the
    chain is consistent, but the anchored head is not the one it ends with now."""
    rows = [dict(r._mapping) for r in db.session.execute(
        select(*(getattr(Event, k) for k in audit.SEALED)).order_by(Event.seq))]
    rows[1]["note"] = "dipalsukan"
    prev = db.session.scalar(select(Event.hash).where(Event.seq == 1))
    db.session.rollback()
    statements, params = [], {}
    for row in rows[1:]:
        prev = audit.digest(row, prev)
        statements.append(f"UPDATE event SET note = :n{row['seq']}, hash = :h{row['seq']} WHERE seq = {row['seq']}")
        params |= {f"n{row['seq']}": row["note"], f"h{row['seq']}": prev}
    without_guard(*statements, "UPDATE audit_head SET last_hash = :last", last=prev, **params)
    db.session.expire_all()
    code, out = _verify(runner)
    assert code == 1 and out == ["MASALAH: seq 4: segel berbeda dengan yang tercatat di jangkar (rantai ditulis ulang)",
                                 "Audit gagal: 1 temuan."]


def test_a_missing_anchor_is_a_finding(trail, runner):
    os.remove(anchor.path())
    code, out = _verify(runner)
    assert code == 1 and out[0] == (f"MASALAH: jangkar tidak ada: berkas {anchor.path()} tidak ada atau kosong, "
                                    "padahal rantai berakhir di seq 4; ujung rantai tidak dapat dibuktikan utuh")


def test_a_crash_between_commit_and_anchor_is_a_note_not_a_cut(trail, world, runner, monkeypatch, tmp_path, caplog):
    with monkeypatch.context() as m:  # the anchor cannot be written, as if the process died first
        m.setitem(anchor._config, "path", str(tmp_path / "gone" / "audit-anchor.log"))
        _login(world)
    assert "audit anchor not written" in caplog.text
    code, out = _verify(runner)
    assert code == 0, out
    assert out[0] == ("CATATAN: 1 peristiwa terbaru (seq 5) belum tercatat di jangkar: wajar bila portal sedang "
                      "menulis atau berhenti tepat sesudah commit; baris jangkar berikutnya menyusul")
    _login(world)  # the next commit's line closes the gap
    code, out = _verify(runner)
    assert code == 0 and out[0].startswith("Rantai audit utuh: 6 peristiwa diperiksa") and len(out) == 2


def test_a_reset_marker_lets_a_restore_through(trail, world, runner):
    """A restore replaces the data with an older copy (here: the trail as it was at seq 4) and
    says so in the anchor; the shorter chain is then no cut, and the anchor binds again."""
    _login(world)
    _login(world)
    replaced = tuple(db.session.execute(select(AuditHead.seq, AuditHead.last_hash)).one())
    without_guard("DELETE FROM event WHERE seq > 4",
                  "UPDATE audit_head SET seq = 4, last_hash = (SELECT hash FROM event WHERE seq = 4)")
    db.session.expire_all()
    assert _verify(runner)[0] == 1  # before the marker: a cut
    restored = tuple(db.session.execute(select(AuditHead.seq, AuditHead.last_hash)).one())
    db.session.rollback()
    anchor.note_reset(restored, "restore portal.backup", replaced)
    assert _lines()[-1].split()[1:] == ["reset", "4", restored[1], "replaced", "6", replaced[1], "restore",
                                        "portal.backup"]
    code, out = _verify(runner)
    assert code == 0 and out[0].startswith("CATATAN: jangkar direset (pemulihan): ") and "replaced 6" in out[0]
    _login(world)  # seq 5 again, a new event on the restored chain
    _login(world)
    without_guard("DELETE FROM event WHERE seq = 6", "UPDATE audit_head SET seq = 5, "
                  "last_hash = (SELECT hash FROM event WHERE seq = 5)")
    code, out = _verify(runner)
    assert code == 1 and "MASALAH: ekor dipotong: jangkar mencatat ujung seq 6, rantai di basis data berakhir di " \
                         "seq 5; 1 peristiwa terakhir hilang (seq 6)" in out


def test_heads_go_to_syslog_when_configured(make_app, tmp_path):
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(5)
    try:
        app = make_app(AUDIT_ANCHOR_SYSLOG=f"127.0.0.1:{listener.getsockname()[1]}")
        with app.app_context():
            event = audit.record(db.session, action="login", user_id=None)
            db.session.commit()
            message = listener.recv(4096).decode()
            assert message.endswith(f"portal audit head 1 {event.hash}\x00")
    finally:
        listener.close()


def test_truncate_of_events_is_refused_on_postgresql(trail):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE; its DELETE is refused by event_no_delete")
    for statement, says in (("TRUNCATE event", "append-only"), ("TRUNCATE worker CASCADE", "append-only"),
                            ("TRUNCATE audit_head", "only moves forward")):
        with pytest.raises(DatabaseError, match=says), db.engine.begin() as conn:
            conn.execute(text(statement))
    assert audit.verify(db.session)[:2] == (4, [])


@pytest.mark.parametrize("statement", ["UPDATE audit_head SET seq = 2", "DELETE FROM audit_head"])
def test_the_head_only_moves_forward(trail, statement):
    with pytest.raises(DatabaseError, match="only moves forward"), db.engine.begin() as conn:
        conn.execute(text(statement))
    assert audit.verify(db.session)[:2] == (4, [])
