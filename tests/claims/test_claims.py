"""Cross-OPD claims (/klaim): the pages as each role uses them."""
import json
import re

import pytest
from sqlalchemy import select

from portal.core import tallies
from portal.core.models import Claim, Event, Worker
from portal.web.extensions import db
from tests.conftest import HTMX
from tests.factories import PASSWORD, World


def claim(world, worker: Worker, claimant: str, **row) -> Claim:
    # the keys portal.intake.staging stores: the columns as typed, the row number and the file
    row = {"name": worker.full_name, "nik": worker.nik, "desa": "Pulau Beringin", "row": 7,
           "file_name": "kesra.xlsx", **row}
    made = Claim(worker=worker, claimant_opd_id=world.opd[claimant].id, submitted=json.dumps(row))
    db.session.add(made)
    db.session.commit()
    return made


def events(action: str) -> list[Event]:
    return db.session.scalars(select(Event).where(Event.action == action).order_by(Event.seq)).all()


def tallies_hold() -> bool:
    return tallies.kept(db.session) == tallies.counted(db.session)


# ---- claims --------------------------------------------------------------------------------

@pytest.fixture
def claims(world):
    """Dinsos holds a worker Kesra also listed; Damkar holds one BPBD also listed."""
    kesra_claim = claim(world, world.worker("DINSOS", full_name="Rohman Marbot"), "KESRA",
                        name="H. Rohman", desa="Tanjung Baru", address="Dusun 2", sex_p="", sex_l="v")
    other = claim(world, world.worker("DAMKAR", full_name="Darto Relawan"), "BPBD")
    return kesra_claim, other


@pytest.mark.parametrize("role, sees_other, decides", [
    ("admin", True, True), ("supervisor", True, True), ("dinsos", False, False), ("kesra", False, False)])
def test_claims_listed_per_role(client, auth, claims, role, sees_other, decides):
    auth.login(role)
    page = client.get("/klaim")
    assert page.status_code == 200 and "Rohman Marbot" in page.text
    assert "H. Rohman" in page.text and "Tanjung Baru" in page.text  # the row as the claimant typed it
    assert "<dt>Jenis kelamin</dt><dd>L</dd>" in page.text and "kesra.xlsx" not in page.text
    assert claims[0].worker.nik not in page.text
    assert ("Darto Relawan" in page.text) is sees_other
    assert ("/putuskan" in page.text) is decides
    assert ("hanya dibaca" in page.text) is (not decides)
    assert "antrian OPD pemilik tetap berjalan" in page.text


def test_claims_page_fragment_and_bpjs(client, auth, claims):
    auth.login("bpjs")
    assert client.get("/klaim").status_code == 403
    auth.logout()
    auth.login("supervisor")
    r = client.get("/klaim", headers=HTMX)
    assert r.text.lstrip().startswith('<div id="klaim">') and "<!doctype" not in r.text.lower()


def test_keep_the_current_owner(client, auth, world, claims):
    c = claims[0]
    auth.login("supervisor")
    r = client.post(f"/klaim/{c.id}/putuskan", data={"owner": "current", "version": c.worker.version})
    assert r.status_code == 303 and r.headers["Location"] == "/klaim"
    db.session.refresh(c)
    assert (c.status, c.worker.opd.code, c.resolved_by_id) == ("kept", "DINSOS", world.users["supervisor"].id)
    (event,) = events("claim_resolve")
    assert json.loads(event.detail)["to"] == "DINSOS" and event.worker_id == c.worker_id
    assert tallies_hold()


def test_move_to_the_claimant(client, auth, world, claims):
    c = claims[0]
    before = tallies.for_opd(db.session, world.opd["KESRA"].id).received
    auth.login("admin")
    r = client.post(f"/klaim/{c.id}/putuskan", data={"owner": "claimant", "version": 1}, headers=HTMX)
    assert r.status_code == 200 and r.text.lstrip().startswith('<div id="klaim">')
    assert "diputuskan" in r.text
    worker = db.session.get(Worker, c.worker_id)
    assert (worker.opd.code, worker.version, db.session.get(Claim, c.id).status) == ("KESRA", 2, "moved")
    assert tallies.for_opd(db.session, world.opd["KESRA"].id).received == before + 1
    assert tallies_hold()
    (event,) = events("claim_resolve")
    assert json.loads(event.detail)["from"] == "DINSOS" and json.loads(event.detail)["to"] == "KESRA"
    assert event.user_id == world.users["admin"].id


def test_owner_decides_meanwhile_and_a_stale_resolution_is_refused(client, auth, world, claims):
    c = claims[0]
    auth.login("kesra")  # the claimant cannot decide a name it does not hold
    assert client.post(f"/antrian/{c.worker_id}/setujui", data={"version": 1}).status_code == 404
    auth.logout()
    auth.login("dinsos")
    assert client.post(f"/antrian/{c.worker_id}/setujui", data={"version": 1}).status_code == 303
    assert client.post(f"/klaim/{c.id}/putuskan", data={"owner": "claimant", "version": 1}).status_code == 403
    auth.logout()
    auth.login("admin")
    r = client.post(f"/klaim/{c.id}/putuskan", data={"owner": "claimant", "version": 1})
    assert r.status_code == 409 and "dinsos" in r.text
    assert db.session.get(Claim, c.id).status == "open" and db.session.get(Worker, c.worker_id).opd.code == "DINSOS"


def test_a_claim_is_decided_once(client, auth, claims):
    c = claims[0]
    auth.login("admin")
    assert client.post(f"/klaim/{c.id}/putuskan", data={"owner": "current", "version": 1}).status_code == 303
    r = client.post(f"/klaim/{c.id}/putuskan", data={"owner": "claimant", "version": 1})
    assert r.status_code == 409 and "sudah diputuskan oleh admin" in r.text
    assert db.session.get(Claim, c.id).status == "kept" and len(events("claim_resolve")) == 1


def test_resolve_refuses_bad_input(client, auth, claims):
    c = claims[0]
    auth.login("supervisor")
    r = client.post(f"/klaim/{c.id}/putuskan", data={"owner": "kesra", "version": 1})
    assert r.status_code == 422 and "Pilihan pemilik tidak sah" in r.text
    assert client.post(f"/klaim/{c.id}/putuskan", data={"owner": "current"}).status_code == 422
    assert client.post("/klaim/999999/putuskan", data={"owner": "current", "version": 1}).status_code == 404
    assert db.session.get(Claim, c.id).status == "open"


def test_stale_message_after_a_move_names_the_move(client, auth, claims):
    c = claims[0]
    auth.login("admin")
    client.post(f"/klaim/{c.id}/putuskan", data={"owner": "claimant", "version": 1})
    r = client.post(f"/antrian/{c.worker_id}/setujui", data={"version": 1})
    assert r.status_code == 409 and "admin" in r.text


def test_resolve_needs_a_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        world = World(db.session)
        c = claim(world, world.worker("DINSOS"), "KESRA")
        admin = app.test_client()
        admin.post("/masuk", data={"username": "admin", "password": PASSWORD, "csrf_token": csrf_from(admin.get("/masuk").text)})
        assert admin.post(f"/klaim/{c.id}/putuskan", data={"owner": "current", "version": 1}).status_code == 400
        assert db.session.get(Claim, c.id).status == "open"
        token = csrf_from(admin.get("/klaim").text)
        r = admin.post(f"/klaim/{c.id}/putuskan", data={"owner": "current", "version": 1, "csrf_token": token})
        assert r.status_code == 303 and db.session.get(Claim, c.id).status == "kept"


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)
