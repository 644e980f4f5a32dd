"""The BPJS desk: enrolment transitions, their refusals, flags, and the desk pages."""
import json
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from portal.bpjs import enrolment
from portal.core import clock, tallies
from portal.core.models import Event, Worker
from portal.county import history
from portal.queue import transitions as t
from portal.web.extensions import db
from tests.conftest import HTMX
from tests.forms import form, wib_today

TODAY = wib_today()


def enrol(world, worker, kpj="26000000001", on=TODAY, actor="bpjs"):
    return enrolment.enrol(db.session, worker, world.users[actor], worker.version, kpj, on, TODAY)


def test_enrol_an_approved_worker(world):
    w = world.worker(verification="approved")
    event = enrol(world, w)
    db.session.commit()
    assert (w.enrolment, w.kpj, w.enrolled_on, w.version) == ("enrolled", "26000000001", TODAY, 2)
    assert (event.action, event.from_state, event.to_state) == ("enrol", "not_enrolled", "enrolled")
    assert tallies.kept(db.session) == tallies.counted(db.session)


@pytest.mark.parametrize("state", ["pending", "rejected", "on_hold"])
def test_only_approved_workers_can_be_enrolled(world, state):
    w = world.worker(verification=state)
    with pytest.raises(t.WrongState, match="sudah disetujui OPD"):
        enrol(world, w)


@pytest.mark.parametrize("kpj, on, says", [
    ("2600000000", TODAY, "tepat 11 digit; yang tertulis 10 digit"), ("2600000000a", TODAY, "hanya berisi angka"),
    ("", TODAY, "11 digit"),
    ("26000000001", TODAY + timedelta(days=1), "masa depan"), ("26000000001", date(2010, 1, 1), "sebelum 2014"),
])
def test_enrol_refusals(world, kpj, on, says):
    w = world.worker(verification="approved")
    with pytest.raises(t.Invalid) as refused:
        enrol(world, w, kpj=kpj, on=on)
    assert says in refused.value.message % refused.value.params


def test_kpj_belongs_to_one_worker(world):
    a, b = world.worker(verification="approved"), world.worker(verification="approved")
    enrol(world, a)
    db.session.commit()
    with pytest.raises(t.Invalid, match="sudah tercatat"):
        enrol(world, b)


@pytest.mark.parametrize("role", ["supervisor", "dinsos"])
def test_only_bpjs_and_admin_enrol(world, role):
    w = world.worker(verification="approved")
    with pytest.raises(t.NotAllowed):
        enrol(world, w, actor=role)
    enrol(world, w, actor="admin")


def test_lapse_and_restore(world):
    w = world.worker(verification="approved")
    enrol(world, w)
    enrolment.lapse(db.session, w, world.users["bpjs"], 2, "iuran berhenti Maret")
    enrolment.restore(db.session, w, world.users["bpjs"], 3)
    db.session.commit()
    assert w.enrolment == "enrolled" and w.version == 4
    actions = db.session.scalars(select(Event.action).order_by(Event.seq)).all()
    assert actions == ["enrol", "lapse", "restore"]
    with pytest.raises(t.WrongState):
        enrolment.restore(db.session, w, world.users["bpjs"], 4)
    with pytest.raises(t.Stale):
        enrolment.lapse(db.session, w, world.users["bpjs"], 1)


def test_withdrawn_approval_is_flagged_not_changed(world):
    w = world.worker(verification="approved")
    enrol(world, w)
    t.reopen(db.session, w, world.users["dinsos"], 2)
    t.reject(db.session, w, world.users["dinsos"], 3, world.reason("MENINGGAL"))
    db.session.commit()
    assert (w.verification, w.enrolment) == ("rejected", "enrolled")  # nothing changed silently
    assert tallies.desk_counts(db.session)["flagged"] == 1
    enrolment.lapse(db.session, w, world.users["bpjs"], 4)  # the liaison settles the flag
    db.session.commit()
    assert tallies.desk_counts(db.session)["flagged"] == 0
    with pytest.raises(t.WrongState, match="masih disetujui"):  # and cannot undo it while rejected
        enrolment.restore(db.session, w, world.users["bpjs"], 5)


@pytest.fixture
def desk(auth, world):
    auth.login("bpjs")
    return world


