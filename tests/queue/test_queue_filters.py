"""The queue as a clerk used to a spreadsheet works it: filters by kecamatan, desa, category and
"no phone number", combined with search and status and kept in the URL; sortable columns; optional
columns; the bulk approval and the exports take the same filter."""
import json
import re

from sqlalchemy import select

from portal.core import export_trail, tallies
from portal.core.models import Category, Desa, Event, Kecamatan, Worker
from portal.web.extensions import db
from tests.forms import form


def names_in(html: str) -> list[str]:
    return re.findall(r'<a href="/antrian/\d+" title="[^"]*">([^<]+)</a>', html)


def scene(world):
    """Six Dinsos names in two kecamatan, two categories, some without a phone."""
    k1, k2 = db.session.scalars(select(Kecamatan).order_by(Kecamatan.code).limit(2)).all()
    d2 = db.session.scalars(select(Desa).where(Desa.kecamatan_code == k2.code).order_by(Desa.code)).first()
    c1, c2 = db.session.scalars(select(Category).order_by(Category.id).limit(2)).all()
    made = {}
    for name, kec, cat, phone in (("Ani", k1, c1, "0811"), ("budi", k1, c2, ""), ("Hj. Cici", k2, c1, "0812"),
                                  ("Dedi", k2, c2, ""), ("Euis", k2, c1, "0813"), ("Fajar", k1, c1, "0814")):
        w = world.worker("DINSOS", full_name=name, category=cat, phone=phone)
        w.kecamatan_code, w.desa_code = kec.code, d2.code if kec is k2 else w.desa_code
        made[name] = w
    db.session.commit()
    tallies.rebuild(db.session)
    db.session.commit()
    return made, k1, k2, d2, c1, c2


def test_filters_combine_and_stay_in_the_url(client, auth, world):
    made, k1, k2, d2, c1, c2 = scene(world)
    auth.login("dinsos")
    page = client.get("/antrian/").text
    sent = form(page, "/antrian/", kec=k2.code, kat=str(c1.id))
    r = client.get("/antrian/", query_string=sent)
    assert names_in(r.text) == ["Hj. Cici", "Euis"]  # "Hj." does not decide the order
    assert f'value="{k2.code}" selected' in r.text and "dari <span id=\"count-total\">2</span>" in r.text
    assert names_in(client.get("/antrian/?tanpa_hp=1").text) == ["budi", "Dedi"]
    assert names_in(client.get(f"/antrian/?desa={d2.code}&q=de").text) == ["Dedi"]
    assert names_in(client.get(f"/antrian/?kec={k1.code}&desa={d2.code}").text) == ["Ani", "budi", "Fajar"]  # a desa
    # of another kecamatan is dropped, not an error; junk never is one either
    assert client.get("/antrian/?kec=x&kat=';--&urut=evil&hal=-3").status_code == 200
    # a decision keeps the filter: the row's form carries it, and without JavaScript the queue comes back filtered
    page = client.get(f"/antrian/?kec={k2.code}&tanpa_hp=1").text
    dedi = made["Dedi"]
    r = client.post(f"/antrian/{dedi.id}/setujui", data=form(page, f"/antrian/{dedi.id}/setujui"))
    assert r.status_code == 303 and f"kec={k2.code}" in r.headers["Location"] and "tanpa_hp=1" in r.headers["Location"]


def test_sorting_and_optional_columns(client, auth, world):
    made, *_ = scene(world)
    auth.login("dinsos")
    assert names_in(client.get("/antrian/").text) == ["Ani", "budi", "Hj. Cici", "Dedi", "Euis", "Fajar"]
    assert names_in(client.get("/antrian/?urut=name&turun=1").text) == ["Fajar", "Euis", "Dedi", "Hj. Cici", "budi", "Ani"]
    page = client.get("/antrian/?urut=place").text
    assert 'aria-sort="ascending"' in page and names_in(page)[:3] == ["Ani", "budi", "Fajar"]  # the first kecamatan
    assert "<th scope=\"col\">No. HP</th>" not in page
    page = client.get("/antrian/?hp=1&lahir=1&alamat=1").text
    assert "No. HP</th>" in page and "Tgl lahir" in page and "<td>0811</td>" in page and "<td>—</td>" in page


def test_bulk_approval_of_the_filter_takes_only_what_the_filter_shows(client, auth, world):
    made, k1, k2, d2, c1, c2 = scene(world)
    auth.login("dinsos")
    page = client.get(f"/antrian/?kec={k2.code}").text
    sent = {**form(page, "/antrian/massal/konfirmasi"), "scope": "filter"}  # the button clicked
    confirm = client.post("/antrian/massal/konfirmasi", data=sent)
    assert "Setujui 3 nama sekaligus?" in confirm.text
    r = client.post("/antrian/massal", data=form(confirm.text, "/antrian/massal"))
    assert r.status_code == 303
    approved = set(db.session.scalars(select(Worker.full_name).where(Worker.verification == "approved")))
    assert approved == {"Hj. Cici", "Dedi", "Euis"}


def test_the_exports_take_the_same_filter(client, auth, world):
    made, k1, *_ = scene(world)
    auth.login("dinsos")
    page = client.get(f"/antrian/?kec={k1.code}&tanpa_hp=1").text
    link = re.search(r'href="(/ekspor/antrian\.csv[^"]*)"', page).group(1).replace("&amp;", "&")
    body = client.get(link).text
    assert "budi" in body and "Ani" not in body and "Dedi" not in body


def test_showing_birth_dates_is_recorded_like_an_export_of_those_rows(client, auth, world):
    made, *_ = scene(world)
    auth.login("dinsos")
    client.get("/antrian/")
    assert not db.session.scalars(select(Event).where(Event.action == "export")).all()
    client.get("/antrian/?lahir=1")
    event = db.session.scalars(select(Event).where(Event.action == "export")).one()
    assert '"what": "antrian+tgl lahir"' in event.detail and '"rows": 6' in event.detail
    assert all(export_trail.in_ranges(json.loads(event.detail)["workers"], w.id) for w in made.values())
