"""The kept tallies always equal a fresh GROUP BY over workers."""
import random

from sqlalchemy import update

from portal.core import tallies
from portal.core.models import Tally, Worker
from portal.queue import transitions as t
from portal.web.extensions import db


def test_hundreds_of_random_transitions_keep_tallies_exact(world):
    rng = random.Random(7)
    workers = [world.worker(opd) for opd in ("DINSOS", "KESRA") for _ in range(15)]
    actors = {"DINSOS": world.users["dinsos"], "KESRA": world.users["kesra"], "any": world.users["admin"]}
    applied = refused = 0
    for _ in range(400):
        worker = rng.choice(workers)
        actor = actors[rng.choice([worker.opd.code, "any"])]
        action = rng.choice(["approve", "reject", "hold", "reopen"])
        try:
            if action == "approve":
                t.approve(db.session, worker, actor, worker.version)
            elif action == "reject":
                t.reject(db.session, worker, actor, worker.version, world.reason("TIDAK_DIKENAL"))
            elif action == "hold":
                t.hold(db.session, worker, actor, worker.version, "cek")
            else:
                t.reopen(db.session, worker, actor, worker.version)
            db.session.commit()
            applied += 1
        except t.WrongState:
            db.session.rollback()
            refused += 1
    assert applied > 150 and refused > 50  # both paths were exercised
    assert tallies.kept(db.session) == tallies.counted(db.session)
    total, rows = tallies.county(db.session)
    assert total.received == 30 and sum(f.received for _, f in rows) == 30


def test_the_invariant_check_notices_a_drift(world):
    """The comparison above is not vacuous: a count changed behind the tallies' back shows."""
    worker = world.worker()
    db.session.execute(update(Worker).where(Worker.id == worker.id).values(verification="approved"))
    assert tallies.kept(db.session) != tallies.counted(db.session)
    tallies.rebuild(db.session)
    assert tallies.kept(db.session) == tallies.counted(db.session)


def test_opposite_moves_touch_cells_in_one_order(world, monkeypatch):
    """approve and reopen update the same two cells in the same order: no deadlock cycle."""
    worker = world.worker()
    seen, real = [], tallies._add
    monkeypatch.setattr(tallies, "_add", lambda s, cell, d: seen.append(cell) or real(s, cell, d))
    t.approve(db.session, worker, world.users["dinsos"], 1)
    t.reopen(db.session, worker, world.users["dinsos"], 2)
    assert len(seen) == 4 and seen[:2] == seen[2:] == sorted(seen[:2])


def test_rows_start_empty_for_new_opd(world):
    total, rows = tallies.county(db.session)
    assert total.received == 0 and len(rows) == len(world.opd)
    assert db.session.query(Tally).count() == 0