def test_desk_lists_ready_names_with_filters(client, desk):
    desk.worker("DINSOS", verification="approved", full_name="Siap Dinsos")
    desk.worker("KESRA", verification="approved", full_name="Siap Kesra")
    desk.worker("DINSOS", full_name="Belum Disetujui")
    page = client.get("/bpjs/")
    assert page.status_code == 200 and "<!doctype html>" in page.text.lower()
    assert "Siap Dinsos" in page.text and "Siap Kesra" in page.text and "Belum Disetujui" not in page.text
    fragment = client.get("/bpjs/?opd=kesra", headers=HTMX)
    assert fragment.text.lstrip().startswith('<div id="results">')
    assert "Siap Kesra" in fragment.text and "Siap Dinsos" not in fragment.text
    assert "<dt>Siap didaftarkan</dt><dd>2</dd>" in page.text


def test_enrol_through_the_desk_moves_the_county_figures(client, desk, app):
    w = desk.worker(verification="approved")
    r = client.post(f"/bpjs/{w.id}/daftar", data={"version": 1, "kpj": "26000000009",
                                                 "enrolled_on": TODAY.isoformat()}, headers=HTMX)
    assert r.status_code == 200 and r.text.lstrip().startswith(f'<tr id="w-{w.id}"')
    assert "KPJ 26000000009" in r.text and 'id="counts"' in r.text and 'hx-swap-oob="true"' in r.text
    assert db.session.get(Worker, w.id).enrolment == "enrolled"
    supervisor = app.test_client()
    supervisor.post("/masuk", data={"username": "supervisor", "password": "rahasia-uji-123"})
    county = supervisor.get("/kabupaten/").text
    assert re.search(r"<dt>Terdaftar dan disetujui</dt>\s*<dd><a [^>]*>1</a></dd>", county)
    assert "<dt>Terdaftar dan disetujui</dt><dd>1</dd>" in r.text  # the desk says it in the same words


def test_enrolling_a_pending_worker_is_refused_with_a_message(client, desk):
    w = desk.worker()
    r = client.post(f"/bpjs/{w.id}/daftar", data={"version": 1, "kpj": "26000000009",
                                                 "enrolled_on": TODAY.isoformat()}, headers=HTMX)
    assert r.status_code == 409 and "sudah disetujui OPD" in r.text
    r = client.post(f"/bpjs/{w.id}/daftar", data={"version": 1, "kpj": "26000000009",
                                                 "enrolled_on": TODAY.isoformat()})
    assert r.status_code == 409 and "<!doctype html>" in r.text.lower() and "sudah disetujui OPD" in r.text


@pytest.mark.parametrize("data, says", [
    ({"kpj": "123", "enrolled_on": TODAY.isoformat()}, "11 digit"),
    ({"kpj": "26000000009", "enrolled_on": "kemarin"}, "tttt-bb-hh"),
    ({"kpj": "", "enrolled_on": TODAY.isoformat()}, "Isi nomor KPJ"),
])
def test_enrol_form_refusals(client, desk, data, says):
    w = desk.worker(verification="approved")
    r = client.post(f"/bpjs/{w.id}/daftar", data={"version": 1, **data}, headers=HTMX)
    assert r.status_code == 422 and says in r.text
    assert db.session.get(Worker, w.id).enrolment == "not_enrolled"


def test_flagged_tab_and_settling_it(client, desk):
    w = desk.worker(verification="rejected", enrolment="enrolled", full_name="Dicabut")
    page = client.get("/bpjs/?tab=flagged")
    assert "Dicabut" in page.text and "<dt>Perlu tindak lanjut BPJS</dt><dd>1</dd>" in page.text
    r = client.post(f"/bpjs/{w.id}/nonaktif", data=form(page.text, f"/bpjs/{w.id}/nonaktif"))
    assert r.status_code == 303 and r.headers["Location"] == "/bpjs/?tab=flagged"
    assert f'id="w-{w.id}"' not in client.get("/bpjs/?tab=flagged").text


def test_reveal_nik_on_the_desk_is_audited(client, desk):
    w = desk.worker(verification="approved")
    assert w.nik not in client.get("/bpjs/").text
    r = client.post(f"/bpjs/{w.id}/nik", headers=HTMX)
    assert w.nik in r.text
    assert db.session.scalar(select(Event.note).where(Event.action == "nik_view")) == "meja BPJS"


