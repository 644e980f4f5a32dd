"""NIKs on screen (UU PDP): masked by default, every full reveal audited, and a data subject's
report of everything held about one NIK."""
import csv
import io

import pytest
from sqlalchemy import select

from portal.core import privacy
from portal.core.models import Event
from portal.web.extensions import db
from tests.conftest import HTMX


def test_mask():
    assert privacy.mask("1609011203850002") == "1609\u2022\u2022\u2022\u2022\u2022\u2022\u2022\u20220002"
    assert privacy.mask("123") == "\u2022\u2022\u2022"


@pytest.mark.parametrize("role, opd, allowed", [
    ("admin", None, True), ("bpjs", None, True), ("supervisor", None, False),
    ("verifier", "DINSOS", True), ("verifier", "KESRA", False),
])
def test_who_may_see_a_full_nik(world, role, opd, allowed):
    from portal.core.models import User
    w = world.worker("DINSOS")
    user = User(username="u", role=role, opd_id=world.opd[opd].id if opd else None)
    assert privacy.may_see_full(user, w) is allowed


def test_queue_shows_masked_nik_and_reveal_is_audited(client, auth, world):
    w = world.worker(full_name="Siti Aminah")
    auth.login("dinsos")
    page = client.get("/antrian/").text
    assert w.nik not in page and privacy.mask(w.nik) in page
    r = client.post(f"/antrian/{w.id}/nik", headers=HTMX)
    assert r.status_code == 200 and r.text.strip() == f'<span class="nik">{w.nik}</span>'
    event = db.session.scalar(select(Event).where(Event.action == "nik_view"))
    assert (event.worker_id, event.user_id, event.note) == (w.id, world.users["dinsos"].id, "antrian")
    r = client.post(f"/antrian/{w.id}/nik")  # without JavaScript: a small page with it
    assert r.status_code == 200 and "<!doctype html>" in r.text.lower() and w.nik in r.text
    assert client.get(f"/antrian/{w.id}/nik").status_code == 405  # a link cannot log a view


def test_search_by_nik_does_not_print_it(client, auth, world):
    w = world.worker()
    auth.login("dinsos")
    page = client.get(f"/antrian/?q={w.nik[:10]}", headers=HTMX).text
    assert privacy.mask(w.nik) in page and w.nik not in page


def test_subject_report_lists_everything_touching_the_record(client, auth, world):
    w = world.worker(full_name="Siti Aminah")
    auth.login("dinsos")
    client.post(f"/antrian/{w.id}/setujui", data={"version": 1})
    client.post(f"/antrian/{w.id}/nik", headers=HTMX)
    client.post(f"/antrian/{w.id}/perbaiki", data={"version": 2, "full_name": "Siti Aminah Lubis",
                                                  "desa_code": w.desa_code or "", "phone": ""})
    auth.logout()
    auth.login("admin")
    page = client.post("/admin/subjek", data={"nik": w.nik})
    assert page.status_code == 200 and w.nik in page.text and "Siti Aminah Lubis" in page.text
    for words in ("menyetujui", "melihat NIK lengkap", "memperbaiki data", "“Siti Aminah” → “Siti Aminah Lubis”"):
        assert words in page.text
    r = client.post("/admin/subjek.csv", data={"nik": w.nik})
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(r.text)))
    assert ["data", "NIK", w.nik, "", ""] in rows and ["data", "kecamatan", w.kecamatan.name, "", ""] in rows
    assert ["data", "verifikasi", "Disetujui", "", ""] in rows
    assert [row[2] for row in rows if row[0] == "peristiwa"][:3] == [
        "menyetujui → Disetujui", "melihat NIK lengkap", "memperbaiki data"]
    assert w.nik not in client.get("/admin/subjek").text  # the NIK never travels in a URL
    actions = db.session.scalars(select(Event.action).where(Event.worker_id == w.id).order_by(Event.seq)).all()
    assert actions[-2:] == ["subject_report", "subject_export"]  # producing the report is audited


def test_subject_report_for_unknown_nik(client, auth, world):
    auth.login("admin")
    r = client.post("/admin/subjek", data={"nik": "1609011203850099"})
    assert r.status_code == 404 and "Tidak ada data" in r.text
    assert client.get("/admin/subjek").status_code == 200


def test_subject_csv_cannot_carry_a_formula(client, auth, world):
    w = world.worker(full_name="=HYPERLINK(\"http://x\")")
    auth.login("admin")
    rows = list(csv.reader(io.StringIO(client.post("/admin/subjek.csv", data={"nik": w.nik}).text)))
    assert ["data", "nama", "'=HYPERLINK(\"http://x\")", "", ""] in rows
