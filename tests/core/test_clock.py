"""One clock: every "today" is the regency's (WIB), never the server's UTC date. Frozen at
23:30 UTC on 9 June 2026, when it is already 06:30 on 10 June in OKU Selatan."""
import re
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from portal.core import clock, nik
from portal.core.models import Event, Snapshot
from portal.county import history
from portal.intake import staging
from portal.web.extensions import db
from tests.forms import form

FROZEN = datetime(2026, 6, 9, 23, 30, tzinfo=timezone.utc)
WIB_DAY = date(2026, 6, 10)  # the day in OKU Selatan; the server's UTC date is still the 9th


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: FROZEN)


def test_today_is_the_regencys_day(frozen):
    assert FROZEN.date() == date(2026, 6, 9)
    assert clock.today() == WIB_DAY
    assert clock.local_day(datetime(2026, 6, 9, 16, 59)) == date(2026, 6, 9)  # naive means UTC
    assert clock.local_day(datetime(2026, 6, 9, 17, 0)) == WIB_DAY
    assert clock.day_start(WIB_DAY) == datetime(2026, 6, 9, 17, 0, tzinfo=timezone.utc)


def test_the_nik_check_dates_a_two_digit_year_by_the_regencys_today(frozen):
    # Born 10 June '26: today in WIB that is 2026 (not after today); by the UTC date it would be 1926.
    value = nik.compose("160901", WIB_DAY, "P", 1)
    assert nik.parse(value).birth_date == WIB_DAY
    assert nik.parse(value, today=FROZEN.date()).birth_date == date(1926, 6, 10)


def test_the_import_checks_nik_against_the_regencys_today(frozen, world):
    value = nik.compose("160901", WIB_DAY, "P", 1)
    content = f"NIK,Nama,Kecamatan\n{value},Siti Aminah,Muara Dua\n".encode()
    result = staging.preview(db.session, world.opd["DINSOS"], "daftar.csv", content)
    [row] = result.rows
    assert row.worker and row.worker["birth_date"] == WIB_DAY


def test_the_bpjs_desk_offers_the_regencys_today(frozen, client, auth, world):
    auth.login("bpjs")
    world.worker(verification="approved")
    assert f'value="{WIB_DAY.isoformat()}"' in client.get("/bpjs/").text


def test_the_budget_scenario_starts_on_the_regencys_today(frozen, client, auth, world):
    auth.login("supervisor")
    page = client.get("/kabupaten/fiskal").text
    [field] = re.findall(r'<input[^>]*name="mulai"[^>]*>', page)
    assert 'value="2026-06-10"' in field


def test_a_snapshot_is_taken_for_the_regencys_day(frozen, world):
    history.take(db.session)
    db.session.commit()
    assert set(db.session.scalars(select(Snapshot.day))) == {WIB_DAY}


def test_the_berita_acara_is_dated_the_regencys_today(frozen, client, auth, world):
    auth.login("kesra")
    page = client.get("/berita-acara/KESRA").text
    assert "Pada hari ini, Rabu tanggal 10 Juni 2026" in page


@pytest.mark.parametrize("user, path", [("dinsos", "/antrian/unduh.xlsx"), ("bpjs", "/ekspor/bpjs.xlsx"),
                                        ("supervisor", "/ekspor/kabupaten.csv")])
def test_downloads_are_named_by_the_regencys_day(frozen, client, auth, world, user, path):
    auth.login(user)
    response = client.get(path)
    assert response.status_code == 200
    named = response.headers["Content-Disposition"]
    assert "20260610" in named and "20260609" not in named


def test_records_take_their_time_from_the_same_clock(frozen, client, auth, world):
    worker = world.worker(verification="pending")
    auth.login("dinsos")
    action = f"/antrian/{worker.id}/setujui"
    assert client.post(action, data=form(client.get("/antrian/").text, action)).status_code == 303
    event = db.session.scalars(select(Event).where(Event.worker_id == worker.id, Event.action == "approve")).one()
    assert event.created_at.replace(tzinfo=timezone.utc) == FROZEN