def test_enrolment_shows_in_the_workers_history(client, auth, world):
    w = world.worker(verification="approved")
    enrol(world, w)
    db.session.commit()
    auth.login("dinsos")
    page = client.get(f"/antrian/{w.id}")
    assert page.status_code == 200 and "mencatat terdaftar BPJS → Terdaftar" in page.text


def test_the_desk_counts_days_in_wib_not_server_time(client, desk, monkeypatch):
    """Between 00:00 and 07:00 WIB the server's UTC date is still yesterday: today's enrolment
    date must be accepted and offered as the default."""
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 6, 9, 23, 30, tzinfo=timezone.utc))
    wib_today = date(2026, 6, 10)
    w = desk.worker(verification="approved")
    assert f'value="{wib_today.isoformat()}"' in client.get("/bpjs/").text
    r = client.post(f"/bpjs/{w.id}/daftar", data={"version": 1, "kpj": "26000000009",
                                                 "enrolled_on": wib_today.isoformat()}, headers=HTMX)
    assert r.status_code == 200 and db.session.get(Worker, w.id).enrolled_on == wib_today


def test_a_refused_kpj_keeps_what_was_typed_and_says_why(client, desk):
    w = desk.worker(verification="approved", full_name="Salah Ketik")
    page = client.get("/bpjs/").text
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    for headers in (HTMX, {}):
        sent = form(page, f"/bpjs/{w.id}/daftar", kpj="2600000001", enrolled_on=yesterday)
        r = client.post(f"/bpjs/{w.id}/daftar", data=sent, headers=headers)
        assert r.status_code == 422 and "tepat 11 digit; yang tertulis 10 digit" in r.text
        again = form(r.text, f"/bpjs/{w.id}/daftar")
        assert (again["kpj"], again["enrolled_on"]) == ("2600000001", yesterday)
    assert "Salah Ketik: Nomor KPJ" in r.text  # without htmx the message names the worker
    assert db.session.get(Worker, w.id).enrolment == "not_enrolled"


def test_lapse_asks_for_its_date_and_confirmation_and_the_history_counts_from_it(client, desk):
    w = desk.worker(verification="approved", enrolment="enrolled", kpj="26000000005",
                    enrolled_on=TODAY - timedelta(days=30))
    page = client.get("/bpjs/?tab=enrolled").text
    row = re.search(rf'<tr id="w-{w.id}".*?</tr>', page, re.S).group(0)
    assert 'hx-confirm="Catat ' in row and 'name="lapsed_on"' in row
    action = f"/bpjs/{w.id}/nonaktif"
    for day, says in (((TODAY + timedelta(days=1)).isoformat(), "masa depan"),
                      ((TODAY - timedelta(days=31)).isoformat(), "sebelum kepesertaan ini aktif"),
                      ("", "Isi tanggal iuran berhenti")):
        r = client.post(action, data=form(page, action, lapsed_on=day), headers=HTMX)
        assert r.status_code == 422 and says in r.text, day
    stopped = TODAY - timedelta(days=10)
    r = client.post(action, data=form(page, action, lapsed_on=stopped.isoformat()), headers=HTMX)
    assert r.status_code == 200 and db.session.get(Worker, w.id).enrolment == "inactive"
    event = db.session.scalars(select(Event).where(Event.action == "lapse")).one()
    assert json.loads(event.detail) == {"lapsed_on": stopped.isoformat()}
    states = history.states_at(db.session, stopped - timedelta(days=1))
    assert states[w.id] == ("approved", "enrolled") and history.states_at(db.session, stopped)[w.id][1] == "inactive"


def test_the_lapse_forms_earliest_day_is_the_one_the_rule_accepts(client, desk):
    w = desk.worker(verification="approved", enrolment="enrolled", kpj="26000000006",
                    enrolled_on=TODAY - timedelta(days=40))
    enrolment.lapse(db.session, w, desk.users["bpjs"], w.version, on=TODAY - timedelta(days=20), today=TODAY)
    enrolment.restore(db.session, w, desk.users["bpjs"], w.version)
    db.session.commit()
    page = client.get("/bpjs/?tab=enrolled").text
    assert f'name="lapsed_on" type="date" value="{TODAY.isoformat()}" min="{TODAY.isoformat()}"' in page
