"""`backup` and `restore`: a restore brings back exactly the data at backup time, and refuses
(leaving the live data alone) without --yes or with a file that is not a backup."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from portal.backup import backup_command, restore_command
from portal.core import audit
from portal.core.models import Event, Worker
from portal.queue.transitions import approve
from portal.web.extensions import db
from tests.factories import PASSWORD


def _snapshot():
    db.session.expire_all()
    rows = set(db.session.execute(select(Worker.nik, Worker.verification, Worker.version)).all())
    return rows, db.session.scalar(select(func.count()).select_from(Event))


def _change(world):
    """Approve the first pending worker and add another one."""
    worker = db.session.scalars(select(Worker).where(Worker.verification == "pending")).first()
    approve(db.session, worker, world.users["dinsos"], worker.version)
    db.session.commit()
    world.worker()


@pytest.fixture
def backed_up(runner, world, tmp_path):
    """Two workers (one approved) backed up to a file; returns (path, snapshot at backup time)."""
    world.worker()
    world.worker()
    _change(world)
    out = tmp_path / "portal.backup"
    result = runner.invoke(backup_command, [str(out)])
    assert result.exit_code == 0, result.output
    assert f"Cadangan ditulis ke {out} (" in result.output
    return out, _snapshot()


def test_restore_brings_back_the_data_at_backup_time(runner, world, backed_up):
    out, at_backup = backed_up
    _change(world)
    assert _snapshot() != at_backup

    result = runner.invoke(restore_command, [str(out), "--yes"])
    assert result.exit_code == 0, result.output
    assert "dipulihkan" in result.output
    db.session.remove()
    rows, events = _snapshot()
    assert (rows, events) == (at_backup[0], at_backup[1] + 1)  # plus the restore's own event
    last = db.session.scalars(select(Event).order_by(Event.seq.desc())).first()
    assert last.action == "db_restore" and json.loads(last.detail)["replaced_head"]["seq"] > at_backup[1]
    assert audit.verify(db.session)[1] == []

    # The portal keeps working on the restored data.
    worker = db.session.scalars(select(Worker).where(Worker.verification == "pending")).first()
    approve(db.session, worker, db.session.merge(world.users["dinsos"], load=True), worker.version)
    db.session.commit()
    assert _snapshot()[1] == at_backup[1] + 2


def test_restore_ends_every_session(runner, world, backed_up, app):
    out, _ = backed_up
    client = app.test_client()
    client.post("/masuk", data={"username": "dinsos", "password": PASSWORD})
    assert client.get("/antrian/").status_code == 200
    assert runner.invoke(restore_command, [str(out), "--yes"]).exit_code == 0
    assert client.get("/antrian/").status_code == 302


def test_restore_without_yes_refuses_and_changes_nothing(runner, world, backed_up):
    out, _ = backed_up
    _change(world)
    changed = _snapshot()

    result = runner.invoke(restore_command, [str(out)])
    assert result.exit_code == 1
    assert "mengganti SELURUH data" in result.output and "--yes" in result.output
    assert _snapshot() == changed


def test_backup_refuses_to_overwrite_without_force(runner, backed_up):
    out, _ = backed_up
    out.write_text("jangan ditimpa")

    result = runner.invoke(backup_command, [str(out)])
    assert result.exit_code == 1
    assert "--force" in result.output
    assert out.read_text() == "jangan ditimpa"

    result = runner.invoke(backup_command, [str(out), "--force"])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() != b"jangan ditimpa"


@pytest.mark.parametrize("content, message", [("bukan basis data\n" * 100, "bukan"),
                                              (None, "tidak ada")])
def test_restore_of_a_non_backup_fails_and_leaves_data_intact(runner, world, tmp_path, content, message):
    world.worker()
    _change(world)
    before = _snapshot()
    source = tmp_path / "catatan.txt"
    if content is not None:
        source.write_text(content)

    result = runner.invoke(restore_command, [str(source), "--yes"])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # a ClickException, not a traceback
    assert message in result.output and "catatan.txt" in result.output
    db.session.remove()
    assert _snapshot() == before
