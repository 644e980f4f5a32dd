"""Each verification transition, and each way it is refused."""
import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.core import tallies
from portal.core.models import Event, User, Worker
from portal.queue import transitions as t
from portal.web.extensions import db

STATES = ("pending", "approved", "rejected", "on_hold")
ALLOWED_FROM = {
    "approve": {"pending", "on_hold"},
    "reject": {"pending", "on_hold"},
    "hold": {"pending"},
    "reopen": {"approved", "rejected", "on_hold"},
}
RESULT = {"approve": "approved", "reject": "rejected", "hold": "on_hold", "reopen": "pending"}


def run(action, world, worker, actor, version=None):
    version = worker.version if version is None else version
    s = db.session
    if action == "approve":
        return t.approve(s, worker, actor, version)
    if action == "reject":
        return t.reject(s, worker, actor, version, world.reason("MENINGGAL"), "")
    if action == "hold":
        return t.hold(s, worker, actor, version, "menunggu surat desa")
    return t.reopen(s, worker, actor, version)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", list(ALLOWED_FROM))
def test_state_machine(world, action, state):
    worker = world.worker(verification=state)
    actor = world.users["dinsos"]
    if state in ALLOWED_FROM[action]:
        event = run(action, world, worker, actor)
        db.session.commit()
        assert worker.verification == RESULT[action] and worker.version == 2
        assert (event.action, event.from_state, event.to_state, event.user_id) == \
               (action, state, RESULT[action], actor.id)
        assert tallies.kept(db.session) == tallies.counted(db.session)
    else:
        with pytest.raises(t.WrongState) as error:
            run(action, world, worker, actor)
        assert error.value.status == 409
        db.session.rollback()
        assert db.session.get(Worker, worker.id).verification == state
        assert db.session.scalar(select(func.count()).select_from(Event)) == 0


@pytest.mark.parametrize("role", ["supervisor", "bpjs"])
@pytest.mark.parametrize("action", list(ALLOWED_FROM))
def test_roles_that_do_not_decide_are_refused(world, role, action):
    worker = world.worker(verification="pending" if action != "reopen" else "approved")
    with pytest.raises(t.NotAllowed):
        run(action, world, worker, world.users[role])


@pytest.mark.parametrize("action", list(ALLOWED_FROM))
def test_another_opds_worker_does_not_exist_for_a_verifier(world, action):
    worker = world.worker("KESRA", verification="pending" if action != "reopen" else "approved")
    with pytest.raises(t.NotFound):
        run(action, world, worker, world.users["dinsos"])


def test_admin_decides_for_any_opd(world):
    worker = world.worker("KESRA")
    t.approve(db.session, worker, world.users["admin"], worker.version)
    db.session.commit()
    assert worker.verification == "approved"


def test_stale_version_names_who_changed_it_and_to_what(world):
    worker = world.worker()
    t.approve(db.session, worker, world.users["admin"], 1)
    db.session.commit()
    with pytest.raises(t.Stale) as error:
        t.reject(db.session, worker, world.users["dinsos"], 1, world.reason("MENINGGAL"))
    assert error.value.params["who"] == "admin"
    assert error.value.params["state"] == "Disetujui"
    assert error.value.params["action"] == "menyetujui"
    assert error.value.status == 409


def test_concurrent_write_is_caught_at_flush(world):
    """Both copies saw version 1; the loser's UPDATE finds the row moved on and is refused."""
    worker = world.worker()
    assert worker.version == 1  # loaded in this session before the other one writes
    with Session(db.engine) as winner:
        t.approve(winner, winner.get(Worker, worker.id), winner.get(User, world.users["admin"].id), 1)
        winner.commit()
    with pytest.raises(t.Stale) as error:
        t.hold(db.session, worker, world.users["dinsos"], 1, "cek")
    assert error.value.params["who"] == "admin"
    db.session.rollback()
    assert db.session.get(Worker, worker.id).verification == "approved"
    assert tallies.kept(db.session) == tallies.counted(db.session)


def test_reject_needs_a_reason(world):
    worker = world.worker()
    with pytest.raises(t.Invalid, match="alasan"):
        t.reject(db.session, worker, world.users["dinsos"], 1, None)


