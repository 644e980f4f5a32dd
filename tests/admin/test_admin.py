"""Reference data an admin manages: reject reasons and categories, audited, never deleted."""
import json

from sqlalchemy import select

from portal.core.models import Category, Event, RejectReason
from portal.web.extensions import db


def test_add_reason_is_audited_and_offered_in_the_queue(client, auth, world):
    auth.login("admin")
    r = client.post("/admin/alasan", data={"code": "usia lanjut", "label": "Usia di atas batas", "note_required": "y"})
    assert r.status_code == 303
    reason = db.session.scalar(select(RejectReason).where(RejectReason.code == "USIA_LANJUT"))
    assert reason.note_required and reason.active
    event = db.session.scalar(select(Event).where(Event.action == "reason_add"))
    assert event.user_id == world.users["admin"].id and json.loads(event.detail)["code"] == "USIA_LANJUT"
    world.worker()
    auth.logout()
    auth.login("dinsos")
    assert "Usia di atas batas" in client.get("/antrian/").text


def test_duplicate_code_and_bad_input_are_422(client, auth, world):
    auth.login("admin")
    r = client.post("/admin/alasan", data={"code": "pindah", "label": "Pindah lagi"})
    assert r.status_code == 422 and "sudah dipakai" in r.text
    r = client.post("/admin/alasan", data={"code": "a-b", "label": "x"})
    assert r.status_code == 422 and "Kode hanya huruf" in r.text
    r = client.post("/admin/kategori", data={"code": "X", "name": "", "opd": "NOPE"})
    assert r.status_code == 422


def test_retire_and_restore_a_reason(client, auth, world):
    auth.login("admin")
    reason = world.reason("PINDAH")
    assert client.post(f"/admin/alasan/{reason.id}/aktif", data={"active": "0"}).status_code == 303
    assert not world.reason("PINDAH").active
    world.worker()
    auth.logout()
    auth.login("dinsos")
    assert "Pindah domisili" not in client.get("/antrian/").text
    auth.logout()
    auth.login("admin")
    client.post(f"/admin/alasan/{reason.id}/aktif", data={"active": "1"})
    assert world.reason("PINDAH").active
    actions = db.session.scalars(select(Event.action).where(Event.action.like("reason%"))
                                 .order_by(Event.seq)).all()
    assert actions == ["reason_off", "reason_on"]


def test_add_category_with_owner(client, auth, world):
    auth.login("admin")
    r = client.post("/admin/kategori", data={"code": "PENJAGA_MAKAM", "name": "Penjaga makam", "opd": "KESRA"})
    assert r.status_code == 303
    category = db.session.scalar(select(Category).where(Category.code == "PENJAGA_MAKAM"))
    assert category.opd.code == "KESRA"


def test_unknown_kind_is_404(client, auth, world):
    auth.login("admin")
    assert client.post("/admin/lain/1/aktif", data={"active": "1"}).status_code == 404
