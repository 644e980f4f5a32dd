"""Several verifiers deciding the same workers at the same moment, each on its own connection:
one decision per worker wins, every other one is told who changed it, and no count is lost."""
import random
import threading

from sqlalchemy import func, select

from portal.core import tallies
from portal.core.models import Event, Worker
from portal.web.extensions import db
from tests.factories import PASSWORD

THREADS, WORKERS = 4, 25


def test_racing_decisions_lose_nothing(app, world):
    workers = [world.worker("DINSOS").id for _ in range(WORKERS)]
    reason = world.reason("TIDAK_DIKENAL").id
    users = ["dinsos", "admin", "dinsos", "admin"]
    clients = []
    for username in users:
        client = app.test_client()
        assert client.post("/masuk", data={"username": username, "password": PASSWORD}).status_code == 303
        clients.append(client)
    start = threading.Barrier(THREADS)
    results: list[list[tuple[int, int, str]]] = [[] for _ in range(THREADS)]

    def decide(n: int) -> None:
        rng = random.Random(n)
        order = workers[:]
        rng.shuffle(order)
        start.wait()
        for worker_id in order:
            action, data = rng.choice([("setujui", {}), ("tolak", {"reason": reason}), ("tunda", {"note": "cek"})])
            r = clients[n].post(f"/antrian/{worker_id}/{action}", data={"version": 1, **data},
                                headers={"HX-Request": "true"})
            results[n].append((worker_id, r.status_code, r.text))

    threads = [threading.Thread(target=decide, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    outcomes = [o for per_thread in results for o in per_thread]
    assert len(outcomes) == THREADS * WORKERS
    assert {status for _, status, _ in outcomes} <= {200, 409}, [s for _, s, t in outcomes if s not in (200, 409)]
    for worker_id in workers:
        won = [o for o in outcomes if o[0] == worker_id and o[1] == 200]
        lost = [o for o in outcomes if o[0] == worker_id and o[1] == 409]
        assert len(won) == 1 and len(lost) == THREADS - 1
        assert all("sudah diubah oleh" in text for _, _, text in lost)
    # One event and one version step per worker: no decision was silently overwritten.
    db.session.expire_all()
    per_worker = dict(db.session.execute(select(Event.worker_id, func.count()).where(
        Event.worker_id.in_(workers)).group_by(Event.worker_id)).all())
    assert per_worker == dict.fromkeys(workers, 1)
    assert set(db.session.scalars(select(Worker.version).where(Worker.id.in_(workers)))) == {2}
    assert tallies.kept(db.session) == tallies.counted(db.session)
    from portal.core import audit
    assert audit.verify(db.session)[1] == []


def test_bulk_and_single_decisions_together_never_deadlock(app, world):
    """A bulk approval of pending and on-hold names while others put names on hold and reopen
    them: every request ends in 200/303/409, never a deadlock (a 500), and no count is lost."""
    bulk_ids = [world.worker("DINSOS", verification=v).id for v in ["pending", "on_hold"] * 15]
    single_ids = [world.worker("DINSOS").id for _ in range(12)]
    clients = []
    for username in ("dinsos", "admin", "dinsos"):
        client = app.test_client()
        client.post("/masuk", data={"username": username, "password": PASSWORD})
        clients.append(client)
    start = threading.Barrier(3)
    statuses: list[int] = []

    def bulk_approver():
        start.wait()
        for chunk in range(0, len(bulk_ids), 5):
            items = ",".join(f"{i}:1" for i in bulk_ids[chunk:chunk + 5])
            statuses.append(clients[0].post("/antrian/massal", data={"items": items}).status_code)

    def holder(n):
        start.wait()
        for worker_id in single_ids[n - 1::2]:
            statuses.append(clients[n].post(f"/antrian/{worker_id}/tunda",
                                            data={"version": 1, "note": "cek"}).status_code)
            statuses.append(clients[n].post(f"/antrian/{worker_id}/buka", data={"version": 2}).status_code)

    threads = [threading.Thread(target=bulk_approver), threading.Thread(target=holder, args=(1,)),
               threading.Thread(target=holder, args=(2,))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(statuses) == 6 + 2 * len(single_ids)
    assert set(statuses) <= {303}, statuses
    db.session.expire_all()
    assert set(db.session.scalars(select(Worker.verification).where(Worker.id.in_(bulk_ids)))) == {"approved"}
    assert tallies.kept(db.session) == tallies.counted(db.session)