def test_lainnya_needs_a_note(world):
    worker = world.worker()
    with pytest.raises(t.Invalid, match="catatan"):
        t.reject(db.session, worker, world.users["dinsos"], 1, world.reason("LAINNYA"), "  ")
    t.reject(db.session, worker, world.users["dinsos"], 1, world.reason("LAINNYA"), "sudah pensiun")
    db.session.commit()
    assert worker.reject_reason.code == "LAINNYA" and worker.decision_note == "sudah pensiun"


def test_retired_reason_is_refused(world):
    worker = world.worker()
    reason = world.reason("PINDAH")
    reason.active = False
    with pytest.raises(t.Invalid):
        t.reject(db.session, worker, world.users["dinsos"], 1, reason)


def test_hold_needs_a_note_and_notes_have_a_limit(world):
    worker = world.worker()
    with pytest.raises(t.Invalid):
        t.hold(db.session, worker, world.users["dinsos"], 1, "")
    with pytest.raises(t.Invalid, match="terlalu panjang"):
        t.hold(db.session, worker, world.users["dinsos"], 1, "x" * 501)


def test_reopen_clears_the_reason_but_the_history_keeps_it(world):
    worker = world.worker()
    t.reject(db.session, worker, world.users["dinsos"], 1, world.reason("DATA_GANDA"))
    t.reopen(db.session, worker, world.users["dinsos"], 2)
    db.session.commit()
    assert worker.verification == "pending" and worker.reject_reason is None
    codes = db.session.scalars(select(Event.reason_code).order_by(Event.id)).all()
    assert codes == ["DATA_GANDA", None]


def test_correct_keeps_old_and_new_values(world):
    worker = world.worker(full_name="Siti Aminah", phone="0811")
    event = t.correct(db.session, worker, world.users["dinsos"], 1,
                      {"full_name": "Siti Aminah Lubis", "phone": "0811"})
    db.session.commit()
    assert worker.full_name == "Siti Aminah Lubis" and worker.version == 2
    assert json.loads(event.detail) == {"full_name": ["Siti Aminah", "Siti Aminah Lubis"]}
    assert event.from_state == event.to_state == "pending"


def test_correct_moves_kecamatan_with_desa(world):
    worker = world.worker()
    desa = db.session.execute(select(type(worker.desa)).where(
        type(worker.desa).kecamatan_code != worker.kecamatan_code)).scalars().first()
    t.correct(db.session, worker, world.users["dinsos"], 1, {"desa_code": desa.code})
    db.session.commit()
    assert worker.kecamatan_code == desa.kecamatan_code


@pytest.mark.parametrize("changes, fragment", [
    ({"full_name": " "}, "Nama"),
    ({"nik": "1609010101010001"}, "tidak dapat diperbaiki"),
    ({"desa_code": "9999999999"}, "tidak dikenal"),
    ({"phone": ""}, "Tidak ada yang berubah"),
])
def test_correct_refuses(world, changes, fragment):
    worker = world.worker()
    with pytest.raises(t.Invalid, match=fragment):
        t.correct(db.session, worker, world.users["dinsos"], 1, changes)


def test_correct_is_refused_to_other_opd_and_stale_versions(world):
    worker = world.worker("KESRA")
    with pytest.raises(t.NotFound):
        t.correct(db.session, worker, world.users["dinsos"], 1, {"phone": "0812"})
    with pytest.raises(t.Stale):
        t.correct(db.session, worker, world.users["kesra"], 7, {"phone": "0812"})


def test_event_and_change_share_one_transaction(world):
    worker = world.worker()
    t.approve(db.session, worker, world.users["dinsos"], 1)
    db.session.rollback()
    assert db.session.get(Worker, worker.id).verification == "pending"
    assert db.session.scalar(select(func.count()).select_from(Event)) == 0
    assert tallies.kept(db.session) == tallies.counted(db.session)


def test_approve_many_is_all_or_nothing(world):
    a, b = world.worker(), world.worker(verification="rejected")
    with pytest.raises(t.WrongState) as error:
        t.approve_many(db.session, [(a, 1), (b, 1)], world.users["dinsos"])
    assert error.value.params["name"] == b.full_name
    db.session.rollback()
    assert db.session.get(Worker, a.id).verification == "pending"
